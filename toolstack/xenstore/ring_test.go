package xenstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// TestRingOffsets checks the page offsets ring.go uses against the ABI
// mirror (whose layout hypercall's gcc test checks against xs_wire.h).
func TestRingOffsets(t *testing.T) {
	v := hypercall.XenstoreDomainInterface{ReqCons: 1, ReqProd: 2, RspCons: 3, RspProd: 4, ServerFeatures: 5, Connection: 6, Error: 7}
	v.Req[0], v.Rsp[0] = 0xaa, 0xbb
	b := make([]byte, hypercall.SizeOf[hypercall.XenstoreDomainInterface]())
	if err := hypercall.Encode(b, &v); err != nil {
		t.Fatal(err)
	}
	if b[offReq] != 0xaa || b[offRsp] != 0xbb {
		t.Error("req/rsp offsets")
	}
	for off, want := range map[int]uint32{offReqCons: 1, offReqProd: 2, offRspCons: 3, offRspProd: 4, offServerFeatures: 5, offConnection: 6, offError: 7} {
		if got := binary.LittleEndian.Uint32(b[off:]); got != want {
			t.Errorf("offset %d holds field %d, want %d", off, got, want)
		}
	}
	if len(b) > ringPageSize {
		t.Fatal("interface larger than a page")
	}
}

func TestRingIntroduceChecks(t *testing.T) {
	s := newTestServer(t, Config{})
	short := newFakeRing()
	short.page = short.page[:100]
	if err := s.Introduce(3, short); !errors.Is(err, ErrBadRing) {
		t.Fatalf("short page: %v", err)
	}
	odd := newFakeRing()
	odd.page = make([]byte, ringPageSize+1)[1:]
	if err := s.Introduce(3, odd); !errors.Is(err, ErrBadRing) {
		t.Fatalf("misaligned page: %v", err)
	}
	for _, d := range []uint16{0, hypercall.DomidSelf, 0xffff} {
		if err := s.Introduce(d, newFakeRing()); !errors.Is(err, ErrBadDomid) {
			t.Fatalf("domid %d: %v", d, err)
		}
	}
	r := newFakeRing()
	sharedpage.Store32(r.page, offReqProd, 77) // stale indexes are reset, as C does
	sharedpage.Store32(r.page, offConnection, hypercall.XenstoreReconnect)
	if err := s.Introduce(3, r); err != nil {
		t.Fatal(err)
	}
	if f := sharedpage.Load32(r.page, offServerFeatures); f != hypercall.XenstoreServerFeatureReconnection|hypercall.XenstoreServerFeatureError {
		t.Errorf("server_features %#x", f)
	}
	if sharedpage.Load32(r.page, offReqProd) != 0 || sharedpage.Load32(r.page, offConnection) != hypercall.XenstoreConnected {
		t.Error("indexes or connection not reset")
	}
	if err := s.Release(3); err != nil || !r.isClosed() {
		t.Fatalf("release: %v", err)
	}
	if err := s.Release(3); !errors.Is(err, ErrNotIntroduced) {
		t.Fatalf("second release: %v", err)
	}
}

