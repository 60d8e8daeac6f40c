package hypercall

import (
	"encoding/binary"
	"slices"
	"testing"
)

func TestEventChannelOpDecoding(t *testing.T) {
	f := newFake()
	le := binary.LittleEndian
	// alloc_unbound {dom SELF, remote_dom 2} -> port written back at 4.
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint16(f.mem[2:], 2)
	if r := call(f, NrEventChannelOp, EvtchnopAllocUnbound, fakeBase); r != 0 || le.Uint32(f.mem[4:]) != 3 {
		t.Errorf("alloc_unbound = %d port %d", r, le.Uint32(f.mem[4:]))
	}
	// bind_interdomain {remote_dom SELF, remote_port 8} -> local_port at 8.
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint32(f.mem[4:], 8)
	if r := call(f, NrEventChannelOp, EvtchnopBindInterdomain, fakeBase); r != 0 || le.Uint32(f.mem[8:]) != 4 {
		t.Errorf("bind_interdomain = %d port %d", r, le.Uint32(f.mem[8:]))
	}
	le.PutUint32(f.mem[0:], VirqTimer)
	le.PutUint32(f.mem[4:], 1)
	if r := call(f, NrEventChannelOp, EvtchnopBindVirq, fakeBase); r != 0 || le.Uint32(f.mem[8:]) != 5 {
		t.Errorf("bind_virq = %d", r)
	}
	le.PutUint32(f.mem[0:], 1)
	if r := call(f, NrEventChannelOp, EvtchnopBindIpi, fakeBase); r != 0 || le.Uint32(f.mem[4:]) != 6 {
		t.Errorf("bind_ipi = %d", r)
	}
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint32(f.mem[4:], 10)
	if r := call(f, NrEventChannelOp, EvtchnopStatus, fakeBase); r != 0 || le.Uint32(f.mem[8:]) != EvtchnstatInterdomain || le.Uint16(f.mem[16:]) != 9 || le.Uint32(f.mem[20:]) != 10 {
		t.Errorf("status = %d % x", r, f.mem[:24])
	}
	for _, c := range []struct {
		cmd  uint64
		want string
	}{{EvtchnopClose, "close 7"}, {EvtchnopSend, "send 7"}, {EvtchnopUnmask, "unmask 7"}} {
		le.PutUint32(f.mem[0:], 7)
		if r := call(f, NrEventChannelOp, c.cmd, fakeBase); r != 0 || f.calls[len(f.calls)-1] != c.want {
			t.Errorf("cmd %d = %d, last call %q", c.cmd, r, f.calls[len(f.calls)-1])
		}
	}
	want := []string{"alloc_unbound 7 2", "bind_interdomain 7 8", "bind_virq 0 1", "bind_ipi 1", "status 7 10"}
	if !slices.Equal(f.calls[:5], want) {
		t.Errorf("calls %q, want %q (DOMID_SELF resolved to 7)", f.calls[:5], want)
	}
	if r := call(f, NrEventChannelOp, EvtchnopInitControl, fakeBase); r != ENOSYS.Neg() {
		t.Errorf("FIFO init_control = %d, want -ENOSYS (stay on 2-level)", r)
	}
	if r := call(f, NrEventChannelOp, EvtchnopBindPirq, fakeBase); r != EINVAL.Neg() {
		t.Errorf("bind_pirq = %d, want -EINVAL", r)
	}
	for _, cmd := range []uint64{EvtchnopAllocUnbound, EvtchnopSend, EvtchnopStatus, EvtchnopReset} {
		if r := call(f, NrEventChannelOp, cmd, bad); r != EFAULT.Neg() {
			t.Errorf("cmd %d with a bad pointer = %d, want -EFAULT", cmd, r)
		}
	}
}

