package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"
)

// Ring is the guest's console ring as dom0 sees it. The toolstack
// implements it over the domain model (toolstack/dom0.ConnectConsole: a
// dom0 mapping of reserved grant ref 0 and a dom0 port bound to the
// guest's console port); tests use a fake.
type Ring interface {
	Page() []byte           // 4096-byte xencons_interface page, aliasing guest memory, 4-byte aligned
	Notify() error          // send on the guest's console port
	Kicks() <-chan struct{} // guest notifications, coalesced
	Close() error           // unbind/unmap; called once by the back end after its last page access
}

// Config describes one console back end.
type Config struct {
	Domid        uint16
	Name         string // for log lines
	Ring         Ring
	LogPath      string // append all guest output to this file ("" = no log file); created with its directory
	HistoryBytes int    // recent output kept for readers that attach later (0 = 64 KiB)
	Log          *slog.Logger
}

const (
	// DefaultHistoryBytes is the output kept for late readers when
	// Config.HistoryBytes is 0.
	DefaultHistoryBytes = 64 << 10
	// maxReaderLagBytes is how far (queued, undelivered bytes) a reader
	// may fall behind before it is dropped.
	maxReaderLagBytes = 1 << 20
	// pollInterval bounds the delay of output whose kick was lost.
	pollInterval = 50 * time.Millisecond
	// maxChunksPerPass bounds one pass over the out ring (each chunk is
	// at most one ring's worth, 2 KiB), so a guest that keeps producing
	// cannot keep the serving goroutine from noticing Close.
	maxChunksPerPass = 32
)

// Errors of this package. Errors returned by Backend methods wrap them
// with the domid; use errors.Is.
var (
	// ErrWriterBusy: another client holds the console's writer (AcquireWriter).
	ErrWriterBusy = errors.New("console: another client is writing to this console")
	// ErrClosed: the back end has stopped (Close, or a guest protocol error).
	ErrClosed = errors.New("console: back end closed")
	// ErrBadRing: the Ring's page is too short or its index words are misaligned.
	ErrBadRing = errors.New("console: bad ring page")
	// ErrRingIndex: the guest moved an index outside what the protocol allows.
	ErrRingIndex = errors.New("console: guest ring index out of range")
	// ErrBadTransition: an illegal lifecycle transition (a bug, see xenbus.go).
	ErrBadTransition = errors.New("console: illegal state transition")
)

// Backend serves one domain's console ring: guest output to a log file, a
// history buffer and any number of readers; input from one writer to the
// guest. One goroutine (run) reads the out ring; Write fills the in ring
// from the caller's goroutine.
type Backend struct {
	domid   uint16
	log     *slog.Logger
	r       Ring
	ring    *ring
	kicks   <-chan struct{}
	logPath string

	stop     chan struct{} // closed on entering Closing (transition)
	done     chan struct{} // closed on entering Closed (transition)
	inSpace  chan struct{} // cap 1: the serving goroutine woke up, a waiting Write retries
	writeSem chan struct{} // cap 1: held by the Write in progress, so writes do not interleave

	// Owned by the serving goroutine.
	logFile        *os.File // nil = no log file
	logFileFailing bool     // the last log file write failed (reported once per failure streak)
	outBuf         [outSize]byte

	// pageMu orders page access from Write and Notify calls against the
	// serving goroutine's Ring.Close; taken before mu, never after.
	pageMu   sync.Mutex
	pageGone bool // guarded by pageMu: Ring.Close has been called, no page access

	mu       sync.Mutex
	state    state            // guarded by mu; changed only by transition
	failed   bool             // guarded by mu: stopped by a guest protocol error
	closeErr error            // guarded by mu: from closing the Ring and the log file
	writer   bool             // guarded by mu: AcquireWriter's token is out
	hist     historyBuf       // guarded by mu
	readers  map[*reader]bool // guarded by mu; nil once the back end has stopped
}

// New validates cfg and starts the serving goroutine. On error the caller
// still owns cfg.Ring (and closes it); on success the back end closes it.
func New(cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	go b.run()
	return b, nil
}

