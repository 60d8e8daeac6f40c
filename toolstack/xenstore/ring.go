package xenstore

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// Ring is a guest's xenstore ring page and event channel as dom0 sees
// them. The toolstack implements it over the domain model (a mapping of
// the store gfn and a dom0 event-channel port bound to the guest's store
// port); tests use a fake.
type Ring interface {
	// Page returns the 4096-byte xenstore_domain_interface page,
	// aliasing guest memory. It must be 4-byte aligned and stay valid
	// until Close.
	Page() []byte
	// Notify sends an event on the guest's store port.
	Notify() error
	// Kicks delivers the guest's notifications, coalesced like a
	// pending bit.
	Kicks() <-chan struct{}
	// Close unbinds the port and unmaps the page. xenstored calls it
	// once, when the domain is released, after its last page access.
	Close() error
}

// Connector maps a domain's store page (gfn) and binds its store port,
// for INTRODUCE messages (domid|gfn|port|).
type Connector func(domid uint16, gfn uint64, port uint32) (Ring, error)

// Byte offsets in the ring page (struct xenstore_domain_interface,
// io/xs_wire.h; TestRingOffsets checks them against
// hypercall.XenstoreDomainInterface).
const (
	offReq            = 0
	offRsp            = hypercall.XenstoreRingSize
	offReqCons        = 2 * hypercall.XenstoreRingSize
	offReqProd        = offReqCons + 4
	offRspCons        = offReqCons + 8
	offRspProd        = offReqCons + 12
	offServerFeatures = offReqCons + 16
	offConnection     = offReqCons + 20
	offError          = offReqCons + 24
	ringPageSize      = 4096
	ringMask          = hypercall.XenstoreRingSize - 1
)

// ringConn serves one domain's ring on its own goroutine (run). All page
// access happens on that goroutine, between newRingConn and Ring.Close.
//
// States: serving (the loop copies requests out and replies in), failed
// (a protocol error: the error field is set, the connection's watches
// and transactions are gone, kicks are ignored; C xenstored's
// ignore_connection) and stopped (released: the goroutine closes the
// Ring and exits). serving -> failed -> stopped or serving -> stopped.
type ringConn struct {
	s     *Server
	c     *conn
	ring  Ring
	page  []byte
	kicks <-chan struct{}

	// Owned by the goroutine.
	reqCons uint32 // our copy of req_cons: the page's copy is the guest's to scribble on
	rspProd uint32 // our copy of rsp_prod
	in      [MaxMessageSize]byte
	inLen   int // bytes of the current request copied into in
	need    int // HeaderSize until the header is in, then HeaderSize+len
	hdr     hypercall.XsdSockmsg
	out     []byte // reply or event being copied into rsp
	outOff  int
	failed  bool

	stop chan struct{} // closed by release
	done chan struct{} // closed when the goroutine has closed the Ring
}

// newRingConn checks ring's page.
func newRingConn(ring Ring) (*ringConn, error) {
	page := ring.Page()
	if len(page) < ringPageSize || !sharedpage.Aligned(page, offReqCons) {
		return nil, ErrBadRing
	}
	return &ringConn{
		ring:  ring,
		page:  page,
		kicks: ring.Kicks(),
		need:  HeaderSize,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}, nil
}

// reset zeroes the four indexes (C xenstored does on INTRODUCE), and
// announces the server features: reconnection and the error field.
func (rc *ringConn) reset() {
	for _, off := range []int{offReqCons, offReqProd, offRspCons, offRspProd} {
		sharedpage.Store32(rc.page, off, 0)
	}
	rc.reqCons, rc.rspProd = 0, 0
	rc.inLen, rc.need, rc.out, rc.outOff = 0, HeaderSize, nil, 0
	sharedpage.Store32(rc.page, offServerFeatures, hypercall.XenstoreServerFeatureReconnection|hypercall.XenstoreServerFeatureError)
	sharedpage.Store32(rc.page, offError, hypercall.XenstoreErrorNone)
	sharedpage.Store32(rc.page, offConnection, hypercall.XenstoreConnected)
}

// run serves the ring until release. It never spins: without progress it
// waits for a kick, queued output or release.
func (rc *ringConn) run() {
	defer close(rc.done)
	defer rc.ring.Close()
	defer func() {
		if p := recover(); p != nil {
			rc.c.log.Error("xenstore: panic serving ring, domain no longer served", "panic", p, "stack", string(debug.Stack()))
			rc.failed = true
			sharedpage.Store32(rc.page, offError, hypercall.XenstoreErrorComm)
			rc.s.mu.Lock()
			rc.s.dropConn(rc.c, "")
			rc.s.mu.Unlock()
			<-rc.stop
		}
	}()
	rc.notify() // the guest may have written before it was introduced
	for {
		select {
		case <-rc.stop:
			return
		default:
		}
		if rc.step() {
			rc.notify()
			continue
		}
		select {
		case <-rc.stop:
			return
		case _, ok := <-rc.kicks:
			if !ok {
				rc.kicks = nil // a closed channel would spin
			}
		case <-rc.c.out.signal:
		}
	}
}

