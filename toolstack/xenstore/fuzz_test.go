package xenstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// wireSeeds are message streams for the fuzzers' corpora.
func wireSeeds() [][]byte {
	msg := func(typ, tx uint32, payload []byte) []byte {
		return (&Message{Type: typ, ReqID: 1, TxID: tx, Payload: payload}).Append(nil)
	}
	var all []byte
	seeds := [][]byte{
		msg(hypercall.XsWrite, 0, append(args("/a/b"), "value"...)),
		msg(hypercall.XsRead, 0, args("/a/b")),
		msg(hypercall.XsDirectory, 0, args("/")),
		msg(hypercall.XsDirectoryPart, 0, args("/", "0")),
		msg(hypercall.XsGetPerms, 0, args("/a")),
		msg(hypercall.XsSetPerms, 0, args("/a", "n0", "r5")),
		msg(hypercall.XsWatch, 0, args("/a", "tok")),
		msg(hypercall.XsUnwatch, 0, args("/a", "tok")),
		msg(hypercall.XsTransactionStart, 0, args("")),
		msg(hypercall.XsWrite, 1, append(args("rel"), "v"...)),
		msg(hypercall.XsTransactionEnd, 1, args("T")),
		msg(hypercall.XsMkdir, 0, args("/m")),
		msg(hypercall.XsRm, 0, args("/a")),
		msg(hypercall.XsGetDomainPath, 0, args("5")),
		msg(hypercall.XsIsDomainIntroduced, 0, args("5")),
		msg(hypercall.XsResetWatches, 0, args("")),
		msg(hypercall.XsControl, 0, args("print", "x")),
		msg(hypercall.XsIntroduce, 0, args("5", "1", "2")),
		msg(hypercall.XsRelease, 0, args("5")),
		msg(99, 0, nil),
	}
	for _, s := range seeds {
		all = append(all, s...)
	}
	tooLong := msg(hypercall.XsRead, 0, nil)
	binary.LittleEndian.PutUint32(tooLong[12:], hypercall.XenstorePayloadMax+1)
	return append(seeds, all, tooLong, all[:len(all)-3])
}

// FuzzWireDecode feeds a socket byte stream to the decoder and every
// message it accepts to the server, as dom0 and as a domain: decoding
// never panics, every accepted message re-encodes to exactly the bytes
// it came from, and each request gets exactly one well-formed reply.
func FuzzWireDecode(f *testing.F) {
	for _, s := range wireSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New(Config{Log: testLog()})
		defer s.Close()
		s.mu.Lock()
		conns := []*conn{s.newConn(0, "fuzz"), s.newConn(5, "fuzz")}
		s.mu.Unlock()
		r := bytes.NewReader(data)
		for {
			off := len(data) - r.Len()
			m, err := ReadMessage(r)
			if err != nil {
				switch {
				case errors.Is(err, io.EOF):
					if off != len(data) {
						t.Fatalf("EOF at %d of %d", off, len(data))
					}
				case errors.Is(err, io.ErrUnexpectedEOF):
				case errors.Is(err, ErrPayloadTooLong):
					if binary.LittleEndian.Uint32(data[off+12:]) <= hypercall.XenstorePayloadMax {
						t.Fatal("ErrPayloadTooLong for a valid length")
					}
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			end := len(data) - r.Len()
			if enc := m.Append(nil); !bytes.Equal(enc, data[off:end]) {
				t.Fatalf("re-encoding differs:\n% x\n% x", enc, data[off:end])
			}
			for _, c := range conns {
				s.process(c, m)
				replies := 0
				for b := c.out.pop(); b != nil; b = c.out.pop() {
					h, err := decodeHeader(b)
					if err != nil || int(h.Len) != len(b)-HeaderSize {
						t.Fatalf("malformed queued message %v", err)
					}
					if h.Type == hypercall.XsWatchEvent {
						if len(payloadStrings(b[HeaderSize:])) != 2 {
							t.Fatalf("malformed event %q", b[HeaderSize:])
						}
						continue
					}
					replies++
					if h.ReqId != m.ReqID || h.TxId != m.TxID || (h.Type != m.Type && h.Type != hypercall.XsError) {
						t.Fatalf("reply %+v to %s", h, typeName(m.Type))
					}
				}
				if replies != 1 && !c.dropped {
					t.Fatalf("%d replies to %s", replies, typeName(m.Type))
				}
			}
		}
	})
}

