package hypercall

import (
	"bytes"
	"fmt"
)

// fakeCaller is a guest with flat memory at gva [base, base+len(mem)).
type fakeCaller struct {
	base     uint64
	mem      []byte
	console  bytes.Buffer
	shutdown []uint32
	yields   int
	memmap   []E820Entry
	fakeDomain
}

const fakeBase = 0x10000

func newFake() *fakeCaller {
	return &fakeCaller{base: fakeBase, mem: make([]byte, 64<<10), memmap: []E820Entry{
		{Addr: 0, Size: 32 << 20, Type: XenHvmMemmapTypeRam},
		{Addr: 0xFEFF8000, Size: 0x8000, Type: XenHvmMemmapTypeReserved},
	}}
}

func (f *fakeCaller) slice(gva uint64, n int) ([]byte, error) {
	if gva < f.base || gva-f.base > uint64(len(f.mem)) || uint64(n) > uint64(len(f.mem))-(gva-f.base) {
		return nil, fmt.Errorf("gva %#x+%d unmapped: %w", gva, n, EFAULT)
	}
	off := gva - f.base
	return f.mem[off : off+uint64(n)], nil
}

func (f *fakeCaller) DomID() uint16  { return 7 }
func (f *fakeCaller) VCPUID() uint32 { return 0 }
func (f *fakeCaller) CopyFromGuest(dst []byte, gva uint64) error {
	b, err := f.slice(gva, len(dst))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}
func (f *fakeCaller) CopyToGuest(gva uint64, src []byte) error {
	b, err := f.slice(gva, len(src))
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}
func (f *fakeCaller) ConsoleWrite(p []byte)      { f.console.Write(p) }
func (f *fakeCaller) Shutdown(r uint32) error    { f.shutdown = append(f.shutdown, r); return nil }
func (f *fakeCaller) Yield()                     { f.yields++ }
func (f *fakeCaller) MemoryMap() []E820Entry     { return f.memmap }
func (f *fakeCaller) RAMPages() (c, m, g uint64) { return 8192, 8192, 0xFF000 - 1 }
func (f *fakeCaller) UUID() [16]byte             { return [16]byte{1, 2, 3} }

// fakeDomain records the domain-level calls the new handlers make.
type fakeDomain struct {
	calls     []string
	lastVia   uint64
	lastCtx   *VcpuHvmContext
	pollPorts []uint32
	pollTO    uint64
	shotAt    uint64
	shotFut   bool
}

func (f *fakeDomain) rec(s string) { f.calls = append(f.calls, s) }

