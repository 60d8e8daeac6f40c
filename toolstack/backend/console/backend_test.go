package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

func randomBytes(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rnd.Uint32())
	}
	return p
}

// randomChunks returns a chunk-size function for fakeGuest.produce:
// 1..3000 bytes, so pieces are smaller and larger than the ring.
func randomChunks(seed uint64) func() int {
	rnd := rand.New(rand.NewPCG(seed, 99))
	return func() int { return 1 + rnd.IntN(3000) }
}

// TestOutputMiB: 1 MiB written by the guest through the 2 KiB ring
// arrives complete and in order in the log file (appended to what was
// there, in a directory that did not exist) and to three readers
// subscribed from the start; a reader joining mid-stream gets a
// contiguous suffix (history, then the channel); a late reader gets the
// last 64 KiB as history.
func TestOutputMiB(t *testing.T) {
	const total = 1 << 20
	data := randomBytes(1, total)
	logPath := filepath.Join(t.TempDir(), "xen", "console", "guest-a.log")
	b, fr, _ := newTestBackend(t, Config{Name: "a", LogPath: logPath})
	// The log file is created at New; simulate an earlier run's output.
	if err := os.WriteFile(logPath, []byte("earlier run\n"), 0o640); err != nil {
		t.Fatal(err)
	}

	var early []<-chan []byte
	for range 3 {
		hist, out, cancel := b.Subscribe()
		defer cancel()
		if len(hist) != 0 {
			t.Fatalf("history before any output: %d bytes", len(hist))
		}
		early = append(early, collect(out, total))
	}

	g := &fakeGuest{r: fr}
	half := total / 2
	if n := g.produce(data[:half], randomChunks(2), time.Now().Add(20*time.Second)); n != half {
		t.Fatalf("guest wrote %d of %d bytes: back end stopped consuming", n, half)
	}
	midHist, midOut, midCancel := b.Subscribe()
	defer midCancel()
	midc := collect(midOut, -1)
	if n := g.produce(data[half:], randomChunks(3), time.Now().Add(20*time.Second)); n != total-half {
		t.Fatalf("guest wrote %d of %d bytes", half+n, total)
	}

	want := sha256.Sum256(data)
	for i, c := range early {
		got := recv(t, c, 20*time.Second)
		if sha256.Sum256(got) != want {
			t.Fatalf("reader %d: %d bytes, sha256 differs", i, len(got))
		}
	}
	waitFor(t, 5*time.Second, "all output in the history", func() bool {
		h, _, cancel := b.Subscribe()
		cancel()
		return bytes.Equal(h, data[total-DefaultHistoryBytes:])
	})
	lateHist, lateOut, lateCancel := b.Subscribe()
	if !bytes.Equal(lateHist, data[total-DefaultHistoryBytes:]) {
		t.Fatalf("late reader: history %d bytes, want the last %d", len(lateHist), DefaultHistoryBytes)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if rest := recv(t, collect(lateOut, -1), 5*time.Second); len(rest) != 0 {
		t.Fatalf("late reader got %d bytes after its history", len(rest))
	}
	lateCancel()

	mid := append(midHist, recv(t, midc, 5*time.Second)...)
	if len(midHist) > DefaultHistoryBytes || len(mid) < total-half || !bytes.Equal(mid, data[total-len(mid):]) {
		t.Fatalf("mid-stream reader: history %d + %d bytes, not a suffix of the output", len(midHist), len(mid)-len(midHist))
	}

	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(logged, []byte("earlier run\n")) || sha256.Sum256(logged[len("earlier run\n"):]) != want {
		t.Fatalf("log file: %d bytes, not the earlier contents then the output", len(logged))
	}
	if fr.closes.Load() != 1 || fr.lateNote.Load() != 0 {
		t.Fatalf("ring closed %d times, %d notifies after close", fr.closes.Load(), fr.lateNote.Load())
	}
}

// TestSlowReaderDropped: a reader that stops reading is dropped once more
// than 1 MiB behind (channel closed, a log line) while the guest and a
// reader that keeps up go on. The guest is paced by the reading reader
// (64 KiB at a time) so that one never falls behind; nothing paces it by
// the stalled one.
func TestSlowReaderDropped(t *testing.T) {
	const total, step = 3 << 20, 64 << 10
	data := randomBytes(5, total)
	b, fr, logs := newTestBackend(t, Config{Name: "slow"})
	_, slowOut, slowCancel := b.Subscribe()
	defer slowCancel()
	_, fastOut, fastCancel := b.Subscribe()
	defer fastCancel()
	var fastGot atomic.Int64
	fastSum := make(chan [sha256.Size]byte, 1)
	go func() {
		h := sha256.New()
		for p := range fastOut {
			h.Write(p)
			if fastGot.Add(int64(len(p))) == total {
				break
			}
		}
		fastSum <- [sha256.Size]byte(h.Sum(nil))
	}()

	g := &fakeGuest{r: fr}
	for off := 0; off < total; off += step {
		if n := g.produce(data[off:off+step], randomChunks(uint64(off)), time.Now().Add(10*time.Second)); n != step {
			t.Fatalf("guest blocked at %d bytes", off+n)
		}
		waitFor(t, 10*time.Second, "the reading reader", func() bool { return fastGot.Load() >= int64(off+step) })
	}
	select {
	case sum := <-fastSum:
		if sum != sha256.Sum256(data) {
			t.Fatal("reading reader: sha256 differs")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading reader did not finish")
	}
	slow := recv(t, collect(slowOut, -1), 5*time.Second) // returns once the channel is closed
	if len(slow) > maxReaderLagBytes || !bytes.Equal(slow, data[:len(slow)]) {
		t.Fatalf("dropped reader got %d bytes, want a prefix of at most 1 MiB", len(slow))
	}
	if l := logs.String(); !strings.Contains(l, "reader dropped") || !strings.Contains(l, "domid=7") {
		t.Fatalf("no log line for the dropped reader:\n%s", l)
	}
}

// TestInput: 10 KiB written through the 1 KiB in ring while the guest
// consumes slowly, in small pieces, arrives complete and in order; the
// writer role is exclusive and released.
func TestInput(t *testing.T) {
	const total = 10 << 10
	data := randomBytes(7, total)
	b, fr, _ := newTestBackend(t, Config{})

	release, err := b.AcquireWriter()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireWriter(); err != ErrWriterBusy {
		t.Fatalf("second writer: %v, want ErrWriterBusy", err)
	}

	g := &fakeGuest{r: fr}
	got := make(chan []byte, 1)
	go func() {
		var in []byte
		deadline := time.Now().Add(20 * time.Second)
		for len(in) < total && time.Now().Before(deadline) {
			in = append(in, g.consume(100)...)
			fr.waitNote(time.Millisecond)
		}
		got <- in
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if n, err := b.Write(ctx, data); n != total || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if in := <-got; sha256.Sum256(in) != sha256.Sum256(data) {
		t.Fatalf("guest read %d bytes, sha256 differs", len(in))
	}

	release()
	release() // idempotent: must not release someone else's role
	release2, err := b.AcquireWriter()
	if err != nil {
		t.Fatalf("writer after release: %v", err)
	}
	release()
	if _, err := b.AcquireWriter(); err != ErrWriterBusy {
		t.Fatalf("an old release freed the new writer's role: %v", err)
	}
	release2()
}

// TestWriteWaits: Write blocks while the ring is full and the guest does
// not consume, returns what it wrote when ctx ends, and concurrent Writes
// do not interleave.
func TestWriteWaits(t *testing.T) {
	b, fr, _ := newTestBackend(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	n, err := b.Write(ctx, make([]byte, 3000))
	if n != inSize || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write into a stalled guest: %d, %v; want %d, deadline exceeded", n, err, inSize)
	}

	g := &fakeGuest{r: fr}
	g.consume(inSize)
	a, c := bytes.Repeat([]byte("a"), 1500), bytes.Repeat([]byte("c"), 1500)
	var wg sync.WaitGroup
	for _, p := range [][]byte{a, c} {
		wg.Go(func() {
			if n, err := b.Write(context.Background(), p); n != len(p) || err != nil {
				t.Errorf("Write: %d, %v", n, err)
			}
		})
	}
	var in []byte
	deadline := time.Now().Add(10 * time.Second)
	for len(in) < 3000 && time.Now().Before(deadline) {
		in = append(in, g.consume(7)...)
		fr.waitNote(time.Millisecond)
	}
	wg.Wait()
	if s := string(in); s != string(a)+string(c) && s != string(c)+string(a) {
		t.Fatalf("concurrent Writes interleaved or lost bytes (%d bytes)", len(in))
	}
}

// TestHostileIndexes: each way a guest can break the index protocol stops
// that back end with an error log line naming the domain, without a panic
// or a hang; another domain's back end carries on.
func TestHostileIndexes(t *testing.T) {
	cases := []struct {
		name string
		// before runs before New (stale page), act after it.
		before func(page []byte)
		act    func(t *testing.T, b *Backend, g *fakeGuest)
	}{
		{name: "out_prod far ahead", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			sharedpage.Store32(g.r.page, offOutProd, outSize+1)
			g.r.kick()
		}},
		{name: "out_prod at 2^32-1", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			sharedpage.Store32(g.r.page, offOutProd, 0xffffffff)
			g.r.kick()
		}},
		{name: "out_prod runs backwards", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			g.produce(make([]byte, 100), func() int { return 100 }, time.Now().Add(5*time.Second))
			waitFor(t, 5*time.Second, "output consumed", func() bool { return sharedpage.Load32(g.r.page, offOutCons) == 100 })
			sharedpage.Store32(g.r.page, offOutProd, 50)
			g.r.kick()
		}},
		{name: "out_prod jumps without a kick", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			sharedpage.Store32(g.r.page, offOutProd, 1<<31) // found by the poll
		}},
		{name: "stale page at connect", before: func(page []byte) {
			sharedpage.Store32(page, offOutCons, 5000)
			sharedpage.Store32(page, offOutProd, 0)
		}},
		{name: "in_cons past in_prod", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			sharedpage.Store32(g.r.page, offInCons, 10)
			if _, err := b.Write(context.Background(), []byte("x")); !errors.Is(err, ErrRingIndex) {
				t.Errorf("Write: %v, want ErrRingIndex", err)
			}
		}},
		{name: "in_cons runs backwards", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			if n, err := b.Write(context.Background(), make([]byte, 100)); n != 100 || err != nil {
				t.Fatalf("Write: %d, %v", n, err)
			}
			g.consume(100)
			if n, err := b.Write(context.Background(), []byte("y")); n != 1 || err != nil { // sees in_cons 100
				t.Fatalf("Write: %d, %v", n, err)
			}
			sharedpage.Store32(g.r.page, offInCons, 50)
			if _, err := b.Write(context.Background(), []byte("x")); !errors.Is(err, ErrRingIndex) {
				t.Errorf("Write: %v, want ErrRingIndex", err)
			}
		}},
		{name: "in_cons moves while Write waits", act: func(t *testing.T, b *Backend, g *fakeGuest) {
			errc := make(chan error, 1)
			go func() {
				_, err := b.Write(context.Background(), make([]byte, 5000))
				errc <- err
			}()
			waitFor(t, 5*time.Second, "in ring full", func() bool { return sharedpage.Load32(g.r.page, offInProd) == inSize })
			sharedpage.Store32(g.r.page, offInCons, 0xfffff000)
			g.r.kick()
			select {
			case err := <-errc:
				if !errors.Is(err, ErrRingIndex) {
					t.Errorf("Write: %v, want ErrRingIndex", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Write still waiting")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fr := newFakeRing()
			if c.before != nil {
				c.before(fr.page)
			}
			b, _, logs := newTestBackend(t, Config{Name: "evil", Ring: fr})
			_, out, cancel := b.Subscribe()
			defer cancel()
			other, ofr, _ := newTestBackend(t, Config{Domid: 8, Name: "good"})
			if c.act != nil {
				c.act(t, b, &fakeGuest{r: fr, outProd: sharedpage.Load32(fr.page, offOutProd), inCons: sharedpage.Load32(fr.page, offInCons)})
			}
			waitDone(t, b, 5*time.Second)
			recv(t, collect(out, -1), 5*time.Second) // the reader's channel closes
			l := logs.String()
			if !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "domid=7") || !strings.Contains(l, "ring index out of range") {
				t.Fatalf("log does not say which domain broke the ring and how:\n%s", l)
			}
			if fr.closes.Load() != 1 {
				t.Fatalf("ring closed %d times", fr.closes.Load())
			}
			if _, err := b.Write(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
				t.Fatalf("Write after stop: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			// The other domain's console still works.
			_, oout, ocancel := other.Subscribe()
			defer ocancel()
			oc := collect(oout, 5)
			(&fakeGuest{r: ofr}).produce([]byte("hello"), func() int { return 5 }, time.Now().Add(5*time.Second))
			if got := recv(t, oc, 5*time.Second); string(got) != "hello" {
				t.Fatalf("other domain's console: %q", got)
			}
		})
	}
}

// TestMissedKick: output written without a notification is found by the
// poll.
func TestMissedKick(t *testing.T) {
	b, fr, _ := newTestBackend(t, Config{})
	_, out, cancel := b.Subscribe()
	defer cancel()
	c := collect(out, 5)
	g := &fakeGuest{r: fr, noKick: true}
	g.produce([]byte("quiet"), func() int { return 5 }, time.Now().Add(time.Second))
	if got := recv(t, c, 2*time.Second); string(got) != "quiet" {
		t.Fatalf("got %q", got)
	}
}

// TestClosedKicks: a Kicks channel that is closed does not make the loop
// spin (the notification count stays flat) and output still arrives.
func TestClosedKicks(t *testing.T) {
	fr := newFakeRing()
	close(fr.kicks)
	b, _, _ := newTestBackend(t, Config{Ring: fr})
	_, out, cancel := b.Subscribe()
	defer cancel()
	c := collect(out, 2)
	g := &fakeGuest{r: fr, noKick: true}
	g.produce([]byte("ok"), func() int { return 2 }, time.Now().Add(time.Second))
	if got := recv(t, c, 2*time.Second); string(got) != "ok" {
		t.Fatalf("got %q", got)
	}
	before := fr.notifies.Load()
	time.Sleep(200 * time.Millisecond)
	if n := fr.notifies.Load() - before; n != 0 {
		t.Fatalf("%d notifications with no output: the loop spins", n)
	}
}

// TestOutputBeforeConnect: output the guest wrote before the back end
// started is read at start; output written just before Close (without a
// kick) is read by Close's final pass; both reach readers and the log.
func TestOutputBeforeConnect(t *testing.T) {
	fr := newFakeRing()
	g := &fakeGuest{r: fr, noKick: true}
	g.produce([]byte("early boot\n"), func() int { return 100 }, time.Now())
	logPath := filepath.Join(t.TempDir(), "c.log")
	b, _, _ := newTestBackend(t, Config{Ring: fr, LogPath: logPath})
	waitFor(t, 2*time.Second, "early output", func() bool {
		h, _, cancel := b.Subscribe()
		cancel()
		return string(h) == "early boot\n"
	})
	_, out, cancel := b.Subscribe()
	defer cancel()
	c := collect(out, -1)
	g.produce([]byte("last words\n"), func() int { return 100 }, time.Now())
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, c, 2*time.Second); string(got) != "last words\n" {
		t.Fatalf("reader got %q", got)
	}
	if l, _ := os.ReadFile(logPath); string(l) != "early boot\nlast words\n" {
		t.Fatalf("log file %q", l)
	}
}

// TestClose: Close closes the Ring once, the readers' channels and Done;
// afterwards Write and AcquireWriter fail with ErrClosed, Subscribe gives
// the history and a closed channel, and Close is idempotent.
func TestClose(t *testing.T) {
	b, fr, _ := newTestBackend(t, Config{HistoryBytes: 4})
	_, out, cancel := b.Subscribe()
	defer cancel()
	(&fakeGuest{r: fr}).produce([]byte("abcdef"), func() int { return 6 }, time.Now())
	waitFor(t, 2*time.Second, "output", func() bool { return sharedpage.Load32(fr.page, offOutCons) == 6 })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitDone(t, b, time.Second)
	if got := recv(t, collect(out, -1), 2*time.Second); string(got) != "abcdef" {
		t.Fatalf("reader got %q before close", got)
	}
	if fr.closes.Load() != 1 || fr.lateNote.Load() != 0 {
		t.Fatalf("ring closed %d times, %d notifies after close", fr.closes.Load(), fr.lateNote.Load())
	}
	if _, err := b.Write(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write: %v", err)
	}
	if _, err := b.AcquireWriter(); !errors.Is(err, ErrClosed) {
		t.Fatalf("AcquireWriter: %v", err)
	}
	h, out2, cancel2 := b.Subscribe()
	if string(h) != "cdef" {
		t.Fatalf("history %q, want the last 4 bytes", h)
	}
	if _, ok := <-out2; ok {
		t.Fatal("channel from Subscribe after Close is open")
	}
	cancel2()
	if err := b.Close(); err != nil || fr.closes.Load() != 1 {
		t.Fatalf("second Close: %v, ring closed %d times", err, fr.closes.Load())
	}
}

// TestCancel: cancel closes the reader's channel and stops queueing for
// it; the other readers are unaffected.
func TestCancel(t *testing.T) {
	b, fr, _ := newTestBackend(t, Config{})
	_, out, cancel := b.Subscribe()
	cancel()
	cancel()
	if _, ok := <-out; ok {
		t.Fatal("cancelled channel delivered")
	}
	b.mu.Lock()
	n := len(b.readers)
	b.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d readers after cancel", n)
	}
	_, out2, cancel2 := b.Subscribe()
	defer cancel2()
	c := collect(out2, 3)
	(&fakeGuest{r: fr}).produce([]byte("abc"), func() int { return 3 }, time.Now())
	if got := recv(t, c, 2*time.Second); string(got) != "abc" {
		t.Fatalf("got %q", got)
	}
}