// TestRingWrap sends requests and replies of random sizes, many times
// around the 1024-byte rings, up to a full 4096-byte payload each way.
func TestRingWrap(t *testing.T) {
	s := newTestServer(t, Config{Quota: Quota{NodeSize: 8192}})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/5"))
	d0.setPerms("/local/domain/5", "n5")
	ring, g := introduceGuest(t, s, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for i := range 300 {
		path := fmt.Sprintf("data/k%d", i%17)
		value := strings.Repeat(string(rune('a'+i%26)), rng.IntN(1900))
		g.ok(hypercall.XsWrite, append(args(path), value...))
		if got := g.ok(hypercall.XsRead, args(path)); got != value {
			t.Fatalf("round %d: read %d bytes, want %d", i, len(got), len(value))
		}
		total += 2*len(value) + 2*len(path) + 4*HeaderSize
	}
	if total < 100*hypercall.XenstoreRingSize {
		t.Fatalf("only %d bytes: not enough wraps", total)
	}
	// A full payload: "/local/domain/5/max" NUL and the value fill 4096.
	path := "/local/domain/5/max"
	value := strings.Repeat("M", hypercall.XenstorePayloadMax-len(path)-1)
	g.ok(hypercall.XsWrite, append(args(path), value...))
	if got := g.ok(hypercall.XsRead, args(path)); got != value {
		t.Fatalf("max read: %d bytes", len(got))
	}
	// A reply too big for the payload is E2BIG, not a broken ring.
	for i := range 130 {
		d0.write(fmt.Sprintf("/local/domain/5/dir/a-rather-long-child-name-number-%03d", i), "")
	}
	if _, e := g.do(hypercall.XsDirectory, args("dir")); e != "E2BIG" {
		t.Fatalf("big directory: %q", e)
	}
	if sharedpage.Load32(ring.page, offError) != 0 {
		t.Fatal("error field set")
	}
	if got, want := sharedpage.Load32(ring.page, offReqCons), g.reqProd; got != want {
		t.Fatalf("req_cons %d, req_prod %d", got, want)
	}
}

// pipeline sends all of msgs without waiting for replies, reading
// replies whenever the req ring is full, like an event-driven guest.
func (g *fakeGuest) pipeline(msgs []Message) []Message {
	var stream []byte
	for i := range msgs {
		g.reqID++
		msgs[i].ReqID = g.reqID
		stream = msgs[i].Append(stream)
	}
	var replies []Message
	var in []byte
	for len(replies) < len(msgs) {
		progress := false
		// Write what fits.
		if cons := sharedpage.Load32(g.r.page, offReqCons); len(stream) > 0 {
			if space := hypercall.XenstoreRingSize - int(g.reqProd-cons); space > 0 {
				start := int(g.reqProd & ringMask)
				n := min(space, len(stream), hypercall.XenstoreRingSize-start)
				copy(g.r.page[offReq+start:], stream[:n])
				g.reqProd += uint32(n)
				sharedpage.Store32(g.r.page, offReqProd, g.reqProd)
				stream = stream[n:]
				g.r.kick()
				progress = true
			}
		}
		// Read what is there.
		if prod := sharedpage.Load32(g.r.page, offRspProd); prod != g.rspCons {
			start := int(g.rspCons & ringMask)
			n := min(int(prod-g.rspCons), hypercall.XenstoreRingSize-start)
			in = append(in, g.r.page[offRsp+start:offRsp+start+n]...)
			g.rspCons += uint32(n)
			sharedpage.Store32(g.r.page, offRspCons, g.rspCons)
			g.r.kick()
			progress = true
		}
		for len(in) >= HeaderSize {
			h, err := decodeHeader(in)
			if err != nil {
				g.t.Fatal(err)
			}
			if len(in) < HeaderSize+int(h.Len) {
				break
			}
			m := Message{Type: h.Type, ReqID: h.ReqId, TxID: h.TxId, Payload: in[HeaderSize : HeaderSize+h.Len]}
			in = in[HeaderSize+h.Len:]
			if m.Type != hypercall.XsWatchEvent {
				replies = append(replies, m)
			}
		}
		if !progress {
			g.wait("pipelining")
		}
	}
	return replies
}

func TestRingPipelined(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/6"))
	d0.setPerms("/local/domain/6", "n6")
	_, g := introduceGuest(t, s, 6)
	var msgs []Message
	for i := range 500 {
		if i%2 == 0 {
			p := fmt.Sprintf("p/%d", i%50)
			msgs = append(msgs, Message{Type: hypercall.XsWrite, Payload: append(args(p), strings.Repeat("x", i)...)})
		} else {
			p := fmt.Sprintf("p/%d", (i-1)%50) // what the previous request wrote
			msgs = append(msgs, Message{Type: hypercall.XsRead, Payload: args(p)})
		}
	}
	replies := g.pipeline(msgs)
	for i, r := range replies {
		if r.ReqID != msgs[i].ReqID || r.Type != msgs[i].Type {
			t.Fatalf("reply %d: req_id %d type %s, want %d %s", i, r.ReqID, typeName(r.Type), msgs[i].ReqID, typeName(msgs[i].Type))
		}
		if r.Type == hypercall.XsRead && string(r.Payload) != strings.Repeat("x", i-1) {
			t.Fatalf("reply %d: %d bytes", i, len(r.Payload))
		}
	}
}

func TestRingWatchEvents(t *testing.T) {
	s := newTestServer(t, Config{})
	if err := s.WriteDomainNodes(DomainNodes{Domid: 7, Name: "g", VCPUs: 1, MaxMemKiB: 1024}); err != nil {
		t.Fatal(err)
	}
	_, g := introduceGuest(t, s, 7)
	g.ok(hypercall.XsWatch, args("control/shutdown", "shut"))
	g.ok(hypercall.XsRead, args("name")) // the initial event arrives first
	d0 := s.testConn(t, 0)
	d0.write("/local/domain/7/control/shutdown", "poweroff")
	if got := g.ok(hypercall.XsRead, args("control/shutdown")); got != "poweroff" {
		t.Fatal(got)
	}
	want := []WatchEvent{{"control/shutdown", "shut"}, {"control/shutdown", "shut"}}
	if fmt.Sprint(g.events) != fmt.Sprint(want) {
		t.Fatalf("events %v", g.events)
	}
	// The guest answers as Linux does.
	g.ok(hypercall.XsWrite, append(args("control/shutdown"), ""...))
	if got := d0.read("/local/domain/7/control/shutdown"); got != "" {
		t.Fatal(got)
	}
}

// TestRingBadIndexes: out-of-range guest indexes set the error field and
// stop the ring without hanging or spinning; the server goes on.
func TestRingBadIndexes(t *testing.T) {
	cases := []struct {
		name string
		bad  func(g *fakeGuest)
		want uint32
	}{
		{"req_prod too far", func(g *fakeGuest) { sharedpage.Store32(g.r.page, offReqProd, g.reqProd+hypercall.XenstoreRingSize+1) }, hypercall.XenstoreErrorRingidx},
		{"req_prod behind", func(g *fakeGuest) { sharedpage.Store32(g.r.page, offReqProd, g.reqProd-1) }, hypercall.XenstoreErrorRingidx},
		{"rsp_cons ahead", func(g *fakeGuest) { sharedpage.Store32(g.r.page, offRspCons, g.rspCons+5) }, hypercall.XenstoreErrorRingidx},
		{"payload too long", func(g *fakeGuest) {
			h := Message{Type: hypercall.XsRead}
			b := h.Append(nil)
			binary.LittleEndian.PutUint32(b[12:], hypercall.XenstorePayloadMax+1)
			g.writeBytes(b)
		}, hypercall.XenstoreErrorProto},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Config{})
			d0 := s.testConn(t, 0)
			ring, g := introduceGuest(t, s, 8)
			g.ok(hypercall.XsGetDomainPath, args("8"))
			tc.bad(g)
			ring.kick()
			waitFor(t, "error field", func() bool { return sharedpage.Load32(ring.page, offError) != 0 })
			if got := sharedpage.Load32(ring.page, offError); got != tc.want {
				t.Fatalf("error field %d, want %d", got, tc.want)
			}
			time.Sleep(20 * time.Millisecond) // fail's own notification follows the error field
			before := ring.notifies.Load()
			for range 100 {
				ring.kick()
				time.Sleep(10 * time.Microsecond)
			}
			if n := ring.notifies.Load() - before; n > 0 {
				t.Fatalf("%d notifications after the error: still serving", n)
			}
			d0.write("/still/serving", "yes")
			done := make(chan error)
			go func() { done <- s.Release(8) }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(guestTimeout):
				t.Fatal("Release hangs")
			}
			if !ring.isClosed() {
				t.Fatal("ring not closed")
			}
		})
	}
}

