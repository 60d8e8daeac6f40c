package hypercall

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"strings"
	"testing"
)

func call(f *fakeCaller, nr uint64, args ...uint64) int64 {
	var a [5]uint64
	copy(a[:], args)
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	return int64(d.Dispatch(f, Call{Nr: nr, Args: a}))
}

const bad = 0xdead_0000_0000 // a gva the fake does not map

func TestDispatchUnknownAndPrivilege(t *testing.T) {
	f := newFake()
	for _, nr := range []uint64{11, NrXsmOp, NrDomctl, NrArgoOp, NrArch7, 127, 128, 1 << 40} {
		if got := call(f, nr); got != ENOSYS.Neg() {
			t.Errorf("hypercall %d = %d, want -ENOSYS", nr, got)
		}
	}
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	if got := int64(d.Dispatch(f, Call{Nr: NrXenVersion, CPL: 3})); got != EPERM.Neg() {
		t.Errorf("xen_version from CPL 3 = %d, want -EPERM", got)
	}
	c := d.Counts()
	if c[NrXenVersion] != 1 {
		t.Errorf("xen_version counted %d times, want 1", c[NrXenVersion])
	}
}

func TestCallDecoding(t *testing.T) {
	c := Call32(0xFFFF_FFFF_0000_0012, 1<<32|5, 6, 7, 8, 9, 0)
	if c.Nr != 0x12 || c.Args != [5]uint64{5, 6, 7, 8, 9} {
		t.Errorf("Call32 = %+v", c)
	}
	c = Call64(18, 1, 2, 3, 4, 5, 0)
	if c.Nr != 18 || c.Args != [5]uint64{1, 2, 3, 4, 5} {
		t.Errorf("Call64 = %+v", c)
	}
}

func TestXenVersion(t *testing.T) {
	f := newFake()
	if got := call(f, NrXenVersion, XenverVersion); got != 4<<16|17 {
		t.Errorf("XENVER_version = %#x", got)
	}
	if got := call(f, NrXenVersion, XenverPagesize); got != 4096 {
		t.Errorf("XENVER_pagesize = %d", got)
	}
	if got := call(f, NrXenVersion, XenverExtraversion, fakeBase); got != 0 || string(bytes.TrimRight(f.mem[:16], "\x00")) != Extraversion {
		t.Errorf("XENVER_extraversion = %d %q", got, f.mem[:16])
	}
	if got := call(f, NrXenVersion, XenverCapabilities, fakeBase); got != 0 || !strings.HasPrefix(string(f.mem), "hvm-3.0-x86_64") {
		t.Errorf("XENVER_capabilities = %d %q", got, f.mem[:20])
	}
	// get_features: submap 0 gives Features; submap 1 does not exist.
	binary.LittleEndian.PutUint32(f.mem[0:], 0)
	if got := call(f, NrXenVersion, XenverGetFeatures, fakeBase); got != 0 || binary.LittleEndian.Uint32(f.mem[4:]) != Features {
		t.Errorf("get_features(0) = %d submap %#x", got, binary.LittleEndian.Uint32(f.mem[4:]))
	}
	binary.LittleEndian.PutUint32(f.mem[0:], 1)
	if got := call(f, NrXenVersion, XenverGetFeatures, fakeBase); got != EINVAL.Neg() {
		t.Errorf("get_features(1) = %d, want -EINVAL", got)
	}
	if Features&(1<<XenfeatHvmCallbackVector) == 0 || Features&(1<<XenfeatDom0) != 0 || Features&(1<<XenfeatMemoryOpVnodeSupported) != 0 {
		t.Errorf("Features %#x advertises something not honoured yet", Features)
	}
	for _, cmd := range []uint64{XenverExtraversion, XenverCompileInfo, XenverGetFeatures, XenverGuestHandle, XenverChangeset} {
		if got := call(f, NrXenVersion, cmd, bad); got != EFAULT.Neg() {
			t.Errorf("xen_version(%d, bad pointer) = %d, want -EFAULT", cmd, got)
		}
	}
	if got := call(f, NrXenVersion, XenverCommandline, fakeBase); got != EPERM.Neg() {
		t.Errorf("XENVER_commandline from a domU = %d, want -EPERM", got)
	}
	if got := call(f, NrXenVersion, 99); got != ENOSYS.Neg() {
		t.Errorf("xen_version(99) = %d, want -ENOSYS", got)
	}
	if got := call(f, NrXenVersion, XenverGuestHandle, fakeBase); got != 0 || f.mem[0] != 1 || f.mem[2] != 3 {
		t.Errorf("guest_handle = %d %v", got, f.mem[:4])
	}
}

