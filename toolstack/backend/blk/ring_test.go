package blk

import (
	"errors"
	"testing"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

func TestRingBadPage(t *testing.T) {
	if _, err := newRing(make([]byte, 100)); !errors.Is(err, ErrBadRing) {
		t.Fatalf("short page: %v", err)
	}
	if _, err := newRing(alignedPage()[1:]); !errors.Is(err, ErrBadRing) {
		t.Fatalf("misaligned page: %v", err)
	}
}

func TestRingNotifyWindow(t *testing.T) {
	page := alignedPage()
	sharedpage.Store32(page, offRspEvent, 1)
	r, err := newRing(page)
	if err != nil {
		t.Fatal(err)
	}
	sharedpage.Store32(page, offReqProd, 3)
	var raw [slotSize]byte
	for range 3 {
		r.take(&raw)
	}
	r.put(1, 0, 0)
	if !r.push() { // rsp_event 1 in (0,1]
		t.Fatal("first response not notified")
	}
	r.put(2, 0, 0)
	if r.push() { // rsp_event 1 not in (1,2]
		t.Fatal("notified although the front end did not ask")
	}
	sharedpage.Store32(page, offRspEvent, 3)
	r.put(3, 0, 0)
	if !r.push() {
		t.Fatal("rsp_event 3 in (2,3] not notified")
	}
	if r.push() {
		t.Fatal("empty push notified")
	}
	if got := sharedpage.Load32(page, offRspProd); got != 3 {
		t.Fatalf("rsp_prod %d", got)
	}
}

func TestRingFinalCheck(t *testing.T) {
	page := alignedPage()
	r, _ := newRing(page)
	if n, err := r.finalCheck(); n != 0 || err != nil {
		t.Fatalf("idle: %d %v", n, err)
	}
	if ev := sharedpage.Load32(page, offReqEvent); ev != 1 {
		t.Fatalf("req_event %d, want 1", ev)
	}
	sharedpage.Store32(page, offReqProd, 2)
	if n, err := r.finalCheck(); n != 2 || err != nil {
		t.Fatalf("after publish: %d %v", n, err)
	}
	sharedpage.Store32(page, offReqProd, 40)
	if _, err := r.finalCheck(); !errors.Is(err, ErrRingIndex) {
		t.Fatalf("jump: %v", err)
	}
}

func TestRingTakeCopiesSlot(t *testing.T) {
	page := alignedPage()
	r, _ := newRing(page)
	q := rwReq(opRead, 77, 5, segment{9, 1, 2})
	copy(page[offSlots:], q[:])
	sharedpage.Store32(page, offReqProd, 1)
	var raw [slotSize]byte
	r.take(&raw)
	page[offSlots+8] = 0xFF // the front end rewrites the slot after the copy
	d := decodeRequest(&raw)
	if d.id != 77 || d.sector != 5 || d.nrSegs != 1 || d.segs[0] != (segment{9, 1, 2}) {
		t.Fatalf("decoded %+v", d)
	}
}
