// Package runner runs domains in embedded mode (`xenolith run`): no
// daemon, guest consoles on a writer, each domain's on_poweroff,
// on_reboot and on_crash actions applied in-process. Several domains run
// together in one registry, so they can connect event channels.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/backend/console"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xenstore"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// Options control a run.
type Options struct {
	// Console receives the guest consoles (stdout for `xenolith run`).
	// With several domains each line is prefixed with "[name] ".
	Console io.Writer
	Log     *slog.Logger
	// MaxRestarts bounds on_*=restart loops per domain (0 = default 10).
	MaxRestarts int
	// RebootExits makes a guest reboot end that domain's run whatever
	// on_reboot says, per config index; `xenolith run` sets it unless the
	// config sets on_reboot.
	RebootExits []bool
	// XenstoreSocket, if set, is where the embedded xenstored also
	// listens for dom0 tools (Xen's xenstore-* with XENSTORED_PATH).
	XenstoreSocket string
	// Ready, if set, is called once every domain is built and introduced
	// to xenstored, just before they are unpaused.
	Ready func(reg *domains.Registry, xs *xenstore.Server)
}

// Result is how one domain's run ended.
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
	Err              error // the run of this domain failed (restart limit)
}

// ReasonName is the xl-style name of how the domain ended.
func (r *Result) ReasonName() string {
	if r.Interrupted {
		return "destroyed"
	}
	return domains.ShutdownReasonName(r.Reason)
}

// Run builds the domains described by cfgs in one registry (domids in
// order, from 1), runs them together until each shuts down or crashes, or
// until ctx is cancelled (then it destroys them), and applies each
// config's on_* action: restart rebuilds that domain with a new domid,
// preserve keeps it until ctx is cancelled, destroy ends its run. An error
// building any domain destroys the others and is returned.
func Run(ctx context.Context, host *domains.Host, cfgs []*xlcfg.DomainConfig, opts Options) ([]*Result, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Console == nil {
		opts.Console = io.Discard
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 10
	}
	reg := domains.NewRegistry(host, opts.Log)
	defer reg.Close()
	xs := xenstore.New(xenstore.Config{Log: opts.Log, Connector: dom0.StoreConnector(reg)})
	defer xs.Close()
	if opts.XenstoreSocket != "" {
		l, err := xs.ListenUnix(opts.XenstoreSocket)
		if err != nil {
			return nil, fmt.Errorf("xenstore socket: %w (choose another --xenstore-socket)", err)
		}
		go xs.Serve(l)
	}
	start := time.Now()
	var consoleMu sync.Mutex
	slots := make([]*slot, len(cfgs))
	for i, cfg := range cfgs {
		image, err := dom0.ReadImage(cfg.KernelPath(), "kernel")
		if err != nil {
			return nil, fmt.Errorf("domain %s: kernel: %w", cfg.Name, err)
		}
		var ramdisk []byte
		if cfg.Ramdisk != "" {
			if ramdisk, err = dom0.ReadImage(cfg.RamdiskPath(), "ramdisk"); err != nil {
				return nil, fmt.Errorf("domain %s: ramdisk: %w", cfg.Name, err)
			}
		}
		var w io.Writer = opts.Console
		if len(cfgs) > 1 {
			w = &prefixWriter{w: opts.Console, mu: &consoleMu, prefix: []byte("[" + cfg.Name + "] "), bol: true}
		} else {
			w = &lockedWriter{w: opts.Console, mu: &consoleMu}
		}
		s := &slot{cfg: cfg, image: image, ramdisk: ramdisk, fb: &firstByte{w: w, start: start}, res: &Result{Name: cfg.Name}}
		s.rebootExits = i < len(opts.RebootExits) && opts.RebootExits[i]
		slots[i] = s
	}
	for _, s := range slots {
		s.xs, s.log = xs, opts.Log
		if err := s.create(reg, opts.Log); err != nil {
			for _, o := range slots {
				if o.d != nil {
					o.destroy()
				}
			}
			return nil, err
		}
	}
	if opts.Ready != nil {
		opts.Ready(reg, xs)
	}
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, reg, opts)
		}()
	}
	for _, s := range slots {
		if err := s.d.Unpause(); err != nil {
			s.destroy()
		}
	}
	wg.Wait()
	results := make([]*Result, len(slots))
	var errs []error
	for i, s := range slots {
		results[i] = s.res
		if s.res.Err != nil {
			errs = append(errs, s.res.Err)
		}
	}
	return results, errors.Join(errs...)
}

// slot is one config's domain across restarts.
type slot struct {
	cfg         *xlcfg.DomainConfig
	image       []byte
	ramdisk     []byte
	fb          *firstByte
	res         *Result
	rebootExits bool
	d           *domains.Domain
	xs          *xenstore.Server
	cons        *console.Backend
	disks       []*dom0.Disk
	consDone    chan struct{} // closed when the console copier has written everything
	log         *slog.Logger
}

