package hypercall

import (
	"encoding/binary"
	"slices"
	"testing"
)

func TestGrantTableOpDecoding(t *testing.T) {
	f := newFake()
	le := binary.LittleEndian
	// Two map ops in one batch; the second gets GNTST_bad_gntref.
	op := func(i int, ref uint32) {
		b := f.mem[i*32:]
		le.PutUint64(b[0:], 0x1000_0000+uint64(i)*4096)
		le.PutUint32(b[8:], GntmapHostMap)
		le.PutUint32(b[12:], ref)
		le.PutUint16(b[16:], 3)
	}
	op(0, 8)
	op(1, 99)
	if r := call(f, NrGrantTableOp, GnttabopMapGrantRef, fakeBase, 2); r != 0 {
		t.Fatalf("map batch = %d", r)
	}
	if st, h := int16(le.Uint16(f.mem[18:])), le.Uint32(f.mem[20:]); st != 0 || h != 108 {
		t.Errorf("op 0: status %d handle %d", st, h)
	}
	if st := int16(le.Uint16(f.mem[32+18:])); st != GntstBadGntref {
		t.Errorf("op 1: status %d, want GNTST_bad_gntref", st)
	}
	// A batch running into unmapped memory faults after the ops before it.
	f.calls = nil
	if r := call(f, NrGrantTableOp, GnttabopMapGrantRef, fakeBase+65536-32, 2); r != EFAULT.Neg() {
		t.Errorf("batch past the end = %d, want -EFAULT", r)
	}
	if len(f.calls) != 1 {
		t.Errorf("ops run before the fault: %q", f.calls)
	}
	// Copy results land in each op's status.
	clear(f.mem[:64])
	le.PutUint16(f.mem[32:], 5000)
	if r := call(f, NrGrantTableOp, GnttabopCopy, fakeBase, 1); r != 0 || int16(le.Uint16(f.mem[36:])) != GntstBadCopyArg {
		t.Errorf("copy = %d status %d", r, int16(le.Uint16(f.mem[36:])))
	}
	// set_version: 1 is fine; 2 is -ENOSYS with version 1 written back.
	le.PutUint32(f.mem, 2)
	if r := call(f, NrGrantTableOp, GnttabopSetVersion, fakeBase, 1); r != ENOSYS.Neg() || le.Uint32(f.mem) != 1 {
		t.Errorf("set_version(2) = %d, version %d; want -ENOSYS and 1", r, le.Uint32(f.mem))
	}
	le.PutUint32(f.mem, 3)
	if r := call(f, NrGrantTableOp, GnttabopSetVersion, fakeBase, 1); r != EINVAL.Neg() {
		t.Errorf("set_version(3) = %d, want -EINVAL", r)
	}
	le.PutUint32(f.mem, 1)
	if r := call(f, NrGrantTableOp, GnttabopSetVersion, fakeBase, 1); r != 0 {
		t.Errorf("set_version(1) = %d", r)
	}
	le.PutUint16(f.mem, DomidSelf)
	if r := call(f, NrGrantTableOp, GnttabopGetVersion, fakeBase, 1); r != 0 || le.Uint32(f.mem[4:]) != 1 {
		t.Errorf("get_version = %d version %d", r, le.Uint32(f.mem[4:]))
	}
	if r := call(f, NrGrantTableOp, GnttabopQuerySize, fakeBase, 2); r != EINVAL.Neg() {
		t.Errorf("query_size with count 2 = %d, want -EINVAL", r)
	}
	// setup_table writes the frame list.
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint32(f.mem[4:], 2)
	le.PutUint64(f.mem[16:], fakeBase+0x200)
	if r := call(f, NrGrantTableOp, GnttabopSetupTable, fakeBase, 1); r != 0 || le.Uint64(f.mem[0x200:]) != 0x100 || le.Uint64(f.mem[0x208:]) != ^uint64(0) {
		t.Errorf("setup_table = %d frames %#x %#x", r, le.Uint64(f.mem[0x200:]), le.Uint64(f.mem[0x208:]))
	}
	// add_to_physmap grant_table.
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint32(f.mem[4:], XenmapspaceGrantTable)
	le.PutUint64(f.mem[8:], 3)
	le.PutUint64(f.mem[16:], 0x40000)
	if r := call(f, NrMemoryOp, XenmemAddToPhysmap, fakeBase); r != 0 || !slices.Contains(f.calls, "grant_frame 3 0x40000") {
		t.Errorf("add_to_physmap grant_table = %d calls %q", r, f.calls)
	}
}