func TestHVMOpAndVCPUOp(t *testing.T) {
	f := newFake()
	le := binary.LittleEndian
	param := func(dom uint16, idx uint32, val uint64) {
		le.PutUint16(f.mem[0:], dom)
		le.PutUint32(f.mem[4:], idx)
		le.PutUint64(f.mem[8:], val)
	}
	param(DomidSelf, HvmParamCallbackIrq, 2<<56|0xF3)
	if r := call(f, NrHvmOp, HvmopSetParam, fakeBase); r != 0 || f.lastVia != 2<<56|0xF3 {
		t.Errorf("set CALLBACK_IRQ = %d via %#x", r, f.lastVia)
	}
	param(DomidSelf, HvmParamStorePfn, 5)
	if r := call(f, NrHvmOp, HvmopSetParam, fakeBase); r != EPERM.Neg() {
		t.Errorf("domU set STORE_PFN = %d, want -EPERM", r)
	}
	param(DomidSelf, HvmParamConsoleEvtchn, 0)
	if r := call(f, NrHvmOp, HvmopGetParam, fakeBase); r != 0 || le.Uint64(f.mem[8:]) != 1800 {
		t.Errorf("get CONSOLE_EVTCHN = %d value %d", r, le.Uint64(f.mem[8:]))
	}
	param(DomidSelf, HvmNrParams, 0)
	if r := call(f, NrHvmOp, HvmopGetParam, fakeBase); r != EINVAL.Neg() {
		t.Errorf("get param beyond HVM_NR_PARAMS = %d, want -EINVAL", r)
	}
	param(3, HvmParamCallbackIrq, 0)
	if r := call(f, NrHvmOp, HvmopSetParam, fakeBase); r != EPERM.Neg() {
		t.Errorf("set param of another domain = %d, want -EPERM", r)
	}
	le.PutUint32(f.mem[0:], 5)
	f.mem[4] = 0xF3
	if r := call(f, NrHvmOp, HvmopSetEvtchnUpcallVector, fakeBase); r != ENOENT.Neg() {
		t.Errorf("upcall vector for vCPU 5 of 2 = %d, want -ENOENT", r)
	}
	le.PutUint32(f.mem[0:], 1)
	f.mem[4] = 0x0F
	if r := call(f, NrHvmOp, HvmopSetEvtchnUpcallVector, fakeBase); r != EINVAL.Neg() {
		t.Errorf("upcall vector 0x0f = %d, want -EINVAL", r)
	}
	if r := call(f, NrHvmOp, HvmopGetTime, fakeBase); r != 0 || le.Uint64(f.mem) != 123456789 {
		t.Errorf("get_time = %d now %d", r, le.Uint64(f.mem))
	}

	if r := call(f, NrVcpuOp, VcpuopUp, 2); r != ENOENT.Neg() {
		t.Errorf("vcpu_op on vCPU 2 of 2 = %d, want -ENOENT", r)
	}
	if r := call(f, NrVcpuOp, VcpuopIsUp, 0); r != 1 {
		t.Errorf("is_up(0) = %d", r)
	}
	le.PutUint64(f.mem[0:], 999)
	le.PutUint32(f.mem[8:], VcpuSshottmrFuture)
	if r := call(f, NrVcpuOp, VcpuopSetSingleshotTimer, 0, fakeBase); r != 0 || f.shotAt != 999 || !f.shotFut {
		t.Errorf("singleshot = %d at %d future %v", r, f.shotAt, f.shotFut)
	}
	if r := call(f, NrVcpuOp, VcpuopSetSingleshotTimer, 1, fakeBase); r != EINVAL.Neg() {
		t.Errorf("singleshot for another vCPU = %d, want -EINVAL", r)
	}
	le.PutUint64(f.mem[0:], 0x123)
	le.PutUint32(f.mem[8:], 4032)
	if r := call(f, NrVcpuOp, VcpuopRegisterVcpuInfo, 1, fakeBase); r != 0 {
		t.Errorf("register_vcpu_info = %d", r)
	}
	le.PutUint32(f.mem[8:], 4033)
	if r := call(f, NrVcpuOp, VcpuopRegisterVcpuInfo, 1, fakeBase); r != EINVAL.Neg() {
		t.Errorf("vcpu_info crossing a page = %d, want -EINVAL", r)
	}
	ctx := VcpuHvmContext{}
	ctx.SetX86_64(&VcpuHvmX86_64{Rip: 0x101000, Rsp: 0x9000})
	b, _ := Append(nil, &ctx)
	copy(f.mem, b)
	if r := call(f, NrVcpuOp, VcpuopInitialise, 1, fakeBase); r != 0 || f.lastCtx.X86_64().Rip != 0x101000 {
		t.Errorf("initialise = %d", r)
	}
	if r := call(f, NrVcpuOp, VcpuopInitialise, 1, bad); r != EFAULT.Neg() {
		t.Errorf("initialise from a bad pointer = %d", r)
	}

	// sched_op poll copies the port list.
	le.PutUint32(f.mem[0x100:], 3)
	le.PutUint32(f.mem[0x104:], 9)
	le.PutUint64(f.mem[0:], fakeBase+0x100)
	le.PutUint32(f.mem[8:], 2)
	le.PutUint64(f.mem[16:], 5000)
	if r := call(f, NrSchedOp, SchedopPoll, fakeBase); r != 0 || !slices.Equal(f.pollPorts, []uint32{3, 9}) || f.pollTO != 5000 {
		t.Errorf("poll = %d ports %v timeout %d", r, f.pollPorts, f.pollTO)
	}
	le.PutUint32(f.mem[8:], 129)
	if r := call(f, NrSchedOp, SchedopPoll, fakeBase); r != EINVAL.Neg() {
		t.Errorf("poll on 129 ports = %d, want -EINVAL", r)
	}
	// add_to_physmap shared_info
	le.PutUint16(f.mem[0:], DomidSelf)
	le.PutUint32(f.mem[4:], XenmapspaceSharedInfo)
	le.PutUint64(f.mem[8:], 0)
	le.PutUint64(f.mem[16:], 0x1234)
	if r := call(f, NrMemoryOp, XenmemAddToPhysmap, fakeBase); r != 0 || f.calls[len(f.calls)-1] != "shared_info 0x1234" {
		t.Errorf("add_to_physmap shared_info = %d", r)
	}
	le.PutUint64(f.mem[8:], 1)
	if r := call(f, NrMemoryOp, XenmemAddToPhysmap, fakeBase); r != EINVAL.Neg() {
		t.Errorf("shared_info idx 1 = %d, want -EINVAL", r)
	}
	le.PutUint64(f.mem[8:], 0)
	le.PutUint32(f.mem[4:], 9)
	if r := call(f, NrMemoryOp, XenmemAddToPhysmap, fakeBase); r != EINVAL.Neg() {
		t.Errorf("unknown space = %d, want -EINVAL", r)
	}
}
