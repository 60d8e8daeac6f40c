package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/backend/console"
	"github.com/xenolith/xenolith/toolstack/dom0"
)

// Console limits.
const (
	// DefaultConsoleHistoryBytes is the console output a hub keeps for
	// sessions that attach later.
	DefaultConsoleHistoryBytes = 64 << 10
	// maxSessionLagBytes is how far a session may fall behind before it
	// is dropped (as the back end drops its readers).
	maxSessionLagBytes = 1 << 20
)

// hub is one domain's console as the daemon serves it. Guests print two
// ways: with CONSOLEIO_write (the hypervisor console; every guestlib
// guest's printk) and through the PV console ring (Linux's hvc0), served
// by a console back end. The hub merges both, in arrival order, into one
// stream: a log file, a history for late sessions, and the sessions of
// `xenolith console`. Input goes to the back end (the ring's in[]), which
// has one writer at a time.
//
// Locking: mu guards everything but backend and pumpDone, which are set
// before the hub is shared. Write may be called from a vCPU thread; it
// never blocks on a session.
type hub struct {
	domid    uint16
	log      *slog.Logger
	backend  *console.Backend // nil if the ring could not be served
	pumpDone chan struct{}    // with a backend: closed when its output ended

	mu       sync.Mutex
	hist     []byte
	histMax  int
	file     *os.File // nil: no log file
	fileErr  bool     // the last write failed (logged once per streak)
	sessions map[*session]bool
	closed   bool
}

// newHub opens the log file (logPath "" = none; a failure is logged and
// the console works without it).
func newHub(domid uint16, logPath string, histMax int, log *slog.Logger) *hub {
	if histMax <= 0 {
		histMax = DefaultConsoleHistoryBytes
	}
	h := &hub{domid: domid, log: log, histMax: histMax, sessions: map[*session]bool{}, pumpDone: make(chan struct{})}
	if logPath != "" {
		if err := os.MkdirAll(filepath.Dir(logPath), 0o750); err != nil {
			log.Warn("console log directory", "err", err)
		} else if f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640); err != nil {
			log.Warn("console log file", "err", err)
		} else {
			h.file = f
		}
	}
	return h
}

// connect starts the PV console back end on the domain's ring and pumps
// its output into the hub. Without it the hub still carries console_io
// output, but takes no input.
func (h *hub) connect(reg *domains.Registry, name string) error {
	ring, err := dom0.ConnectConsole(reg, h.domid)
	if err != nil {
		return err
	}
	b, err := console.New(console.Config{Domid: h.domid, Name: name, Ring: ring, HistoryBytes: 4096, Log: h.log})
	if err != nil {
		ring.Close()
		return err
	}
	h.backend = b
	hist, out, _ := b.Subscribe()
	h.Write(hist)
	go func() {
		defer close(h.pumpDone)
		for p := range out {
			h.Write(p)
		}
	}()
	return nil
}

// Write is the domain's console_io sink (domains.Config.Console) and the
// back end's output: it appends p to the log file, the history and every
// session's queue.
func (h *hub) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return len(p), nil
	}
	if h.file != nil {
		if _, err := h.file.Write(p); err != nil {
			if !h.fileErr {
				h.log.Warn("console log file write failed", "err", err)
			}
			h.fileErr = true
		} else {
			h.fileErr = false
		}
	}
	if len(p) >= h.histMax {
		h.hist = append(h.hist[:0], p[len(p)-h.histMax:]...)
	} else {
		if over := len(h.hist) + len(p) - h.histMax; over > 0 {
			h.hist = append(h.hist[:0], h.hist[over:]...)
		}
		h.hist = append(h.hist, p...)
	}
	for s := range h.sessions {
		if len(s.pending)+s.inflight+len(p) > maxSessionLagBytes {
			h.log.Warn("console session dropped: more than 1 MiB behind")
			h.dropLocked(s)
			continue
		}
		s.pending = append(s.pending, p...)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// close ends the console: the back end copies out what the guest wrote
// and stops, sessions get what is queued and end, the log file closes.
func (h *hub) close() {
	if h.backend != nil {
		h.backend.Close()
		<-h.pumpDone
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.sessions {
		s.ended = true
		select {
		case s.wake <- struct{}{}:
		default:
		}
		delete(h.sessions, s)
	}
	if h.file != nil {
		h.file.Close()
	}
}

// errConsoleReadOnly: Input on a session opened without write.
var errConsoleReadOnly = errors.New("console session is read-only")

// session is one API console attachment; it implements api.ConsoleSession.
type session struct {
	h       *hub
	out     chan []byte
	wake    chan struct{}
	quit    chan struct{}
	history []byte
	release func() // gives the writer role back; nil for readers

	// Guarded by h.mu.
	pending  []byte
	inflight int  // bytes the pump took and has not delivered yet
	ended    bool // the hub closed: deliver pending, then close out
	gone     bool // dropped or closed: close out now
}

// open attaches a session; with write it takes the back end's writer role
// (409 if another session has it).
func (h *hub) open(name string, write bool) (*session, error) {
	s := &session{h: h, out: make(chan []byte), wake: make(chan struct{}, 1), quit: make(chan struct{})}
	if write {
		if h.backend == nil {
			return nil, api.Conflict("domain %s's console takes no input (its console back end is not running)", name)
		}
		release, err := h.backend.AcquireWriter()
		switch {
		case errors.Is(err, console.ErrWriterBusy):
			return nil, api.Conflict("domain %s's console already has a writer (another `xenolith console`): attach read-only or detach the other one", name)
		case err != nil:
			return nil, api.Conflict("domain %s's console takes no input: %v", name, err)
		}
		s.release = release
	}
	h.mu.Lock()
	s.history = append([]byte(nil), h.hist...)
	if h.closed {
		s.ended = true
	} else {
		h.sessions[s] = true
	}
	h.mu.Unlock()
	go s.pump()
	return s, nil
}

// dropLocked ends s now; h.mu is held.
func (h *hub) dropLocked(s *session) {
	if s.gone {
		return
	}
	s.gone = true
	s.pending = nil
	close(s.quit)
	delete(h.sessions, s)
}

// pump delivers the session's queued output until it ends.
func (s *session) pump() {
	defer close(s.out)
	for {
		s.h.mu.Lock()
		buf, ended, gone := s.pending, s.ended, s.gone
		s.pending, s.inflight = nil, len(buf)
		s.h.mu.Unlock()
		if gone {
			return
		}
		if len(buf) > 0 {
			select {
			case s.out <- buf:
				s.h.mu.Lock()
				s.inflight = 0
				s.h.mu.Unlock()
				continue
			case <-s.quit:
				return
			}
		}
		if ended {
			return
		}
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
	}
}

func (s *session) Output() ([]byte, <-chan []byte) { return s.history, s.out }

func (s *session) Input(ctx context.Context, p []byte) (int, error) {
	if s.release == nil {
		return 0, errConsoleReadOnly
	}
	n, err := s.h.backend.Write(ctx, p)
	if err != nil {
		return n, fmt.Errorf("domain %d console: %w", s.h.domid, err)
	}
	return n, nil
}

func (s *session) Close() error {
	s.h.mu.Lock()
	s.h.dropLocked(s)
	s.h.mu.Unlock()
	if s.release != nil {
		s.release()
	}
	return nil
}
