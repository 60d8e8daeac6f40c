package blk

import (
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

// FuzzDecodeRequest feeds arbitrary request slots and disk shapes to the
// decoder and validator: they must never panic, and an accepted request
// must be one the back end can serve without touching bytes outside the
// disk or outside a granted frame.
func FuzzDecodeRequest(f *testing.F) {
	seed := func(q rawReq, sectors uint64, ro, disc bool, maxInd uint16) {
		f.Add(q[:], sectors, ro, disc, maxInd)
	}
	seed(rwReq(opRead, 1, 0, segment{1, 0, 7}), 64, false, true, 256)
	seed(rwReq(opWrite, 2, 56, segment{1, 0, 7}, segment{2, 3, 5}), 64, true, false, 0)
	seed(rwReq(opFlush, 3, 0), 0, false, false, 0)
	seed(discardReq(4, 8, 8), 64, false, true, 0)
	seed(indirectReq(opWrite, 5, 0, 600, 1, 2), 1<<20, false, false, 1024)
	f.Fuzz(func(t *testing.T, b []byte, sectors uint64, ro, disc bool, maxInd uint16) {
		var raw [slotSize]byte
		copy(raw[:], b)
		d := disk{sectors: sectors, readOnly: ro, discard: disc, maxIndirect: int(maxInd % (MaxIndirectSegments + 1))}
		q := decodeRequest(&raw)
		if q.id != uint64(raw[8])|uint64(raw[9])<<8|uint64(raw[10])<<16|uint64(raw[11])<<24|uint64(raw[12])<<32|uint64(raw[13])<<40|uint64(raw[14])<<48|uint64(raw[15])<<56 {
			t.Fatal("id not decoded")
		}
		e := validate(&q, d)
		if e != nil {
			if e.status != hypercall.BlkifRspError && e.status != hypercall.BlkifRspEopnotsupp {
				t.Fatalf("refusal status %d", e.status)
			}
			return
		}
		write := q.rwOp == opWrite || q.op == opBarrier || q.op == opDiscard
		if ro && write {
			t.Fatalf("write op %d accepted on a read-only disk", q.op)
		}
		switch q.op {
		case opRead, opWrite:
			if q.nrSegs < 1 || q.nrSegs > hypercall.BlkifMaxSegmentsPerRequest {
				t.Fatalf("accepted %d segments", q.nrSegs)
			}
			var total uint64
			for _, s := range q.segs[:q.nrSegs] {
				if s.first > s.last || s.last > 7 {
					t.Fatalf("accepted segment %+v", s)
				}
				total += uint64(s.last-s.first) + 1
			}
			if q.sector+total > sectors || q.sector+total < q.sector {
				t.Fatalf("accepted sectors [%d,+%d) on a %d-sector disk", q.sector, total, sectors)
			}
		case hypercall.BlkifOpIndirect:
			if q.nrSegs < 1 || q.nrSegs > d.maxIndirect || indirectPages(q.nrSegs) > hypercall.BlkifMaxIndirectPagesPerRequest {
				t.Fatalf("accepted indirect with %d segments (max %d)", q.nrSegs, d.maxIndirect)
			}
			// Segments from an indirect page go through checkSegments too.
			segs := make([]segment, q.nrSegs)
			var pg [pageSize]byte
			copy(pg[:], b)
			decodeSegments(segs[:min(len(segs), segsPerIndirect)], pg[:])
			_ = checkSegments(segs, q.sector, d)
		case opDiscard:
			if !disc || q.sector+q.nrDisc > sectors || q.sector+q.nrDisc < q.sector {
				t.Fatalf("accepted discard [%d,+%d) (discard %v, %d sectors)", q.sector, q.nrDisc, disc, sectors)
			}
		case opFlush, opBarrier:
			if q.nrSegs != 0 {
				t.Fatal("accepted flush with segments")
			}
		default:
			t.Fatalf("accepted op %d", q.op)
		}
	})
}
