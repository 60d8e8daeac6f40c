package domains

import (
	"encoding/binary"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

// FuzzGrantCopy decodes GNTTABOP_copy operations from fuzz input and runs
// them between two domains whose grant entries the fuzzer also writes: no
// op may panic, every status must be a GNTST code, and after each op no
// grant is left pinned or with GTF_reading/GTF_writing newly set (copies
// pin only for their duration).
func FuzzGrantCopy(f *testing.F) {
	f.Add([]byte{}, []byte{})
	seedOp := func(flags uint16, sref uint32, sdom uint16, soff uint16, dgmfn uint64, doff uint16, n uint16) []byte {
		var op hypercall.GnttabCopy
		op.Flags, op.Len = flags, n
		op.Source.SetRef(sref)
		op.Source.Domid, op.Source.Offset = sdom, soff
		op.Dest.SetGmfn(dgmfn)
		op.Dest.Domid, op.Dest.Offset = hypercall.DomidSelf, doff
		b, _ := hypercall.Append(nil, &op)
		return b
	}
	entries := make([]byte, 16*8)
	binary.LittleEndian.PutUint16(entries[8*8:], hypercall.GtfPermitAccess)
	binary.LittleEndian.PutUint16(entries[8*8+2:], 2)
	binary.LittleEndian.PutUint32(entries[8*8+4:], 0x100)
	f.Add(seedOp(hypercall.GntcopySourceGref, 8, 1, 0, 0x200, 0, 64), entries)
	f.Add(seedOp(hypercall.GntcopySourceGref, 8, 1, 4000, 0x200, 0, 200), entries)
	f.Add(seedOp(hypercall.GntcopyDestGref|hypercall.GntcopySourceGref, 8, 1, 0, 0, 0, 1), entries)
	f.Fuzz(func(t *testing.T, ops []byte, grants []byte) {
		r := newTestRegistry(t)
		a, b := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0) // domids 1 and 2
		if len(grants) > PageSize {
			grants = grants[:PageSize]
		}
		a.gnt.mu.Lock()
		copy(a.gnt.frames[0], grants)
		a.gnt.mu.Unlock()
		size := hypercall.SizeOf[hypercall.GnttabCopy]()
		for len(ops) >= size {
			var op hypercall.GnttabCopy
			if err := hypercall.Decode(ops[:size], &op); err != nil {
				t.Fatal(err)
			}
			ops = ops[size:]
			st := b.GrantCopy(&op)
			if st > 0 || st < hypercall.GntstNoSpace {
				t.Fatalf("copy %+v: status %d is not a GNTST code", op, st)
			}
			for _, d := range []*Domain{a, b} {
				d.gnt.mu.Lock()
				pinned := len(d.gnt.active)
				var flags []uint16
				for ref := uint32(0); ref < d.gnt.entries(); ref++ {
					flags = append(flags, binary.LittleEndian.Uint16(d.gnt.entry(ref)))
				}
				d.gnt.mu.Unlock()
				if pinned != 0 {
					t.Fatalf("domain %d has %d grants still pinned after a copy", d.ID, pinned)
				}
				if d != a {
					continue
				}
				for ref, after := range flags {
					before := binary.LittleEndian.Uint16(grantsAt(grants, uint32(ref)))
					// Busy bits the hypervisor set must be gone; ones the
					// guest set may be cleared by a release, as in Xen.
					if after&^before&(hypercall.GtfReading|hypercall.GtfWriting) != 0 {
						t.Fatalf("ref %d flags %#x -> %#x: a copy left busy bits set", ref, before, after)
					}
				}
			}
		}
	})
}

// grantsAt is the flags field of ref as the fuzzer wrote it (bytes past
// the input are zero).
func grantsAt(g []byte, ref uint32) []byte {
	var b [2]byte
	if off := int(ref) * grantEntrySize; off < len(g) {
		copy(b[:], g[off:])
	}
	return b[:]
}