func TestConsoleIO(t *testing.T) {
	f := newFake()
	copy(f.mem, "hi\x01\x1b[31m there\n")
	if got := call(f, NrConsoleIo, ConsoleioWrite, 16, fakeBase); got != 0 {
		t.Fatalf("console write = %d", got)
	}
	if got := f.console.String(); got != "hi[31m there\n" {
		t.Errorf("console got %q (control characters must be dropped)", got)
	}
	if got := call(f, NrConsoleIo, ConsoleioWrite, 16, bad); got != EFAULT.Neg() {
		t.Errorf("console write from a bad pointer = %d, want -EFAULT", got)
	}
	// A count running past mapped memory faults after the mapped part.
	if got := call(f, NrConsoleIo, ConsoleioWrite, 1<<20, fakeBase); got != EFAULT.Neg() {
		t.Errorf("console write past the end = %d, want -EFAULT", got)
	}
	if got := call(f, NrConsoleIo, ConsoleioRead, 16, fakeBase); got != 0 {
		t.Errorf("console read = %d, want 0", got)
	}
	if got := call(f, NrConsoleIo, 7, 16, fakeBase); got != EINVAL.Neg() {
		t.Errorf("console_io(7) = %d, want -EINVAL", got)
	}
}

func TestSchedOp(t *testing.T) {
	f := newFake()
	if got := call(f, NrSchedOp, SchedopYield); got != 0 || f.yields != 1 {
		t.Errorf("yield = %d (yields %d)", got, f.yields)
	}
	for _, r := range []uint32{ShutdownPoweroff, ShutdownReboot, ShutdownCrash, ShutdownWatchdog} {
		binary.LittleEndian.PutUint32(f.mem, r)
		if got := call(f, NrSchedOp, SchedopShutdown, fakeBase); got != 0 {
			t.Errorf("shutdown(%d) = %d", r, got)
		}
	}
	if want := []uint32{0, 1, 3, 4}; len(f.shutdown) != 4 || f.shutdown[0] != want[0] || f.shutdown[2] != want[2] {
		t.Errorf("shutdown reasons %v, want %v", f.shutdown, want)
	}
	binary.LittleEndian.PutUint32(f.mem, 99)
	if got := call(f, NrSchedOp, SchedopShutdown, fakeBase); got != EINVAL.Neg() {
		t.Errorf("shutdown(99) = %d, want -EINVAL", got)
	}
	binary.LittleEndian.PutUint32(f.mem, ShutdownSuspend)
	if got := call(f, NrSchedOp, SchedopShutdown, fakeBase); got != EOPNOTSUPP.Neg() {
		t.Errorf("shutdown(suspend) = %d, want -EOPNOTSUPP", got)
	}
	if got := call(f, NrSchedOp, SchedopShutdown, bad); got != EFAULT.Neg() {
		t.Errorf("shutdown(bad pointer) = %d, want -EFAULT", got)
	}
	if len(f.shutdown) != 4 {
		t.Errorf("a refused shutdown reached the domain: %v", f.shutdown)
	}
}