func (f *fakeCaller) EvtchnAllocUnbound(dom, remote uint16) (uint32, error) {
	f.rec(fmt.Sprintf("alloc_unbound %d %d", dom, remote))
	return 3, nil
}
func (f *fakeCaller) EvtchnBindInterdomain(rd uint16, rp uint32) (uint32, error) {
	f.rec(fmt.Sprintf("bind_interdomain %d %d", rd, rp))
	return 4, nil
}
func (f *fakeCaller) EvtchnBindVirq(virq, vcpu uint32) (uint32, error) {
	f.rec(fmt.Sprintf("bind_virq %d %d", virq, vcpu))
	return 5, nil
}
func (f *fakeCaller) EvtchnBindIPI(vcpu uint32) (uint32, error) {
	f.rec(fmt.Sprintf("bind_ipi %d", vcpu))
	return 6, nil
}
func (f *fakeCaller) EvtchnClose(port uint32) error { f.rec(fmt.Sprintf("close %d", port)); return nil }
func (f *fakeCaller) EvtchnSend(port uint32) error  { f.rec(fmt.Sprintf("send %d", port)); return nil }
func (f *fakeCaller) EvtchnStatus(dom uint16, port uint32, st *EvtchnStatus) error {
	f.rec(fmt.Sprintf("status %d %d", dom, port))
	st.Status, st.Vcpu = EvtchnstatInterdomain, 1
	st.SetInterdomain(9, 10)
	return nil
}
func (f *fakeCaller) EvtchnBindVCPU(port, vcpu uint32) error {
	f.rec(fmt.Sprintf("bind_vcpu %d %d", port, vcpu))
	return nil
}
func (f *fakeCaller) EvtchnUnmask(port uint32) error {
	f.rec(fmt.Sprintf("unmask %d", port))
	return nil
}
func (f *fakeCaller) EvtchnReset(dom uint16) error { f.rec(fmt.Sprintf("reset %d", dom)); return nil }
func (f *fakeCaller) Block() error                 { f.rec("block"); return nil }
func (f *fakeCaller) Poll(ports []uint32, to uint64) error {
	f.pollPorts, f.pollTO = ports, to
	return nil
}
func (f *fakeCaller) SystemTimeNs() uint64 { return 123456789 }
func (f *fakeCaller) NumVCPUs() uint32     { return 2 }
func (f *fakeCaller) VCPUInitialise(v uint32, ctx *VcpuHvmContext) error {
	f.lastCtx = ctx
	f.rec(fmt.Sprintf("initialise %d", v))
	return nil
}
func (f *fakeCaller) VCPUUp(v uint32) error   { f.rec(fmt.Sprintf("up %d", v)); return nil }
func (f *fakeCaller) VCPUDown(v uint32) error { f.rec(fmt.Sprintf("down %d", v)); return nil }
func (f *fakeCaller) VCPUIsUp(v uint32) bool  { return v == 0 }
func (f *fakeCaller) SetSingleshotTimer(v uint32, at uint64, fut bool) error {
	f.shotAt, f.shotFut = at, fut
	return nil
}
func (f *fakeCaller) StopSingleshotTimer(v uint32) error { f.rec("stop_singleshot"); return nil }
func (f *fakeCaller) SetPeriodicTimer(v uint32, p uint64) error {
	f.rec(fmt.Sprintf("periodic %d %d", v, p))
	return nil
}
func (f *fakeCaller) StopPeriodicTimer(v uint32) error { f.rec("stop_periodic"); return nil }
func (f *fakeCaller) RegisterVCPUInfo(v uint32, gfn uint64, off uint32) error {
	f.rec(fmt.Sprintf("register_vcpu_info %d %#x %d", v, gfn, off))
	return nil
}
func (f *fakeCaller) SetCallbackVia(via uint64) error { f.lastVia = via; return nil }
func (f *fakeCaller) SetUpcallVector(v uint32, vec uint8) error {
	f.rec(fmt.Sprintf("upcall_vector %d %#x", v, vec))
	return nil
}
func (f *fakeCaller) HVMParam(i uint32) (uint64, error) { return uint64(i) * 100, nil }
func (f *fakeCaller) MapSharedInfo(gfn uint64) error {
	f.rec(fmt.Sprintf("shared_info %#x", gfn))
	return nil
}

func (f *fakeCaller) GrantSetupTable(dom uint16, nr uint32) ([]uint64, int16) {
	f.rec(fmt.Sprintf("setup_table %d %d", dom, nr))
	if nr > 64 { // max_grant_frames, as the domain model enforces
		return nil, GntstGeneralError
	}
	frames := make([]uint64, nr)
	for i := range frames {
		frames[i] = ^uint64(0)
	}
	if nr > 0 {
		frames[0] = 0x100
	}
	return frames, 0
}
func (f *fakeCaller) GrantQuerySize(dom uint16) (uint32, uint32, int16) { return 1, 64, 0 }
func (f *fakeCaller) MapGrantRef(dom uint16, ref uint32, hostAddr uint64, flags uint32) (uint32, int16) {
	f.rec(fmt.Sprintf("map %d %d %#x %d", dom, ref, hostAddr, flags))
	if ref == 99 {
		return 0, GntstBadGntref
	}
	return ref + 100, 0
}
func (f *fakeCaller) UnmapGrantRef(h uint32, hostAddr uint64) int16 {
	f.rec(fmt.Sprintf("unmap %d %#x", h, hostAddr))
	return 0
}
func (f *fakeCaller) GrantCopy(op *GnttabCopy) int16 {
	f.rec(fmt.Sprintf("copy %d", op.Len))
	return GntstBadCopyArg
}
func (f *fakeCaller) MapGrantFrame(idx, gfn uint64) error {
	f.rec(fmt.Sprintf("grant_frame %d %#x", idx, gfn))
	return nil
}
func (f *fakeCaller) StillRunning() bool { return true }