// step does one pass: reconnection, requests in, replies and events out.
// It reports whether an index moved (the guest must be notified).
func (rc *ringConn) step() bool {
	if rc.failed {
		return false
	}
	if rc.c.out.isClosed() {
		select {
		case <-rc.stop:
		default:
			// Dropped by the server (too many queued events).
			rc.fail(hypercall.XenstoreErrorComm, fmt.Errorf("connection dropped"))
		}
		return false
	}
	if sharedpage.Load32(rc.page, offConnection) == hypercall.XenstoreReconnect {
		rc.reconnect()
		return true
	}
	movedIn, err := rc.consume()
	movedOut := false
	if err == nil {
		movedOut, err = rc.produce()
	}
	if err != nil {
		code := uint32(hypercall.XenstoreErrorRingidx)
		if errors.Is(err, ErrPayloadTooLong) {
			code = hypercall.XenstoreErrorProto
		}
		rc.fail(code, err)
		return false
	}
	return movedIn || movedOut
}

// consume copies request bytes out of req (before looking at them: the
// guest may change the page at any time) and processes each complete
// message. It stops while the connection has maxPendingReplies replies
// queued.
func (rc *ringConn) consume() (bool, error) {
	prod := sharedpage.Load32(rc.page, offReqProd)
	cons := rc.reqCons
	if prod-cons > hypercall.XenstoreRingSize {
		return false, fmt.Errorf("%w: req_prod %d req_cons %d", ErrRingIndex, prod, cons)
	}
	moved := false
	for cons != prod && !rc.c.out.full() {
		start := int(cons & ringMask)
		n := min(int(prod-cons), rc.need-rc.inLen, hypercall.XenstoreRingSize-start)
		copy(rc.in[rc.inLen:rc.inLen+n], rc.page[offReq+start:offReq+start+n])
		rc.inLen += n
		cons += uint32(n)
		rc.reqCons = cons
		sharedpage.Store32(rc.page, offReqCons, cons)
		moved = true
		if rc.need == HeaderSize && rc.inLen == HeaderSize {
			h, err := decodeHeader(rc.in[:HeaderSize])
			if err != nil {
				return moved, fmt.Errorf("%w: len %d", err, h.Len)
			}
			rc.hdr = h
			rc.need = HeaderSize + int(h.Len)
		}
		if rc.inLen == rc.need {
			m := Message{Type: rc.hdr.Type, ReqID: rc.hdr.ReqId, TxID: rc.hdr.TxId, Payload: slices.Clone(rc.in[HeaderSize:rc.need])}
			rc.inLen, rc.need = 0, HeaderSize
			rc.s.process(rc.c, m)
		}
	}
	return moved, nil
}

// produce copies queued replies and events into rsp as space allows.
func (rc *ringConn) produce() (bool, error) {
	cons := sharedpage.Load32(rc.page, offRspCons)
	prod := rc.rspProd
	if prod-cons > hypercall.XenstoreRingSize {
		return false, fmt.Errorf("%w: rsp_prod %d rsp_cons %d", ErrRingIndex, prod, cons)
	}
	moved := false
	for {
		if rc.outOff == len(rc.out) {
			rc.out, rc.outOff = rc.c.out.pop(), 0
			if rc.out == nil {
				break
			}
		}
		used := int(prod - cons)
		if used == hypercall.XenstoreRingSize {
			break
		}
		start := int(prod & ringMask)
		n := min(hypercall.XenstoreRingSize-used, len(rc.out)-rc.outOff, hypercall.XenstoreRingSize-start)
		copy(rc.page[offRsp+start:offRsp+start+n], rc.out[rc.outOff:rc.outOff+n])
		rc.outOff += n
		prod += uint32(n)
		rc.rspProd = prod
		sharedpage.Store32(rc.page, offRspProd, prod)
		moved = true
	}
	return moved, nil
}

// reconnect serves connection = XENSTORE_RECONNECT: the guest's watches,
// transactions and pending output go, the indexes restart at 0, then
// connection = XENSTORE_CONNECTED.
func (rc *ringConn) reconnect() {
	rc.s.mu.Lock()
	if !rc.c.dropped {
		rc.s.resetConn(rc.c)
	}
	rc.s.mu.Unlock()
	rc.reset()
	rc.c.log.Info("xenstore: guest reconnected")
}

// fail stops serving the ring after a protocol error: the error field
// says why, the connection's state goes, the domain stays introduced
// until released.
func (rc *ringConn) fail(code uint32, err error) {
	rc.failed = true
	sharedpage.Store32(rc.page, offError, code)
	rc.c.log.Warn("xenstore: ring protocol error, domain no longer served", "error", code, "err", err)
	rc.s.mu.Lock()
	rc.s.dropConn(rc.c, "")
	rc.s.mu.Unlock()
	rc.notify()
}

func (rc *ringConn) notify() {
	if err := rc.ring.Notify(); err != nil {
		rc.c.log.Debug("xenstore: notifying the guest failed", "err", err)
	}
}