func TestNewChecks(t *testing.T) {
	short := newFakeRing()
	short.page = short.page[:100]
	odd := newFakeRing()
	odd.page = make([]byte, pageSize+1)[1:]
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  Config
		is   error
	}{
		{"no ring", Config{}, nil},
		{"short page", Config{Ring: short}, ErrBadRing},
		{"misaligned page", Config{Ring: odd}, ErrBadRing},
		{"negative history", Config{Ring: newFakeRing(), HistoryBytes: -1}, nil},
		{"log directory is a file", Config{Ring: newFakeRing(), LogPath: filepath.Join(notDir, "x.log")}, nil},
	} {
		c.cfg.Domid = 3
		b, err := New(c.cfg)
		if err == nil {
			b.Close()
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.is != nil && !errors.Is(err, c.is) || !strings.Contains(err.Error(), "domain 3") {
			t.Errorf("%s: %v", c.name, err)
		}
		if fr, ok := c.cfg.Ring.(*fakeRing); ok && fr.closes.Load() != 0 {
			t.Errorf("%s: New closed the ring it did not take", c.name)
		}
	}
}

// TestTransitions: only the diagram's edges are legal.
func TestTransitions(t *testing.T) {
	b, _, _ := newTestBackend(t, Config{})
	b.mu.Lock()
	err := b.transition(stateClosed)
	b.mu.Unlock()
	if !errors.Is(err, ErrBadTransition) {
		t.Fatalf("Connected -> Closed: %v", err)
	}
	b.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, to := range []state{stateConnected, stateClosing, stateClosed} {
		if err := b.transition(to); !errors.Is(err, ErrBadTransition) {
			t.Errorf("Closed -> %s: %v", to, err)
		}
	}
	if b.state != stateClosed {
		t.Fatalf("state %s", b.state)
	}
}
