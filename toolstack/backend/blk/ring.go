package blk

import (
	"encoding/binary"
	"fmt"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// Layout of a one-page blkif shared ring (DEFINE_RING_TYPES(blkif, ...),
// digest 7.1 and 9.4).
const (
	offReqProd  = 0  // written by the front end
	offReqEvent = 4  // written by the back end
	offRspProd  = 8  // written by the back end
	offRspEvent = 12 // written by the front end
	offSlots    = 64 // ring[] of union {request, response}

	pageSize  = 4096
	slotSize  = 112 // sizeof(blkif_request), the larger union member
	rspSize   = 16  // sizeof(blkif_response)
	ringSize  = hypercall.BlkifRingSize
	ringMask  = ringSize - 1
	slotsSize = ringSize * slotSize
)

// ring is the back end's side of one blkif sring page: our private
// req_cons and rsp_prod_pvt, and the checks on the front end's req_prod.
// The page's copies of the indexes we own (rsp_prod, req_event) are
// written by us but the guest can scribble on them, so after newRing we
// never read them back except rsp_prod in push (only to compute the
// notify window, where a scribbled value merely causes an extra or a
// missing notification of a misbehaving guest).
//
// Locking: a ring is used by one goroutine only (Backend.run).
type ring struct {
	page       []byte // the sring page, aliasing guest memory
	reqCons    uint32 // every request before it has been copied out
	rspProdPvt uint32 // every response before it has been written (maybe not pushed)
	rspPushed  uint32 // rsp_prod as we last published it
}

// newRing checks page and takes the back end's indexes from it: a freshly
// initialised ring has them all 0; a back end reconnecting to a running
// front end carries on after the last pushed response.
func newRing(page []byte) (*ring, error) {
	if len(page) < pageSize {
		return nil, fmt.Errorf("%w: page is %d bytes, want %d", ErrBadRing, len(page), pageSize)
	}
	if !sharedpage.Aligned(page, 0) {
		return nil, fmt.Errorf("%w: index words not 4-byte aligned", ErrBadRing)
	}
	page = page[:pageSize:pageSize]
	rsp := sharedpage.Load32(page, offRspProd)
	return &ring{page: page, reqCons: rsp, rspProdPvt: rsp, rspPushed: rsp}, nil
}

// pending returns the number of published, unconsumed requests. A
// req_prod that lets the front end have more than ringSize requests
// outstanding (ahead of our oldest unanswered slot), or that runs
// backwards past req_cons, is ErrRingIndex.
func (r *ring) pending() (int, error) {
	prod := sharedpage.Load32(r.page, offReqProd) // acquire: slots before prod are written
	if prod-r.reqCons > ringSize || prod-r.rspProdPvt > ringSize {
		return 0, fmt.Errorf("%w: req_prod %d with req_cons %d, rsp_prod %d (ring holds %d)",
			ErrRingIndex, prod, r.reqCons, r.rspProdPvt, ringSize)
	}
	return int(prod - r.reqCons), nil
}

// take copies the next request slot out of shared memory into dst and
// advances req_cons. The caller has seen pending() > 0. The bytes are
// only looked at (decoded and validated) after they are in dst, so a
// front end rewriting the slot concurrently cannot change a checked value.
func (r *ring) take(dst *[slotSize]byte) {
	off := offSlots + int(r.reqCons&ringMask)*slotSize
	copy(dst[:], r.page[off:off+slotSize])
	r.reqCons++
}

// put writes a response into the next response slot (not yet visible to
// the front end: see push).
func (r *ring) put(id uint64, op uint8, status int16) {
	off := offSlots + int(r.rspProdPvt&ringMask)*slotSize
	s := r.page[off : off+rspSize]
	binary.LittleEndian.PutUint64(s[0:], id)
	s[8] = op
	s[9] = 0
	binary.LittleEndian.PutUint16(s[10:], uint16(status))
	binary.LittleEndian.PutUint32(s[12:], 0)
	r.rspProdPvt++
}

// push publishes the responses written since the last push and reports
// whether the front end asked to be notified: iff rsp_event lies in
// (old, new] (digest 7.2, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY).
func (r *ring) push() bool {
	old, nw := r.rspPushed, r.rspProdPvt
	if old == nw {
		return false
	}
	sharedpage.Store32(r.page, offRspProd, nw) // release: the response bodies are written
	r.rspPushed = nw
	ev := sharedpage.Load32(r.page, offRspEvent) // the atomic store above is a full barrier
	return nw-ev < nw-old
}

// finalCheck is the consumer's check before sleeping (digest 7.2,
// RING_FINAL_CHECK_FOR_REQUESTS): with no requests pending, it asks for a
// notification at the next request (req_event = req_cons+1) and checks
// again, closing the race with a front end that published in between.
func (r *ring) finalCheck() (int, error) {
	n, err := r.pending()
	if err != nil || n > 0 {
		return n, err
	}
	sharedpage.Store32(r.page, offReqEvent, r.reqCons+1) // sequentially consistent: full barrier
	return r.pending()
}
