package console

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// fakeRing is the dom0 side of a console ring without a domain: a page
// in Go memory, a kick channel the fake guest sends on, and a channel the
// back end's notifications arrive on.
type fakeRing struct {
	page     []byte
	kicks    chan struct{} // guest -> back end, coalesced
	notes    chan struct{} // back end -> guest, coalesced
	notifies atomic.Int64
	closes   atomic.Int32
	lateNote atomic.Int32 // Notify calls after Close
}

func newFakeRing() *fakeRing {
	return &fakeRing{
		page:  make([]byte, pageSize),
		kicks: make(chan struct{}, 1),
		notes: make(chan struct{}, 1),
	}
}

func (r *fakeRing) Page() []byte           { return r.page }
func (r *fakeRing) Kicks() <-chan struct{} { return r.kicks }

func (r *fakeRing) Notify() error {
	if r.closes.Load() != 0 {
		r.lateNote.Add(1)
	}
	r.notifies.Add(1)
	select {
	case r.notes <- struct{}{}:
	default:
	}
	return nil
}

func (r *fakeRing) Close() error {
	r.closes.Add(1)
	return nil
}

// kick is the guest's notify.
func (r *fakeRing) kick() {
	select {
	case r.kicks <- struct{}{}:
	default:
	}
}

// waitNote waits for a notification from the back end, or d.
func (r *fakeRing) waitNote(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.notes:
	case <-t.C:
	}
}

// fakeGuest is the front end of a fakeRing, as a guest kernel's hvc_xen
// driver drives it: it owns out_prod and in_cons.
type fakeGuest struct {
	r       *fakeRing
	outProd uint32
	inCons  uint32
	noKick  bool // write without notifying (a lost kick)
}

// produce writes p into out[] as space allows, in pieces of at most
// chunk bytes (chunk(i) for the i-th piece), kicking after each. It gives
// up at the deadline and reports how much it wrote.
func (g *fakeGuest) produce(p []byte, chunk func() int, deadline time.Time) int {
	done := 0
	for done < len(p) {
		cons := sharedpage.Load32(g.r.page, offOutCons)
		free := outSize - int(g.outProd-cons)
		if free == 0 {
			if time.Now().After(deadline) {
				return done
			}
			g.r.waitNote(10 * time.Millisecond)
			continue
		}
		n := min(free, len(p)-done, chunk())
		for i := range n {
			g.r.page[offOut+int((g.outProd+uint32(i))&outMask)] = p[done+i]
		}
		g.outProd += uint32(n)
		sharedpage.Store32(g.r.page, offOutProd, g.outProd)
		done += n
		if !g.noKick {
			g.r.kick()
		}
	}
	return done
}

// consume reads what is in in[] (at most max bytes), advances in_cons and
// kicks.
func (g *fakeGuest) consume(max int) []byte {
	prod := sharedpage.Load32(g.r.page, offInProd)
	n := min(int(prod-g.inCons), max)
	out := make([]byte, n)
	for i := range n {
		out[i] = g.r.page[offIn+int((g.inCons+uint32(i))&inMask)]
	}
	g.inCons += uint32(n)
	sharedpage.Store32(g.r.page, offInCons, g.inCons)
	if n > 0 {
		g.r.kick()
	}
	return out
}

// syncBuffer is an io.Writer safe for concurrent use (log capture).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLog logs to w and, with CONSOLE_TEST_LOG=1, to stderr too.
func testLog(w io.Writer) *slog.Logger {
	if os.Getenv("CONSOLE_TEST_LOG") != "" {
		w = io.MultiWriter(w, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestBackend starts a back end on a new fake ring (unless cfg has
// one) and closes it at the end of the test.
func newTestBackend(t testing.TB, cfg Config) (*Backend, *fakeRing, *syncBuffer) {
	t.Helper()
	var fr *fakeRing
	if cfg.Ring == nil {
		fr = newFakeRing()
		cfg.Ring = fr
	} else {
		fr, _ = cfg.Ring.(*fakeRing)
	}
	logs := &syncBuffer{}
	if cfg.Log == nil {
		cfg.Log = testLog(logs)
	}
	if cfg.Domid == 0 {
		cfg.Domid = 7
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := closeWithin(b, 5*time.Second); err != nil {
			t.Error(err)
		}
	})
	return b, fr, logs
}

// closeWithin closes b, failing if that takes longer than d.
func closeWithin(b *Backend, d time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- b.Close() }()
	select {
	case err := <-errc:
		return err
	case <-time.After(d):
		return context.DeadlineExceeded
	}
}

// collect reads out until it is closed or want bytes arrived, whichever
// is first; the result arrives on the returned channel.
func collect(out <-chan []byte, want int) <-chan []byte {
	res := make(chan []byte, 1)
	go func() {
		var got []byte
		for p := range out {
			got = append(got, p...)
			if want >= 0 && len(got) >= want {
				break
			}
		}
		res <- got
	}()
	return res
}

// recv waits up to d for a collect result.
func recv(t testing.TB, c <-chan []byte, d time.Duration) []byte {
	t.Helper()
	select {
	case b := <-c:
		return b
	case <-time.After(d):
		t.Fatalf("no result within %v", d)
		return nil
	}
}

// waitDone waits up to d for b to stop.
func waitDone(t testing.TB, b *Backend, d time.Duration) {
	t.Helper()
	select {
	case <-b.Done():
	case <-time.After(d):
		t.Fatalf("back end still running after %v", d)
	}
}

// waitFor polls cond every millisecond for up to d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(time.Millisecond)
	}
}
