package console

import (
	"fmt"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// Byte offsets in the console ring page (struct xencons_interface,
// io/console.h, digest 9.6; TestRingOffsets checks them against
// hypercall.XenconsInterface, whose layout hypercall's gcc test checks
// against the header).
const (
	offIn      = 0                                                          // in[1024]: back end to guest
	offOut     = hypercall.XenconsInRingSize                                // out[2048]: guest to back end
	offInCons  = hypercall.XenconsInRingSize + hypercall.XenconsOutRingSize // written by the guest
	offInProd  = offInCons + 4                                              // written by the back end
	offOutCons = offInCons + 8                                              // written by the back end
	offOutProd = offInCons + 12                                             // written by the guest
	pageSize   = 4096

	inSize  = hypercall.XenconsInRingSize  // bytes in in[]
	outSize = hypercall.XenconsOutRingSize // bytes in out[]
	inMask  = inSize - 1
	outMask = outSize - 1
)

// ring is the back end's side of one console ring page: our private
// copies of the indexes we own, and the checks on the ones the guest owns.
// The page's copies of out_cons and in_prod are written by us but the
// guest can scribble on them, so we never read them back after newRing.
//
// Locking: readOut runs only on the serving goroutine; writeIn runs under
// Backend.pageMu (one writer at a time). The two touch disjoint fields.
type ring struct {
	page []byte // the xencons_interface page, aliasing guest memory

	// Owned by the serving goroutine (readOut).
	outCons uint32 // our out_cons: every byte before it has been copied out

	// Guarded by Backend.pageMu (writeIn).
	inProd     uint32 // our in_prod: every byte before it has been published
	inConsSeen uint32 // the last in_cons the guest showed us; in_cons never moves back
}

// newRing checks page and takes the back end's indexes from it, so a back
// end that reconnects to a running guest carries on where the last one
// stopped (and output the guest wrote before we connected is read). The
// guest's indexes are validated at first use, not here: a hostile value
// stops the back end through the serving loop like any later one.
func newRing(page []byte) (*ring, error) {
	if len(page) < pageSize {
		return nil, fmt.Errorf("%w: page is %d bytes, want %d", ErrBadRing, len(page), pageSize)
	}
	if !sharedpage.Aligned(page, offInCons) {
		return nil, fmt.Errorf("%w: index words not 4-byte aligned", ErrBadRing)
	}
	page = page[:pageSize:pageSize]
	return &ring{
		page:       page,
		outCons:    sharedpage.Load32(page, offOutCons),
		inProd:     sharedpage.Load32(page, offInProd),
		inConsSeen: sharedpage.Load32(page, offInCons),
	}, nil
}

// readOut copies all unread output (at most outSize bytes) into dst, then
// advances out_cons, and returns the byte count. The guest may be
// rewriting the page while we copy: the bytes are only looked at after
// they are in dst. An out_prod more than outSize ahead of our out_cons
// (jumping forward or running backwards) is ErrRingIndex.
func (r *ring) readOut(dst *[outSize]byte) (int, error) {
	prod := sharedpage.Load32(r.page, offOutProd) // acquire: the bytes before prod are written
	cons := r.outCons
	used := prod - cons
	if used > outSize {
		return 0, fmt.Errorf("%w: out_prod %d is %d bytes past out_cons %d (ring holds %d)", ErrRingIndex, prod, int32(used), cons, outSize)
	}
	n := int(used)
	if n == 0 {
		return 0, nil
	}
	start := int(cons & outMask)
	first := min(n, outSize-start)
	copy(dst[:first], r.page[offOut+start:offOut+start+first])
	copy(dst[first:n], r.page[offOut:offOut+n-first])
	r.outCons = prod
	sharedpage.Store32(r.page, offOutCons, prod) // release: the guest may reuse the space
	return n, nil
}

// writeIn copies as much of p as fits into in[], then advances in_prod,
// and returns the byte count (0 when the ring is full). An in_cons outside
// [the last in_cons seen, our in_prod] (past what we produced, or running
// backwards) is ErrRingIndex.
func (r *ring) writeIn(p []byte) (int, error) {
	cons := sharedpage.Load32(r.page, offInCons) // acquire: the guest is done with the bytes before cons
	prod := r.inProd
	if prod-cons > inSize || cons-r.inConsSeen > prod-r.inConsSeen {
		return 0, fmt.Errorf("%w: in_cons %d (last seen %d) with in_prod %d (ring holds %d)", ErrRingIndex, cons, r.inConsSeen, prod, inSize)
	}
	r.inConsSeen = cons
	n := min(len(p), inSize-int(prod-cons))
	if n == 0 {
		return 0, nil
	}
	start := int(prod & inMask)
	first := min(n, inSize-start)
	copy(r.page[offIn+start:offIn+start+first], p[:first])
	copy(r.page[offIn:offIn+n-first], p[first:n])
	prod += uint32(n)
	r.inProd = prod
	sharedpage.Store32(r.page, offInProd, prod) // release: publish the bytes
	return n, nil
}