func TestRingReconnect(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/9"))
	d0.setPerms("/local/domain/9", "n9")
	ring, g := introduceGuest(t, s, 9)
	g.ok(hypercall.XsWatch, args("w", "tok"))
	g.ok(hypercall.XsTransactionStart, args(""))
	sharedpage.Store32(ring.page, offConnection, hypercall.XenstoreReconnect)
	ring.kick()
	waitFor(t, "reconnection", func() bool { return sharedpage.Load32(ring.page, offConnection) == hypercall.XenstoreConnected })
	for _, off := range []int{offReqCons, offReqProd, offRspCons, offRspProd} {
		if sharedpage.Load32(ring.page, off) != 0 {
			t.Fatalf("index at %d not reset", off)
		}
	}
	s.mu.Lock()
	c := s.domains[9].c
	watches, txs := len(c.watches), len(c.txs)
	s.mu.Unlock()
	if watches != 0 || txs != 0 {
		t.Fatalf("after reconnect: %d watches, %d transactions", watches, txs)
	}
	g2 := newFakeGuest(t, ring)
	g2.ok(hypercall.XsWrite, append(args("after"), "reconnect"...))
	if got := d0.read("/local/domain/9/after"); got != "reconnect" {
		t.Fatal(got)
	}
}

// TestRingSlowGuest: a guest that stops reading is dropped once its event
// queue is full, and dom0 is never blocked by it.
func TestRingSlowGuest(t *testing.T) {
	s := newTestServer(t, Config{MaxQueuedEvents: 64})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/10"))
	d0.setPerms("/local/domain/10", "n10")
	ring, g := introduceGuest(t, s, 10)
	g.ok(hypercall.XsWatch, args("w", "tok"))
	start := time.Now()
	for i := range 2000 {
		d0.write(fmt.Sprintf("/local/domain/10/w/%d", i), "x")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("dom0 writes took %v", d)
	}
	waitFor(t, "comm error", func() bool { return sharedpage.Load32(ring.page, offError) == hypercall.XenstoreErrorComm })
	if !s.IsIntroduced(10) {
		t.Fatal("dropped domain should stay introduced until released")
	}
}

// TestRingGuestIsUnprivileged: a ring connection is its domain, not dom0.
func TestRingGuestIsUnprivileged(t *testing.T) {
	s := newTestServer(t, Config{})
	_, g := introduceGuest(t, s, 11)
	for _, typ := range []uint32{hypercall.XsIntroduce, hypercall.XsRelease, hypercall.XsControl, hypercall.XsSetTarget, hypercall.XsResume, hypercall.XsIsDomainIntroduced} {
		if _, e := g.do(typ, args("1", "2", "3")); e != "EACCES" {
			t.Errorf("%s from a guest: %q", typeName(typ), e)
		}
	}
	if _, e := g.do(hypercall.XsWrite, append(args("/tool/x"), 'x')); e != "EACCES" {
		t.Errorf("guest write to /tool: %q", e)
	}
	if _, e := g.do(42, nil); e != "ENOSYS" {
		t.Errorf("unknown type: %q", e)
	}
	if got := g.ok(hypercall.XsGetDomainPath, args("11")); got != "/local/domain/11\x00" {
		t.Error(got)
	}
}
