package xenstore

import (
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// testLog is where servers under test log: stderr with XENSTORE_TEST_LOG=1.
func testLog() *slog.Logger {
	if os.Getenv("XENSTORE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Log == nil {
		cfg.Log = testLog()
	}
	s := New(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

// short abbreviates a payload for a failure message.
func short(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// testConn is a connection without a transport: requests go straight to
// Server.process and the queue is read back synchronously.
type testConn struct {
	t      testing.TB
	s      *Server
	c      *conn
	events []WatchEvent // events received so far, in order
}

func (s *Server) testConn(t testing.TB, domid uint16) *testConn {
	s.mu.Lock()
	c := s.newConn(domid, "test")
	s.mu.Unlock()
	return &testConn{t: t, s: s, c: c}
}

// args builds a payload of NUL-terminated strings.
func args(a ...string) []byte {
	var b []byte
	for _, s := range a {
		b = appendString(b, s)
	}
	return b
}

// drain moves queued events to tc.events and returns queued replies.
func (tc *testConn) drain() []Message {
	var replies []Message
	for {
		b := tc.c.out.pop()
		if b == nil {
			return replies
		}
		h, err := decodeHeader(b)
		if err != nil {
			tc.t.Fatalf("bad queued message: %v", err)
		}
		m := Message{Type: h.Type, ReqID: h.ReqId, TxID: h.TxId, Payload: b[HeaderSize:]}
		if m.Type == hypercall.XsWatchEvent {
			f := payloadStrings(m.Payload)
			tc.events = append(tc.events, WatchEvent{Path: f[0], Token: f[1]})
			continue
		}
		replies = append(replies, m)
	}
}

// send processes one message and returns its reply.
func (tc *testConn) send(m Message) Message {
	tc.t.Helper()
	tc.s.process(tc.c, m)
	r := tc.drain()
	if len(r) != 1 {
		tc.t.Fatalf("%s: got %d replies, want 1", typeName(m.Type), len(r))
	}
	if r[0].ReqID != m.ReqID || r[0].TxID != m.TxID {
		tc.t.Fatalf("%s: reply req_id/tx_id %d/%d, want %d/%d", typeName(m.Type), r[0].ReqID, r[0].TxID, m.ReqID, m.TxID)
	}
	if r[0].Type != m.Type && r[0].Type != hypercall.XsError {
		tc.t.Fatalf("%s: reply type %s", typeName(m.Type), typeName(r[0].Type))
	}
	return r[0]
}

// do sends typ with payload in transaction tx and returns the reply
// payload and the errno name ("" on success).
func (tc *testConn) do(typ, tx uint32, payload []byte) (string, string) {
	tc.t.Helper()
	r := tc.send(Message{Type: typ, ReqID: 77, TxID: tx, Payload: payload})
	if r.Type == hypercall.XsError {
		name, _ := oneArg(r.Payload)
		return "", name
	}
	return string(r.Payload), ""
}

// ok sends and fails the test on an error reply.
func (tc *testConn) ok(typ, tx uint32, payload []byte) string {
	tc.t.Helper()
	out, e := tc.do(typ, tx, payload)
	if e != "" {
		tc.t.Fatalf("%s %q (domid %d): %s", typeName(typ), short(payload), tc.c.domid, e)
	}
	return out
}

// fails sends and checks the error reply.
func (tc *testConn) fails(want string, typ, tx uint32, payload []byte) {
	tc.t.Helper()
	out, e := tc.do(typ, tx, payload)
	if e != want {
		tc.t.Fatalf("%s %q (domid %d): got %q err %q, want error %s", typeName(typ), short(payload), tc.c.domid, short([]byte(out)), e, want)
	}
}

func (tc *testConn) write(path, value string) {
	tc.t.Helper()
	tc.ok(hypercall.XsWrite, 0, append(args(path), value...))
}

func (tc *testConn) read(path string) string {
	tc.t.Helper()
	return tc.ok(hypercall.XsRead, 0, args(path))
}

func (tc *testConn) dir(path string) []string {
	tc.t.Helper()
	return payloadStrings([]byte(tc.ok(hypercall.XsDirectory, 0, args(path))))
}

func (tc *testConn) perms(path string) string {
	tc.t.Helper()
	return strings.Join(payloadStrings([]byte(tc.ok(hypercall.XsGetPerms, 0, args(path)))), ",")
}

func (tc *testConn) setPerms(path string, perms ...string) {
	tc.t.Helper()
	tc.ok(hypercall.XsSetPerms, 0, args(append([]string{path}, perms...)...))
}

func (tc *testConn) watch(path, token string) {
	tc.t.Helper()
	tc.ok(hypercall.XsWatch, 0, args(path, token))
}

// takeEvents returns and forgets the events received so far.
func (tc *testConn) takeEvents() []WatchEvent {
	tc.drain()
	ev := tc.events
	tc.events = nil
	return ev
}

func (tc *testConn) expectEvents(want ...WatchEvent) {
	tc.t.Helper()
	got := tc.takeEvents()
	if !slices.Equal(got, want) {
		tc.t.Fatalf("events (domid %d): got %v, want %v", tc.c.domid, got, want)
	}
}

// ---- fake ring and guest ----

// fakeRing is a Ring over a plain page: the test plays the guest.
type fakeRing struct {
	page      []byte
	kicks     chan struct{} // guest -> xenstored
	notes     chan struct{} // xenstored -> guest
	closed    chan struct{}
	closeOnce sync.Once
	notifies  atomic.Int64
}

func newFakeRing() *fakeRing {
	return &fakeRing{
		page:   make([]byte, ringPageSize),
		kicks:  make(chan struct{}, 1),
		notes:  make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
}

func (r *fakeRing) Page() []byte           { return r.page }
func (r *fakeRing) Kicks() <-chan struct{} { return r.kicks }
func (r *fakeRing) Notify() error {
	r.notifies.Add(1)
	select {
	case r.notes <- struct{}{}:
	default:
	}
	return nil
}
func (r *fakeRing) Close() error {
	r.closeOnce.Do(func() { close(r.closed) })
	return nil
}
func (r *fakeRing) kick() {
	select {
	case r.kicks <- struct{}{}:
	default:
	}
}
func (r *fakeRing) isClosed() bool {
	select {
	case <-r.closed:
		return true
	default:
		return false
	}
}

// fakeGuest drives the guest side of a fakeRing as Linux's xenbus does:
// stream bytes into req, kick; read from rsp, kick.
type fakeGuest struct {
	t       testing.TB
	r       *fakeRing
	reqProd uint32
	rspCons uint32
	events  []WatchEvent
	reqID   uint32
}

const guestTimeout = 5 * time.Second

func newFakeGuest(t testing.TB, r *fakeRing) *fakeGuest { return &fakeGuest{t: t, r: r} }

func (g *fakeGuest) wait(what string) {
	select {
	case <-g.r.notes:
	case <-time.After(guestTimeout):
		g.t.Fatalf("guest: no notification while %s (error field %d)", what, sharedpage.Load32(g.r.page, offError))
	}
}

// writeBytes streams b into the req ring, waiting for space.
func (g *fakeGuest) writeBytes(b []byte) {
	for len(b) > 0 {
		cons := sharedpage.Load32(g.r.page, offReqCons)
		space := hypercall.XenstoreRingSize - int(g.reqProd-cons)
		if space == 0 {
			g.r.kick()
			g.wait("writing")
			continue
		}
		start := int(g.reqProd & ringMask)
		n := min(space, len(b), hypercall.XenstoreRingSize-start)
		copy(g.r.page[offReq+start:], b[:n])
		g.reqProd += uint32(n)
		sharedpage.Store32(g.r.page, offReqProd, g.reqProd)
		b = b[n:]
		g.r.kick()
	}
}

// readBytes reads n bytes from the rsp ring, waiting for data.
func (g *fakeGuest) readBytes(n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		prod := sharedpage.Load32(g.r.page, offRspProd)
		avail := int(prod - g.rspCons)
		if avail == 0 {
			g.wait("reading")
			continue
		}
		start := int(g.rspCons & ringMask)
		k := min(avail, n-len(out), hypercall.XenstoreRingSize-start)
		out = append(out, g.r.page[offRsp+start:offRsp+start+k]...)
		g.rspCons += uint32(k)
		sharedpage.Store32(g.r.page, offRspCons, g.rspCons)
		g.r.kick()
	}
	return out
}

func (g *fakeGuest) send(m Message) uint32 {
	g.reqID++
	m.ReqID = g.reqID
	g.writeBytes(m.Append(nil))
	return m.ReqID
}

func (g *fakeGuest) readMessage() Message {
	h, err := decodeHeader(g.readBytes(HeaderSize))
	if err != nil {
		g.t.Fatalf("guest: bad reply header: %v", err)
	}
	return Message{Type: h.Type, ReqID: h.ReqId, TxID: h.TxId, Payload: g.readBytes(int(h.Len))}
}

// reply reads messages until a reply, keeping events.
func (g *fakeGuest) reply() Message {
	for {
		m := g.readMessage()
		if m.Type != hypercall.XsWatchEvent {
			return m
		}
		f := payloadStrings(m.Payload)
		g.events = append(g.events, WatchEvent{Path: f[0], Token: f[1]})
	}
}

// do sends a request and returns reply payload and errno name.
func (g *fakeGuest) do(typ uint32, payload []byte) (string, string) {
	g.t.Helper()
	id := g.send(Message{Type: typ, Payload: payload})
	r := g.reply()
	if r.ReqID != id {
		g.t.Fatalf("guest: reply req_id %d, want %d", r.ReqID, id)
	}
	if r.Type == hypercall.XsError {
		name, _ := oneArg(r.Payload)
		return "", name
	}
	if r.Type != typ {
		g.t.Fatalf("guest: reply type %s to %s", typeName(r.Type), typeName(typ))
	}
	return string(r.Payload), ""
}

func (g *fakeGuest) ok(typ uint32, payload []byte) string {
	g.t.Helper()
	out, e := g.do(typ, payload)
	if e != "" {
		g.t.Fatalf("guest: %s %q: %s", typeName(typ), short(payload), e)
	}
	return out
}

// introduceGuest introduces domid with a fake ring and returns its guest.
func introduceGuest(t testing.TB, s *Server, domid uint16) (*fakeRing, *fakeGuest) {
	t.Helper()
	r := newFakeRing()
	if err := s.Introduce(domid, r); err != nil {
		t.Fatal(err)
	}
	return r, newFakeGuest(t, r)
}

// waitFor polls cond for up to guestTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guestTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