func (s *slot) create(reg *domains.Registry, log *slog.Logger) error {
	uuid := s.cfg.UUID
	if !s.cfg.HasUUID {
		var err error
		if uuid, err = dom0.NewUUID(); err != nil {
			return err
		}
	}
	d, err := reg.Create(domains.Config{
		Name: s.cfg.Name, UUID: uuid, MemoryMiB: s.cfg.MemoryMiB, VCPUs: s.cfg.VCPUs,
		Kernel: s.image, Ramdisk: s.ramdisk, Cmdline: s.cfg.Cmdline, Console: s.fb, Log: log,
	})
	if err != nil {
		return err
	}
	if err := dom0.IntroduceDomain(s.xs, reg, d, s.cfg.VCPUs, s.cfg.MemoryMiB); err != nil {
		d.Destroy()
		s.xs.DomainDied(d.ID)
		return fmt.Errorf("domain %s: xenstore: %w", s.cfg.Name, err)
	}
	s.d, s.res.DomID = d, d.ID
	if err := s.startConsole(reg); err != nil {
		s.destroy()
		return fmt.Errorf("domain %s: console: %w", s.cfg.Name, err)
	}
	for _, spec := range s.cfg.Disks {
		disk, err := dom0.AttachDisk(s.xs, reg, d, spec, s.cfg.DiskPath(spec), s.log.With("domid", d.ID, "vdev", spec.VDev))
		if err != nil {
			s.destroy()
			return fmt.Errorf("domain %s: %w (see the disk key, line %d)", s.cfg.Name, err, spec.Line)
		}
		s.disks = append(s.disks, disk)
	}
	return nil
}

// startConsole serves the domain's console ring and copies its output to
// the run's console writer, alongside what the guest writes with
// console_io.
func (s *slot) startConsole(reg *domains.Registry) error {
	ring, err := dom0.ConnectConsole(reg, s.d.ID)
	if err != nil {
		return err
	}
	be, err := console.New(console.Config{Domid: s.d.ID, Name: s.cfg.Name, Ring: ring, Log: s.log})
	if err != nil {
		ring.Close()
		return err
	}
	hist, out, cancel := be.Subscribe()
	s.cons, s.consDone = be, make(chan struct{})
	go func() {
		defer close(s.consDone)
		defer cancel()
		s.fb.Write(hist)
		for b := range out {
			s.fb.Write(b)
		}
	}()
	return nil
}

// destroy stops the slot's console after reading what is left in its
// ring, destroys the domain and tells xenstored it is gone (its nodes go,
// @releaseDomain fires).
func (s *slot) destroy() {
	for _, disk := range s.disks {
		disk.Close()
	}
	s.disks = nil
	if s.cons != nil {
		s.cons.Close()
		<-s.consDone
		s.cons = nil
	}
	s.d.Destroy()
	s.xs.DomainDied(s.d.ID)
}

// run waits for the slot's domain to end and applies its on_* action.
func (s *slot) run(ctx context.Context, reg *domains.Registry, opts Options) {
	res := s.res
	for {
		d := s.d
		interrupted := waitOrCancel(ctx, d)
		res.State, res.Reason, res.Detail = d.State()
		res.Stats = d.Stats()
		res.FirstConsoleByte = s.fb.elapsed()
		if interrupted {
			s.destroy()
			res.State, res.Interrupted = domains.Dead, true
			return
		}
		action := actionFor(s.cfg, res.Reason)
		if res.Reason == hypercall.ShutdownReboot && s.rebootExits {
			action = xlcfg.ActionDestroy
		}
		switch action {
		case xlcfg.ActionRestart, xlcfg.ActionRenameRestart:
			s.destroy()
			if res.Restarts >= opts.MaxRestarts {
				res.Err = fmt.Errorf("domain %s restarted %d times; giving up (see on_%s)", s.cfg.Name, res.Restarts, res.ReasonName())
				return
			}
			res.Restarts++
			opts.Log.Info("restarting domain", "domain", s.cfg.Name, "after", res.ReasonName())
			if err := s.create(reg, opts.Log); err != nil {
				res.Err = fmt.Errorf("restart: %w", err)
				return
			}
			if err := s.d.Unpause(); err != nil {
				res.Err = fmt.Errorf("restart: %w", err)
				s.destroy()
				return
			}
		case xlcfg.ActionPreserve:
			opts.Log.Warn("domain preserved for inspection; interrupt to destroy it", "domain", s.cfg.Name, "state", res.State)
			<-ctx.Done()
			s.destroy()
			return
		default:
			s.destroy()
			return
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
	mu    sync.Mutex
	at    time.Duration
}

func (f *firstByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		f.mu.Lock()
		if f.at == 0 {
			f.at = time.Since(f.start)
		}
		f.mu.Unlock()
	}
	return f.w.Write(p)
}

func (f *firstByte) elapsed() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

// lockedWriter serialises writes of several domains to one writer.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter puts prefix at the start of every line. Partial lines of
// different domains may interleave; whole lines do not mix.
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix []byte
	bol    bool // at the beginning of a line
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []byte
	for len(b) > 0 {
		if p.bol {
			out = append(out, p.prefix...)
			p.bol = false
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i+1]...)
		b = b[i+1:]
		p.bol = true
	}
	_, err := p.w.Write(out)
	return n, err
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
