package blk

import (
	"encoding/binary"
	"fmt"

	"github.com/xenolith/xenolith/hypercall"
)

const (
	sectorSize      = 512
	sectorsPerPage  = pageSize / sectorSize // 8
	segsPerIndirect = pageSize / 8          // blkif_request_segment entries per indirect page
	// MaxIndirectSegments is the largest feature-max-indirect-segments
	// this back end accepts: 8 indirect pages of 512 segments.
	MaxIndirectSegments = hypercall.BlkifMaxIndirectPagesPerRequest * segsPerIndirect
	// DefaultIndirectSegments is feature-max-indirect-segments when
	// Config.MaxIndirectSegments is 0 (Linux blkback's default is 32;
	// 256 is 1 MiB per request).
	DefaultIndirectSegments = 256
)

// segment is one decoded blkif_request_segment.
type segment struct {
	gref        uint32
	first, last uint8 // inclusive 512-byte sectors within the frame
}

// request is a request slot decoded from a private copy of the slot. Its
// fields are what the front end wrote; validate checks them.
type request struct {
	op       uint8                                         // the slot's operation
	rwOp     uint8                                         // READ or WRITE for READ, WRITE and INDIRECT; op otherwise
	id       uint64                                        // echoed in the response
	sector   uint64                                        // first 512-byte sector
	nrSegs   int                                           // nr_segments (u8 direct, u16 indirect)
	segs     [hypercall.BlkifMaxSegmentsPerRequest]segment // direct segments (nrSegs of them, if valid)
	indirect [hypercall.BlkifMaxIndirectPagesPerRequest]uint32
	nrDisc   uint64 // DISCARD: nr_sectors
	secure   bool   // DISCARD: BLKIF_DISCARD_SECURE
}

// rspOp is the operation echoed in the response: Linux blkback answers an
// indirect request with its inner operation, which is what blkfront
// expects.
func (q *request) rspOp() uint8 {
	if q.op == hypercall.BlkifOpIndirect && (q.rwOp == hypercall.BlkifOpRead || q.rwOp == hypercall.BlkifOpWrite) {
		return q.rwOp
	}
	return q.op
}

// decodeRequest decodes a private copy of a request slot. It never fails:
// every field is taken as written, and validate decides.
func decodeRequest(raw *[slotSize]byte) request {
	le := binary.LittleEndian
	q := request{op: raw[0], rwOp: raw[0], id: le.Uint64(raw[8:]), sector: le.Uint64(raw[16:])}
	switch q.op {
	case hypercall.BlkifOpDiscard:
		q.secure = raw[1]&hypercall.BlkifDiscardSecure != 0
		q.nrDisc = le.Uint64(raw[24:])
	case hypercall.BlkifOpIndirect:
		q.rwOp = raw[1]
		q.nrSegs = int(le.Uint16(raw[2:]))
		for i := range q.indirect {
			q.indirect[i] = le.Uint32(raw[28+4*i:])
		}
	default:
		q.nrSegs = int(raw[1])
		for i := range q.segs {
			s := raw[24+8*i:]
			q.segs[i] = segment{gref: le.Uint32(s), first: s[4], last: s[5]}
		}
	}
	return q
}

// decodeSegments decodes n blkif_request_segment entries from a private
// copy of indirect page bytes.
func decodeSegments(dst []segment, raw []byte) {
	for i := range dst {
		s := raw[8*i:]
		dst[i] = segment{gref: binary.LittleEndian.Uint32(s), first: s[4], last: s[5]}
	}
}

// disk is what validation needs to know about the device.
type disk struct {
	sectors     uint64 // size in 512-byte sectors
	readOnly    bool
	discard     bool // the image can punch holes (feature-discard)
	maxIndirect int  // feature-max-indirect-segments (0 = no indirect)
}

// reqError is a refused request: the status to answer with and why.
type reqError struct {
	status int16 // BlkifRspError or BlkifRspEopnotsupp
	msg    string
}

func (e *reqError) Error() string { return e.msg }

func refuse(format string, args ...any) *reqError {
	return &reqError{hypercall.BlkifRspError, fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *reqError {
	return &reqError{hypercall.BlkifRspEopnotsupp, fmt.Sprintf(format, args...)}
}

// validate checks a decoded request against d, except the segments of an
// indirect request, which live in indirect pages (checkSegments checks
// them once they are copied out). It returns nil or the refusal.
func validate(q *request, d disk) *reqError {
	switch q.op {
	case hypercall.BlkifOpRead, hypercall.BlkifOpWrite:
		if q.op == hypercall.BlkifOpWrite && d.readOnly {
			return refuse("write to a read-only disk")
		}
		if q.nrSegs < 1 || q.nrSegs > hypercall.BlkifMaxSegmentsPerRequest {
			return refuse("%d segments (want 1..%d)", q.nrSegs, hypercall.BlkifMaxSegmentsPerRequest)
		}
		return checkSegments(q.segs[:q.nrSegs], q.sector, d)
	case hypercall.BlkifOpFlushDiskcache, hypercall.BlkifOpWriteBarrier:
		if d.readOnly && q.op == hypercall.BlkifOpWriteBarrier {
			return refuse("write barrier on a read-only disk")
		}
		// Linux blkfront sends flushes and barriers with nr_segments 0; a
		// barrier could carry data, which this back end does not take.
		if q.nrSegs != 0 {
			return unsupported("op %d with %d segments (only 0 supported)", q.op, q.nrSegs)
		}
		return nil
	case hypercall.BlkifOpDiscard:
		if !d.discard {
			return unsupported("discard not supported by this image")
		}
		if d.readOnly {
			return refuse("discard on a read-only disk")
		}
		if q.nrDisc > d.sectors || q.sector > d.sectors-q.nrDisc {
			return refuse("discard of sectors [%d,+%d) past the end (%d sectors)", q.sector, q.nrDisc, d.sectors)
		}
		return nil
	case hypercall.BlkifOpIndirect:
		if d.maxIndirect == 0 {
			return unsupported("indirect request, feature-max-indirect-segments not offered")
		}
		if q.rwOp != hypercall.BlkifOpRead && q.rwOp != hypercall.BlkifOpWrite {
			return refuse("indirect request with inner op %d", q.rwOp)
		}
		if q.rwOp == hypercall.BlkifOpWrite && d.readOnly {
			return refuse("write to a read-only disk")
		}
		if q.nrSegs < 1 || q.nrSegs > d.maxIndirect {
			return refuse("indirect request with %d segments (want 1..%d)", q.nrSegs, d.maxIndirect)
		}
		return nil
	}
	return unsupported("unknown op %d", q.op)
}

// indirectPages is the number of indirect pages an indirect request of
// nrSegs segments uses.
func indirectPages(nrSegs int) int { return (nrSegs + segsPerIndirect - 1) / segsPerIndirect }

// checkSegments checks that each segment names sectors inside its frame
// (first <= last <= 7) and that the transfer starting at sector lies
// inside the disk.
func checkSegments(segs []segment, sector uint64, d disk) *reqError {
	var total uint64
	for i, s := range segs {
		if s.first > s.last || s.last >= sectorsPerPage {
			return refuse("segment %d: sectors %d..%d outside a 4 KiB frame", i, s.first, s.last)
		}
		total += uint64(s.last-s.first) + 1
	}
	if total > d.sectors || sector > d.sectors-total {
		return refuse("sectors [%d,+%d) past the end of the disk (%d sectors)", sector, total, d.sectors)
	}
	return nil
}
