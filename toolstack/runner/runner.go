// Package runner runs domains in embedded mode (`xenolith run`): no
// daemon, the guest console on a writer, the domain's on_poweroff,
// on_reboot and on_crash actions applied in-process.
package runner

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// Options control a run.
type Options struct {
	// Console receives the guest console (stdout for `xenolith run`).
	Console io.Writer
	Log     *slog.Logger
	// MaxRestarts bounds on_*=restart loops (0 = default 10).
	MaxRestarts int
	// RebootExits makes a guest reboot end the run whatever on_reboot
	// says; `xenolith run` sets it unless the config sets on_reboot.
	RebootExits bool
}

// Result is how a run ended.
type Result struct {
	Name   string
	DomID  uint16
	State  domains.State // Shutdown, Crashed, or Dead when interrupted
	Reason uint32        // SHUTDOWN_* for Shutdown and Crashed
	Detail string        // crash description
	// Interrupted is set when ctx was cancelled and the domain destroyed.
	Interrupted bool
	Stats       domains.Stats
	// FirstConsoleByte is the time from Run's start to the guest's first
	// console byte (0 if it printed nothing).
	FirstConsoleByte time.Duration
	Restarts         int
}

// ReasonName is the xl-style name of how the domain ended.
func (r *Result) ReasonName() string {
	if r.Interrupted {
		return "destroyed"
	}
	return domains.ShutdownReasonName(r.Reason)
}

// Run builds the domain described by cfg, runs it until it shuts down,
// crashes or ctx is cancelled (then it destroys it), and applies the
// config's on_* action: restart rebuilds it with a new domid, preserve
// keeps it until ctx is cancelled, destroy returns.
func Run(ctx context.Context, host *domains.Host, cfg *xlcfg.DomainConfig, opts Options) (*Result, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Console == nil {
		opts.Console = io.Discard
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 10
	}
	image, err := readKernel(cfg.KernelPath())
	if err != nil {
		return nil, err
	}
	uuid, err := newUUID()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	fb := &firstByte{w: opts.Console, start: start}
	res := &Result{Name: cfg.Name}
	for domid := uint16(1); ; domid++ {
		d, err := domains.Build(host, domid, domains.Config{
			Name: cfg.Name, UUID: uuid, MemoryMiB: cfg.MemoryMiB, VCPUs: cfg.VCPUs,
			Kernel: image, Cmdline: cfg.Cmdline, Console: fb, Log: opts.Log,
		})
		if err != nil {
			return nil, err
		}
		res.DomID = domid
		if err := d.Unpause(); err != nil {
			d.Destroy()
			return nil, err
		}
		interrupted := waitOrCancel(ctx, d)
		res.State, res.Reason, res.Detail = d.State()
		res.Stats = d.Stats()
		res.FirstConsoleByte = fb.elapsed()
		if interrupted {
			d.Destroy()
			res.State, res.Interrupted = domains.Dead, true
			return res, nil
		}
		action := actionFor(cfg, res.Reason)
		if res.Reason == hypercall.ShutdownReboot && opts.RebootExits {
			action = xlcfg.ActionDestroy
		}
		switch action {
		case xlcfg.ActionRestart, xlcfg.ActionRenameRestart:
			d.Destroy()
			if res.Restarts >= opts.MaxRestarts {
				return res, fmt.Errorf("domain %s restarted %d times; giving up (see on_%s)", cfg.Name, res.Restarts, res.ReasonName())
			}
			res.Restarts++
			opts.Log.Info("restarting domain", "domain", cfg.Name, "after", res.ReasonName())
			continue
		case xlcfg.ActionPreserve:
			opts.Log.Warn("domain preserved for inspection; interrupt to destroy it", "domain", cfg.Name, "state", res.State)
			<-ctx.Done()
			d.Destroy()
			return res, nil
		default:
			d.Destroy()
			return res, nil
		}
	}
}

// actionFor picks on_poweroff, on_reboot or on_crash for a reason.
func actionFor(cfg *xlcfg.DomainConfig, reason uint32) xlcfg.Action {
	switch reason {
	case hypercall.ShutdownPoweroff:
		return cfg.OnPoweroff
	case hypercall.ShutdownReboot:
		return cfg.OnReboot
	}
	return cfg.OnCrash
}

// waitOrCancel waits for d to end; it reports true if ctx ended first.
func waitOrCancel(ctx context.Context, d *domains.Domain) bool {
	done := make(chan struct{})
	go func() { d.Wait(); close(done) }()
	select {
	case <-done:
		return false
	case <-ctx.Done():
		return true
	}
}

// firstByte forwards console output and notes when the first byte came.
type firstByte struct {
	w     io.Writer
	start time.Time
	once  sync.Once
	at    time.Duration
	mu    sync.Mutex
}

func (f *firstByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		f.once.Do(func() {
			f.mu.Lock()
			f.at = time.Since(f.start)
			f.mu.Unlock()
		})
	}
	return f.w.Write(p)
}

func (f *firstByte) elapsed() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

// ErrUnsupportedAction is returned for on_* actions embedded mode cannot
// honour.
var ErrUnsupportedAction = errors.New("unsupported action")

// CheckConfig refuses, before anything runs, on_* actions that embedded
// mode cannot carry out.
func CheckConfig(cfg *xlcfg.DomainConfig) error {
	for _, a := range []struct {
		key string
		act xlcfg.Action
	}{{"on_poweroff", cfg.OnPoweroff}, {"on_reboot", cfg.OnReboot}, {"on_crash", cfg.OnCrash}} {
		switch a.act {
		case xlcfg.ActionDestroy, xlcfg.ActionRestart, xlcfg.ActionRenameRestart, xlcfg.ActionPreserve:
		default:
			return fmt.Errorf("%s = %q: %w (Xenolith has no core dumps or soft reset yet): use destroy, restart or preserve", a.key, a.act, ErrUnsupportedAction)
		}
	}
	return nil
}

// readKernel reads a kernel image, refusing anything but a regular file
// and anything larger than the parser accepts before reading it all.
func readKernel(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("kernel: %w: fix the kernel key (relative paths are relative to the config file)", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("kernel %s: not a regular file: point the kernel key at a PVH kernel image", path)
	}
	if fi.Size() > domains.MaxKernelImageBytes {
		return nil, fmt.Errorf("kernel %s: %d bytes, more than the %d MiB limit", path, fi.Size(), domains.MaxKernelImageBytes>>20)
	}
	return os.ReadFile(path)
}

// newUUID returns a random (version 4) domain handle, as xl makes one when
// the config has no uuid.
func newUUID() ([16]byte, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return u, fmt.Errorf("domain uuid: %w", err)
	}
	u[6] = u[6]&0x0F | 0x40
	u[8] = u[8]&0x3F | 0x80
	return u, nil
}