// syncRing attaches ring to a new connection for domid without a
// goroutine, keeping whatever indexes the page holds, so a test can drive
// ringConn.step itself.
func (s *Server) syncRing(t testing.TB, domid uint16, ring Ring) *ringConn {
	rc, err := newRingConn(ring)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	rc.s, rc.c = s, s.newConn(domid, "fuzz-ring")
	s.mu.Unlock()
	rc.reqCons = sharedpage.Load32(rc.page, offReqCons)
	rc.rspProd = sharedpage.Load32(rc.page, offRspProd)
	return rc
}

// settle steps rc until it makes no progress, failing if that takes more
// steps than a static guest allows (each step moves at least one byte of
// at most two 1024-byte rings, or does the one reconnection).
func settle(t *testing.T, rc *ringConn) {
	const maxSteps = 2*hypercall.XenstoreRingSize + 8
	for i := 0; rc.step(); i++ {
		if i > maxSteps {
			t.Fatalf("ring loop does not settle: req %d/%d rsp %d/%d", sharedpage.Load32(rc.page, offReqCons), sharedpage.Load32(rc.page, offReqProd),
				sharedpage.Load32(rc.page, offRspCons), sharedpage.Load32(rc.page, offRspProd))
		}
	}
	if rc.failed {
		if e := sharedpage.Load32(rc.page, offError); e != hypercall.XenstoreErrorComm && e != hypercall.XenstoreErrorRingidx && e != hypercall.XenstoreErrorProto {
			t.Fatalf("failed with error field %d", e)
		}
		return
	}
	// (The page's req_cons and rsp_prod are ours but the guest may
	// scribble on them; our copies are what count.)
	if rc.rspProd-sharedpage.Load32(rc.page, offRspCons) > hypercall.XenstoreRingSize {
		t.Fatal("rsp overfilled")
	}
	if d := sharedpage.Load32(rc.page, offReqProd) - rc.reqCons; d > hypercall.XenstoreRingSize {
		t.Fatal("bad req index accepted")
	} else if d != 0 && !rc.c.out.full() {
		t.Fatalf("%d request bytes left unconsumed", d)
	}
	if rc.inLen >= rc.need || rc.need > MaxMessageSize {
		t.Fatalf("message assembly %d/%d", rc.inLen, rc.need)
	}
}

// FuzzRing runs the ring transport against arbitrary guest state (the
// bytes in req, the four indexes, the connection field), then against a
// script of guest index and data changes: it never panics, always
// settles (no endless loop), and keeps its indexes sane or stops with the
// error field set.
func FuzzRing(f *testing.F) {
	for _, s := range wireSeeds() {
		n := min(len(s), hypercall.XenstoreRingSize)
		f.Add(s[:n], uint32(0), uint32(n), uint32(0), uint32(0), uint32(0), []byte{})
		f.Add(s[:n], uint32(1<<32-10), uint32(1<<32-10+n), uint32(7), uint32(7), uint32(0),
			[]byte{1, 5, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 2, 1, 0, 0, 0, 4, 0, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, req []byte, reqCons, reqProd, rspCons, rspProd, connection uint32, script []byte) {
		s := New(Config{Log: testLog(), MaxQueuedEvents: 16})
		defer s.Close()
		ring := newFakeRing()
		for i, b := range req[:min(len(req), hypercall.XenstoreRingSize)] {
			ring.page[offReq+int((reqCons+uint32(i))&ringMask)] = b
		}
		for off, v := range map[int]uint32{offReqCons: reqCons, offReqProd: reqProd, offRspCons: rspCons, offRspProd: rspProd, offConnection: connection} {
			sharedpage.Store32(ring.page, off, v)
		}
		rc := s.syncRing(t, 5, ring)
		settle(t, rc)
		for len(script) >= 5 {
			v := binary.LittleEndian.Uint32(script[1:5])
			switch script[0] % 6 {
			case 0: // guest produces: a wild or a plausible req_prod
				sharedpage.Store32(ring.page, offReqProd, v)
			case 1:
				sharedpage.Store32(ring.page, offReqProd, sharedpage.Load32(ring.page, offReqCons)+v%(hypercall.XenstoreRingSize+2))
			case 2: // guest consumes: wild or plausible rsp_cons
				sharedpage.Store32(ring.page, offRspCons, v)
			case 3:
				sharedpage.Store32(ring.page, offRspCons, sharedpage.Load32(ring.page, offRspProd)-v%(hypercall.XenstoreRingSize+2))
			case 4: // guest asks to reconnect, or scribbles on our indexes
				sharedpage.Store32(ring.page, []int{offConnection, offReqCons, offRspProd}[v%3], v>>2&1)
			case 5: // guest changes request bytes under us
				ring.page[offReq+int(v%hypercall.XenstoreRingSize)] = byte(v >> 24)
			}
			script = script[5:]
			settle(t, rc)
		}
	})
}