// newBackend validates cfg and opens the log file, without starting the
// serving goroutine.
func newBackend(cfg Config) (*Backend, error) {
	if cfg.Ring == nil {
		return nil, fmt.Errorf("console: domain %d: no ring", cfg.Domid)
	}
	if cfg.HistoryBytes < 0 {
		return nil, fmt.Errorf("console: domain %d: HistoryBytes %d is negative", cfg.Domid, cfg.HistoryBytes)
	}
	hist := cfg.HistoryBytes
	if hist == 0 {
		hist = DefaultHistoryBytes
	}
	rg, err := newRing(cfg.Ring.Page())
	if err != nil {
		return nil, fmt.Errorf("console: domain %d: %w", cfg.Domid, err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("domid", cfg.Domid)
	if cfg.Name != "" {
		log = log.With("name", cfg.Name)
	}
	b := &Backend{
		domid:    cfg.Domid,
		log:      log,
		r:        cfg.Ring,
		ring:     rg,
		kicks:    cfg.Ring.Kicks(),
		logPath:  cfg.LogPath,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		inSpace:  make(chan struct{}, 1),
		writeSem: make(chan struct{}, 1),
		state:    stateConnected,
		hist:     historyBuf{max: hist},
		readers:  map[*reader]bool{},
	}
	if cfg.LogPath != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.LogPath), 0o750); err != nil {
			return nil, fmt.Errorf("console: domain %d: log directory: %w", cfg.Domid, err)
		}
		f, err := os.OpenFile(cfg.LogPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("console: domain %d: log file: %w", cfg.Domid, err)
		}
		b.logFile = f
	}
	return b, nil
}

// run serves the out ring until Close or a protocol error: after each
// kick, and every pollInterval in case a kick was lost, it copies out
// whatever the guest produced. It never spins: without progress it waits.
func (b *Backend) run() {
	defer b.shutdown()
	defer func() {
		if p := recover(); p != nil { // a broken invariant, never guest input
			b.log.Error("console: panic serving the ring, console no longer served", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	kicks := b.kicks
	for {
		select {
		case <-b.stop:
			b.finalPass()
			return
		default:
		}
		more, err := b.serveOutput()
		if err != nil {
			b.fail(err)
			return
		}
		select { // the guest may have consumed input too
		case b.inSpace <- struct{}{}:
		default:
		}
		if more {
			continue
		}
		select {
		case <-b.stop:
			b.finalPass()
			return
		case _, ok := <-kicks:
			if !ok {
				kicks = nil // a closed channel would spin; the ticker still polls
			}
		case <-tick.C:
		}
	}
}

// finalPass copies out what the guest wrote before a clean Close (its last
// words before shutdown are usually still in the ring).
func (b *Backend) finalPass() {
	b.mu.Lock()
	failed := b.failed
	b.mu.Unlock()
	if failed {
		return
	}
	if _, err := b.serveOutput(); err != nil {
		b.log.Error("console: guest broke the ring protocol while closing", "err", err)
	}
}

// serveOutput copies out up to maxChunksPerPass ring's worth of output,
// notifying the guest after each, and reports whether it stopped at that
// bound (more output may be waiting).
func (b *Backend) serveOutput() (more bool, err error) {
	for range maxChunksPerPass {
		n, err := b.ring.readOut(&b.outBuf)
		if err != nil {
			return false, err
		}
		if n == 0 {
			return false, nil
		}
		b.notify() // the guest may refill while we log
		b.emit(b.outBuf[:n])
	}
	return true, nil
}

// emit appends output to the log file and the history and queues it for
// every reader, dropping readers that are too far behind.
func (b *Backend) emit(p []byte) {
	if b.logFile != nil {
		if _, err := b.logFile.Write(p); err != nil {
			if !b.logFileFailing {
				b.log.Warn("console: writing the log file failed", "path", b.logPath, "err", err)
			}
			b.logFileFailing = true
		} else {
			b.logFileFailing = false
		}
	}
	var dropped int
	b.mu.Lock()
	b.hist.write(p)
	for r := range b.readers {
		if !b.queue(r, p) {
			dropped++
		}
	}
	b.mu.Unlock()
	if dropped > 0 {
		b.log.Warn("console: reader dropped: it fell more than its limit behind", "readers", dropped, "limitBytes", maxReaderLagBytes)
	}
}

// notify sends on the guest's console port unless the Ring is closed.
func (b *Backend) notify() {
	b.pageMu.Lock()
	defer b.pageMu.Unlock()
	b.notifyLocked()
}

// notifyLocked is notify with pageMu held.
func (b *Backend) notifyLocked() {
	if b.pageGone {
		return
	}
	if err := b.r.Notify(); err != nil {
		b.log.Debug("console: notifying the guest failed", "err", err)
	}
}

// fail stops the back end after a guest protocol error.
func (b *Backend) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != stateConnected {
		return
	}
	b.log.Error("console: guest broke the ring protocol, console no longer served", "err", err)
	b.failed = true
	_ = b.transition(stateClosing) // Connected -> Closing is always legal
}

// shutdown runs on the serving goroutine as it exits: no page access
// after it takes pageMu; then the Ring and the log file close, readers
// get what is queued for them and their channels close, and Done closes.
func (b *Backend) shutdown() {
	b.mu.Lock()
	if b.state == stateConnected { // after a recovered panic
		b.failed = true
		_ = b.transition(stateClosing)
	}
	b.mu.Unlock()

	b.pageMu.Lock()
	b.pageGone = true
	b.pageMu.Unlock()
	var errs []error
	if err := b.r.Close(); err != nil {
		errs = append(errs, fmt.Errorf("console: domain %d: closing the ring: %w", b.domid, err))
	}
	if b.logFile != nil {
		if err := b.logFile.Close(); err != nil {
			errs = append(errs, fmt.Errorf("console: domain %d: closing the log file: %w", b.domid, err))
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeErr = errors.Join(errs...)
	for r := range b.readers {
		b.endReader(r)
	}
	b.readers = nil
	if err := b.transition(stateClosed); err != nil {
		panic(err) // only shutdown leaves Closing
	}
}

// Done is closed when the back end stops (Close, or a guest protocol
// error) and has closed its Ring, its log file and its readers' queues.
func (b *Backend) Done() <-chan struct{} { return b.done }

// Close stops serving (after copying out what the guest already wrote),
// closes the Ring and the log file, and closes readers' channels once
// they have received what was queued for them. It waits for the serving
// goroutine and returns errors from closing the Ring or the log file. It
// may be called more than once and after the back end stopped by itself.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.state == stateConnected {
		_ = b.transition(stateClosing)
	}
	b.mu.Unlock()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closeErr
}

// AcquireWriter makes the caller the console's only writer (xl console:
// one writer, many readers); ErrWriterBusy otherwise. release gives the
// role back and may be called more than once. Write itself does not check
// the role: the caller that hands out console sessions does. ErrWriterBusy
// is returned unwrapped, so err == ErrWriterBusy works as well as
// errors.Is.
func (b *Backend) AcquireWriter() (release func(), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != stateConnected {
		return nil, fmt.Errorf("%w: domain %d", ErrClosed, b.domid)
	}
	if b.writer {
		return nil, ErrWriterBusy
	}
	b.writer = true
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.writer = false
			b.mu.Unlock()
		})
	}, nil
}

