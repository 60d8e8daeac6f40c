package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

// Defaults of Options.
const (
	DefaultConsoleLogDir   = "/var/log/xenolith/console"
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultMaxFastRestarts bounds restarts in a row of a domain that
	// ends within FastRestartWindow of being built.
	DefaultMaxFastRestarts = 10
	// FastRestartWindow: a domain that ends sooner than this after being
	// built counts as a fast restart.
	FastRestartWindow = 10 * time.Second
)

// Options configure a daemon.
type Options struct {
	// Socket is the API's Unix socket ("" = api.DefaultSocket()).
	Socket string
	// XenstoredSockets are where the embedded xenstored also listens for
	// dom0 tools (xenstore.DefaultSocketPath, xenstore.XenSocketPath);
	// none for nil.
	XenstoredSockets []string
	// ConsoleLogDir gets one <name>.log per domain, appended across
	// restarts ("" = no log files).
	ConsoleLogDir string
	// ConsoleHistoryBytes is the console output kept for late sessions
	// (0 = DefaultConsoleHistoryBytes).
	ConsoleHistoryBytes int
	// ShutdownTimeout is how long Stop waits for guests to power off
	// before destroying them (0 = DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// DetachTimeout is how long a disk detach waits for the guest's
	// front end to close before disconnecting it (0 =
	// dom0.DetachTimeout, libxl's 10 s).
	DetachTimeout time.Duration
	// MaxFastRestarts (0 = DefaultMaxFastRestarts): after that many fast
	// restarts in a row the domain is destroyed instead.
	MaxFastRestarts int
	// Host is the KVM host to build on; nil opens one (domains.OpenHost)
	// and closes it in Stop.
	Host *domains.Host
	// Log receives the daemon's structured logs; LogRing, if set, is the
	// ring the logger also writes to, served by dmesg.
	Log     *slog.Logger
	LogRing *LogRing
}

// Daemon is a running `xenolith daemon`: it implements api.Lifecycle.
type Daemon struct {
	opts     Options
	log      *slog.Logger
	logRing  *LogRing
	host     *domains.Host
	ownHost  bool
	reg      *domains.Registry
	xs       *xenstore.Server
	xsc      *xenstore.Client // dom0's in-process xenstore connection
	started  time.Time
	lock     *socketLock
	listener net.Listener
	srv      *http.Server
	watchers sync.WaitGroup
	serveErr chan error

	mu       sync.Mutex
	byID     map[uint16]*record // guarded by mu: listed records (not Building)
	names    map[string]*record // guarded by mu: every record holding a name
	stopping bool               // guarded by mu: Stop has begun

	stopOnce sync.Once
	stopErr  error
}

var _ api.Lifecycle = (*Daemon)(nil)

// Start locks the socket (ErrAlreadyRunning if another daemon holds it),
// opens the host, starts xenstored and serves the API. Stop undoes it.
func Start(opts Options) (*Daemon, error) {
	if opts.Socket == "" {
		opts.Socket = api.DefaultSocket()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.DetachTimeout <= 0 {
		opts.DetachTimeout = dom0.DetachTimeout
	}
	if opts.MaxFastRestarts <= 0 {
		opts.MaxFastRestarts = DefaultMaxFastRestarts
	}
	if opts.LogRing == nil {
		opts.LogRing = NewLogRing(0)
	}
	if opts.Log == nil {
		opts.Log = NewLogger(os.Stderr, slog.LevelInfo, opts.LogRing)
	}
	d := &Daemon{
		opts: opts, log: opts.Log, logRing: opts.LogRing, started: time.Now(),
		byID: map[uint16]*record{}, names: map[string]*record{}, serveErr: make(chan error, 1),
	}
	lock, err := lockSocket(opts.Socket)
	if err != nil {
		return nil, err
	}
	d.lock = lock
	fail := func(err error) (*Daemon, error) {
		d.closeServices()
		return nil, err
	}
	d.host = opts.Host
	if d.host == nil {
		if d.host, err = domains.OpenHost(); err != nil {
			return fail(err)
		}
		d.ownHost = true
	}
	d.reg = domains.NewRegistry(d.host, d.log)
	d.xs = xenstore.New(xenstore.Config{Log: d.log, Connector: dom0.StoreConnector(d.reg)})
	for _, p := range opts.XenstoredSockets {
		l, err := d.xs.ListenUnix(p)
		if err != nil {
			return fail(fmt.Errorf("%w (pass --xenstored-socket \"\" to serve none)", err))
		}
		d.log.Info("xenstored listening", "socket", p)
		go d.xs.Serve(l)
	}
	near, far := net.Pipe()
	go d.xs.ServeConn(far)
	d.xsc = xenstore.NewClient(near)
	go func() {
		for range d.xsc.Events() { // no watches; drained as the client asks
		}
	}()
	if d.listener, err = listenSocket(opts.Socket); err != nil {
		return fail(err)
	}
	d.srv = &http.Server{Handler: api.NewHandler(d, d.log), ReadHeaderTimeout: 10 * time.Second}
	go func() { d.serveErr <- d.srv.Serve(d.listener) }()
	d.log.Info("xenolith daemon started", "socket", opts.Socket, "pid", os.Getpid())
	return d, nil
}

// Run starts a daemon, serves until ctx ends, then stops it (see Stop).
func Run(ctx context.Context, opts Options) error {
	d, err := Start(opts)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-d.serveErr:
		d.log.Error("API server failed", "err", err)
	}
	return d.Stop()
}