func TestMemoryMap(t *testing.T) {
	f := newFake()
	put := func(cap uint32) {
		binary.LittleEndian.PutUint32(f.mem[0:], cap)
		binary.LittleEndian.PutUint64(f.mem[8:], fakeBase+0x100)
	}
	put(16)
	if got := call(f, NrMemoryOp, XenmemMemoryMap, fakeBase); got != 0 {
		t.Fatalf("memory_map = %d", got)
	}
	if n := binary.LittleEndian.Uint32(f.mem); n != 2 {
		t.Fatalf("nr_entries = %d, want 2", n)
	}
	e := f.mem[0x100:]
	if binary.LittleEndian.Uint64(e[0:]) != 0 || binary.LittleEndian.Uint64(e[8:]) != 32<<20 || binary.LittleEndian.Uint32(e[16:]) != 1 ||
		binary.LittleEndian.Uint64(e[20:]) != 0xFEFF8000 || binary.LittleEndian.Uint32(e[36:]) != 2 {
		t.Errorf("entries % x", e[:40])
	}
	// Capacity 1: Xen copies what fits and reports it.
	put(1)
	clear(f.mem[0x100:0x200])
	if got := call(f, NrMemoryOp, XenmemMemoryMap, fakeBase); got != 0 || binary.LittleEndian.Uint32(f.mem) != 1 || f.mem[0x100+20] != 0 {
		t.Errorf("memory_map with capacity 1 = %d, nr %d", got, binary.LittleEndian.Uint32(f.mem))
	}
	put(16)
	binary.LittleEndian.PutUint64(f.mem[8:], bad)
	if got := call(f, NrMemoryOp, XenmemMemoryMap, fakeBase); got != EFAULT.Neg() {
		t.Errorf("memory_map into a bad buffer = %d, want -EFAULT", got)
	}
	if got := call(f, NrMemoryOp, XenmemMemoryMap, bad); got != EFAULT.Neg() {
		t.Errorf("memory_map with a bad argument = %d, want -EFAULT", got)
	}
	// Continuation bits above the sub-op are ignored.
	put(16)
	if got := call(f, NrMemoryOp, XenmemMemoryMap|5<<MemopExtentShift, fakeBase); got != 0 {
		t.Errorf("memory_map with extent bits = %d", got)
	}
	binary.LittleEndian.PutUint16(f.mem, DomidSelf)
	if got := call(f, NrMemoryOp, XenmemCurrentReservation, fakeBase); got != 8192 {
		t.Errorf("current_reservation = %d", got)
	}
	binary.LittleEndian.PutUint16(f.mem, 3)
	if got := call(f, NrMemoryOp, XenmemMaximumReservation, fakeBase); got != EPERM.Neg() {
		t.Errorf("maximum_reservation of another domain = %d, want -EPERM", got)
	}
}

func TestPage(t *testing.T) {
	p := Page()
	for _, nr := range []int{0, NrConsoleIo, NrSchedOp, 127} {
		s := p[nr*32:]
		if s[0] != 0xB8 || int(binary.LittleEndian.Uint32(s[1:])) != nr || s[5] != 0xE7 || s[6] != TrapPort || s[7] != 0xC3 {
			t.Errorf("slot %d = % x", nr, s[:8])
		}
	}
	if s := p[NrIret*32:]; s[0] != 0x0F || s[1] != 0x0B {
		t.Errorf("iret slot = % x, want UD2", s[:2])
	}
}

func TestCPUIDLeaves(t *testing.T) {
	ls := CPUIDLeaves(5, 1, 2_000_000)
	if ls[0].Function != 0x40000000 || ls[0].EAX != 0x40000005 || ls[0].EBX != 0x566e6558 {
		t.Errorf("base leaf %+v", ls[0])
	}
	var sig []byte
	for _, r := range []uint32{ls[0].EBX, ls[0].ECX, ls[0].EDX} {
		sig = binary.LittleEndian.AppendUint32(sig, r)
	}
	if string(sig) != "XenVMMXenVMM" {
		t.Errorf("signature %q", sig)
	}
	for _, l := range ls {
		if l.Function == 0x40000002 && (l.EAX != 1 || l.EBX != HypercallMSR) {
			t.Errorf("hypercall leaf %+v", l)
		}
		if l.Function == 0x40000004 && (l.EBX != 1 || l.ECX != 5 || l.EAX&XenHvmCpuidUpcallVector != 0) {
			t.Errorf("HVM feature leaf %+v", l)
		}
	}
}