// Write puts input into the guest's in ring, waiting for space while the
// guest consumes (ctx cancels); returns bytes written. Concurrent Writes
// are serialized, never interleaved. It fails with ErrClosed once the back
// end stops and with ErrRingIndex (stopping the back end) if the guest's
// in_cons is out of range.
func (b *Backend) Write(ctx context.Context, p []byte) (int, error) {
	select {
	case b.writeSem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-b.stop:
		return 0, fmt.Errorf("%w: domain %d", ErrClosed, b.domid)
	}
	defer func() { <-b.writeSem }()
	written := 0
	for {
		n, err := b.writeSome(p[written:])
		written += n
		if err != nil || written == len(p) {
			return written, err
		}
		select {
		case <-b.inSpace:
		case <-ctx.Done():
			return written, ctx.Err()
		case <-b.stop:
			return written, fmt.Errorf("%w: domain %d", ErrClosed, b.domid)
		}
	}
}

// writeSome copies what fits of p into the in ring and notifies the guest.
func (b *Backend) writeSome(p []byte) (int, error) {
	b.pageMu.Lock()
	defer b.pageMu.Unlock()
	select {
	case <-b.stop:
		return 0, fmt.Errorf("%w: domain %d", ErrClosed, b.domid)
	default:
	}
	if b.pageGone {
		return 0, fmt.Errorf("%w: domain %d", ErrClosed, b.domid)
	}
	n, err := b.ring.writeIn(p)
	if err != nil {
		b.fail(err)
		return 0, fmt.Errorf("console: domain %d: %w", b.domid, err)
	}
	if n > 0 {
		b.notifyLocked()
	}
	return n, nil
}