// Socket returns the API socket.
func (d *Daemon) Socket() string { return d.opts.Socket }

// Stop asks every guest to power off (control/shutdown = "poweroff", with
// on_poweroff applied as usual, but no restarts), waits up to
// ShutdownTimeout for the running ones, destroys every domain left (and
// says so in the log), then closes the API, xenstored and the host.
func (d *Daemon) Stop() error {
	d.stopOnce.Do(func() { d.stopErr = d.stop() })
	return d.stopErr
}

func (d *Daemon) stop() error {
	d.mu.Lock()
	d.stopping = true
	var live []*record
	for _, r := range d.byID {
		if r.phase == phaseLive {
			live = append(live, r)
		}
	}
	d.mu.Unlock()
	if len(live) > 0 {
		d.log.Info("stopping: asking domains to power off", "domains", len(live), "timeout", d.opts.ShutdownTimeout)
	}
	deadline := time.NewTimer(d.opts.ShutdownTimeout)
	defer deadline.Stop()
	for _, r := range live {
		if err := d.requestShutdown(r, "poweroff"); err != nil {
			d.log.Warn("stopping: shutdown request failed", "domain", r.name, "domid", r.id, "err", err)
		}
	}
wait:
	for _, r := range live {
		if st, _, _ := r.d.State(); st == domains.Paused {
			continue // a paused guest cannot react
		}
		select {
		case <-r.settled:
		case <-deadline.C:
			break wait
		}
	}
	d.mu.Lock()
	var left []*record
	for _, r := range d.byID {
		left = append(left, r)
	}
	d.mu.Unlock()
	for _, r := range left {
		d.mu.Lock()
		ph := r.phase
		_, status, _, _ := statusLocked(r)
		d.mu.Unlock()
		switch ph {
		case phaseLive:
			d.log.Warn("stopping: domain did not shut down in time: destroying it", "domain", r.name, "domid", r.id, "status", status, "timeout", d.opts.ShutdownTimeout)
		case phasePreserved:
			d.log.Info("stopping: destroying preserved domain", "domain", r.name, "domid", r.id)
		}
		if err := d.destroyRecord(context.Background(), r); err != nil {
			d.log.Warn("stopping: destroy", "domain", r.name, "err", err)
		}
	}
	d.watchers.Wait()
	d.srv.Close()
	d.closeServices()
	d.log.Info("xenolith daemon stopped")
	return nil
}

// closeServices releases what Start set up, in reverse order.
func (d *Daemon) closeServices() {
	if d.listener != nil {
		d.listener.Close()
		os.Remove(d.opts.Socket)
	}
	if d.xsc != nil {
		d.xsc.Close()
	}
	if d.xs != nil {
		d.xs.Close()
	}
	if d.reg != nil {
		d.reg.Close()
	}
	if d.ownHost && d.host != nil {
		d.host.Close()
	}
	if d.lock != nil {
		d.lock.unlock()
	}
}

// errStopping refuses new work during Stop.
var errStopping = errors.New("the daemon is stopping")
