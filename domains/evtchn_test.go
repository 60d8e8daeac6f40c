package domains

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

func wantErrno(t *testing.T, what string, err error, want hypercall.Errno) {
	t.Helper()
	var got hypercall.Errno
	if !errors.As(err, &got) || got != want {
		t.Errorf("%s: got %v, want %s", what, err, want.Name())
	}
}

func TestInterdomainDelivery(t *testing.T) {
	r := newTestRegistry(t)
	a, b := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	pb, err := b.EvtchnAllocUnbound(b.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := a.EvtchnBindInterdomain(b.ID, pb)
	if err != nil {
		t.Fatal(err)
	}
	// The new local port starts pending, so nothing sent before is lost.
	if !pendingBit(t, a, pa) || !a.vcpus[0].upcallPending() {
		t.Error("bind_interdomain did not mark the new local port pending")
	}
	var st hypercall.EvtchnStatus
	if err := b.EvtchnStatus(b.ID, pb, &st); err != nil || st.Status != hypercall.EvtchnstatInterdomain {
		t.Fatalf("status of the remote end: %v %+v", err, st)
	}
	if dom, port := st.Interdomain(); dom != a.ID || port != pa {
		t.Errorf("remote end points at %d:%d, want %d:%d", dom, port, a.ID, pa)
	}
	if err := a.EvtchnSend(pa); err != nil {
		t.Fatal(err)
	}
	if !pendingBit(t, b, pb) {
		t.Fatal("send did not set the peer's pending bit")
	}
	sel := sharedWord(t, b, viPendingSel) // vcpu_info[0] is at offset 0
	if sel&(1<<(pb/64)) == 0 || !b.vcpus[0].upcallPending() {
		t.Errorf("selector %#x / upcall not set", sel)
	}
	// A masked port keeps the edge only in its pending bit.
	resetUpcall(t, b.vcpus[0])
	b.clearPending(pb)
	setMask(t, b, pb)
	a.EvtchnSend(pa)
	if !pendingBit(t, b, pb) || b.vcpus[0].upcallPending() {
		t.Error("masked port: want pending set and no upcall")
	}
	if err := b.EvtchnUnmask(pb); err != nil || !b.vcpus[0].upcallPending() {
		t.Errorf("unmask of a pending port did not raise the upcall: %v", err)
	}
	// Xen re-raises only when unmask itself clears the mask bit.
	resetUpcall(t, b.vcpus[0])
	if err := b.EvtchnUnmask(pb); err != nil || b.vcpus[0].upcallPending() {
		t.Errorf("unmask of an unmasked pending port raised an upcall: %v", err)
	}
	// Closing one end returns the other to unbound, offered back.
	if err := a.EvtchnClose(pa); err != nil {
		t.Fatal(err)
	}
	b.EvtchnStatus(b.ID, pb, &st)
	if st.Status != hypercall.EvtchnstatUnbound || st.UnboundDom() != a.ID {
		t.Errorf("after close, peer status %d offered to %d; want unbound to %d", st.Status, st.UnboundDom(), a.ID)
	}
	if _, err := a.EvtchnBindInterdomain(b.ID, pb); err != nil {
		t.Errorf("rebinding the unbound port: %v", err)
	}
}

func TestEventChannelMisuse(t *testing.T) {
	r := newTestRegistry(t)
	a, b, c := testDomain(t, r, 2, 16), testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	// A working channel between b and c, to show misuse elsewhere does not
	// disturb it.
	pc, _ := c.EvtchnAllocUnbound(c.ID, b.ID)
	pb, err := b.EvtchnBindInterdomain(c.ID, pc)
	if err != nil {
		t.Fatal(err)
	}
	resetUpcall(t, c.vcpus[0])

	offeredToB, _ := c.EvtchnAllocUnbound(c.ID, b.ID)
	_, err = a.EvtchnBindInterdomain(c.ID, offeredToB)
	wantErrno(t, "bind_interdomain to a port offered to another domain", err, hypercall.EINVAL)
	_, err = a.EvtchnBindInterdomain(c.ID, pc)
	wantErrno(t, "bind_interdomain to a bound port", err, hypercall.EINVAL)
	_, err = a.EvtchnBindInterdomain(c.ID, 999)
	wantErrno(t, "bind_interdomain to a free port", err, hypercall.EINVAL)
	_, err = a.EvtchnBindInterdomain(c.ID, 1<<31)
	wantErrno(t, "bind_interdomain to a port beyond the limit", err, hypercall.EINVAL)
	_, err = a.EvtchnBindInterdomain(4000, 1)
	wantErrno(t, "bind_interdomain to a missing domain", err, hypercall.ESRCH)

	wantErrno(t, "send on a free port", a.EvtchnSend(5), hypercall.EINVAL)
	wantErrno(t, "send on port 0", a.EvtchnSend(0), hypercall.EINVAL)
	wantErrno(t, "send beyond the limit", a.EvtchnSend(17), hypercall.EINVAL)
	ipi, _ := a.EvtchnBindIPI(1)
	a.EvtchnClose(ipi)
	wantErrno(t, "send on a closed port", a.EvtchnSend(ipi), hypercall.EINVAL)
	wantErrno(t, "close of a closed port", a.EvtchnClose(ipi), hypercall.EINVAL)

	if _, err := a.EvtchnBindVirq(hypercall.VirqTimer, 1); err != nil {
		t.Fatal(err)
	}
	_, err = a.EvtchnBindVirq(hypercall.VirqTimer, 1)
	wantErrno(t, "bind_virq twice", err, hypercall.EEXIST)
	_, err = a.EvtchnBindVirq(hypercall.VirqConsole, 1)
	wantErrno(t, "global VIRQ on vCPU 1", err, hypercall.EINVAL)
	_, err = a.EvtchnBindVirq(hypercall.NrVirqs, 0)
	wantErrno(t, "VIRQ beyond NR_VIRQS", err, hypercall.EINVAL)
	virqPort, _ := a.EvtchnBindVirq(hypercall.VirqTimer, 0)
	wantErrno(t, "send on a VIRQ port", a.EvtchnSend(virqPort), hypercall.EINVAL)

	_, err = a.EvtchnBindVirq(hypercall.VirqTimer, 2)
	wantErrno(t, "bind_virq on a missing vCPU", err, hypercall.ENOENT)
	_, err = a.EvtchnBindIPI(7)
	wantErrno(t, "bind_ipi on a missing vCPU", err, hypercall.ENOENT)
	wantErrno(t, "bind_vcpu to a missing vCPU", a.EvtchnBindVCPU(virqPort, 9), hypercall.ENOENT)
	wantErrno(t, "bind_vcpu of a per-vCPU VIRQ", a.EvtchnBindVCPU(virqPort, 1), hypercall.EINVAL)

	wantErrno(t, "bad callback type (PCI INTx)", a.SetCallbackVia(1<<56|5), hypercall.EINVAL)
	wantErrno(t, "bad callback type 3", a.SetCallbackVia(3<<56|0xF3), hypercall.EINVAL)
	wantErrno(t, "callback vector below 0x10", a.SetCallbackVia(2<<56|0x0F), hypercall.EINVAL)
	if err := a.SetCallbackVia(2<<56 | 0xF3); err != nil || a.callback.Load() != 0xF3 {
		t.Errorf("vector callback: %v", err)
	}

	_, err = a.EvtchnAllocUnbound(b.ID, a.ID)
	wantErrno(t, "alloc_unbound in another domain", err, hypercall.EPERM)
	wantErrno(t, "reset of another domain", a.EvtchnReset(b.ID), hypercall.EPERM)
	var st hypercall.EvtchnStatus
	wantErrno(t, "status of another domain's port", a.EvtchnStatus(b.ID, pb, &st), hypercall.EPERM)

	// The port limit: 16 ports, some used; fill the rest, then ENOSPC.
	for {
		if _, err := a.EvtchnAllocUnbound(a.ID, 0); err != nil {
			wantErrno(t, "alloc beyond the port limit", err, hypercall.ENOSPC)
			break
		}
	}

	// None of it touched b and c's channel or pending bits.
	if pendingBit(t, c, pc) || c.vcpus[0].upcallPending() {
		t.Error("misuse by domain a set events in domain c")
	}
	if err := b.EvtchnSend(pb); err != nil || !pendingBit(t, c, pc) {
		t.Errorf("b->c channel broken after a's misuse: %v", err)
	}
}

func TestDestroyLeavesPeerUnbound(t *testing.T) {
	r := newTestRegistry(t)
	a, b := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	pb, _ := b.EvtchnAllocUnbound(b.ID, a.ID)
	pa, err := a.EvtchnBindInterdomain(b.ID, pb)
	if err != nil {
		t.Fatal(err)
	}
	aID := a.ID
	a.Destroy()
	if _, ok := r.Lookup(aID); ok {
		t.Error("destroyed domain still in the registry")
	}
	var st hypercall.EvtchnStatus
	if err := b.EvtchnStatus(b.ID, pb, &st); err != nil || st.Status != hypercall.EvtchnstatUnbound || st.UnboundDom() != aID {
		t.Errorf("peer port after destroy: %v status %d remote %d; want unbound to %d", err, st.Status, st.UnboundDom(), aID)
	}
	// Xen silently drops a send on an unbound port.
	resetUpcall(t, b.vcpus[0])
	if err := b.EvtchnSend(pb); err != nil {
		t.Errorf("send on the now-unbound port: %v", err)
	}
	if b.isRunning() == false {
		t.Error("peer stopped running")
	}
	_, err = b.EvtchnBindInterdomain(aID, pa)
	wantErrno(t, "bind to the destroyed domain", err, hypercall.ESRCH)
}

func TestDom0Callbacks(t *testing.T) {
	r := newTestRegistry(t)
	dom0, g := r.Dom0(), testDomain(t, r, 1, 0)
	p0, err := dom0.EvtchnAllocUnbound(0, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	done := make(chan struct{}, 10)
	if err := dom0.Dom0Handle(p0, func(port uint32) {
		if port == p0 {
			got.Add(1)
		}
		done <- struct{}{}
	}); err != nil {
		t.Fatal(err)
	}
	pg, err := g.EvtchnBindInterdomain(0, p0)
	if err != nil {
		t.Fatal(err)
	}
	g.EvtchnSend(pg)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("dom0 callback never ran")
	}
	// dom0 notifies the guest like any domain.
	resetUpcall(t, g.vcpus[0])
	if err := dom0.EvtchnSend(p0); err != nil || !pendingBit(t, g, pg) {
		t.Errorf("dom0 send: %v", err)
	}
	// dom0 allocates in a guest (as the toolstack does for store/console ports).
	pt, err := dom0.EvtchnAllocUnbound(g.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st hypercall.EvtchnStatus
	if g.EvtchnStatus(g.ID, pt, &st); st.Status != hypercall.EvtchnstatUnbound || st.UnboundDom() != 0 {
		t.Errorf("toolstack-allocated port: %+v", st)
	}
	wantErrno(t, "handler on a closed dom0 port", dom0.Dom0Handle(999, func(uint32) {}), hypercall.EINVAL)
}

func TestIPIAndVirqTargetVCPU(t *testing.T) {
	r := newTestRegistry(t)
	d := testDomain(t, r, 2, 0)
	p, _ := d.EvtchnBindIPI(1)
	d.EvtchnSend(p)
	if d.vcpus[0].upcallPending() || !d.vcpus[1].upcallPending() {
		t.Error("IPI to vCPU 1 did not land on vCPU 1 only")
	}
	tp, _ := d.EvtchnBindVirq(hypercall.VirqTimer, 0)
	d.SendVirq(hypercall.VirqTimer, 0)
	if !pendingBit(t, d, tp) || !d.vcpus[0].upcallPending() {
		t.Error("VIRQ_TIMER on vCPU 0 not delivered")
	}
}

func TestPollWakesOnMaskedPort(t *testing.T) {
	r := newTestRegistry(t)
	d := testDomain(t, r, 1, 0)
	p, _ := d.EvtchnBindIPI(0)
	setMask(t, d, p)
	done := make(chan struct{})
	go func() {
		d.vcpus[0].Poll([]uint32{p}, 0)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	d.EvtchnSend(p)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("poll did not wake when its (masked) port became pending")
	}
	start := time.Now()
	d.clearPending(p)
	d.vcpus[0].Poll([]uint32{p}, d.SystemTimeNs()+uint64(30*time.Millisecond))
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("poll with a timeout returned after %v", el)
	}
	wantErrno(t, "poll on an invalid port", d.vcpus[0].Poll([]uint32{5000}, 0), hypercall.EINVAL)
}

func TestSharedInfoMoveKeepsState(t *testing.T) {
	r := newTestRegistry(t)
	d := testDomain(t, r, 2, 0)
	p, _ := d.EvtchnBindIPI(1)
	d.EvtchnSend(p)
	if err := d.MapSharedInfo(0x100); err != nil {
		t.Fatal(err)
	}
	if d.sharedInfo.Load() != 0x100000 || !pendingBit(t, d, p) || !d.vcpus[1].upcallPending() {
		t.Error("shared_info move lost state")
	}
	if d.vcpus[1].vcpuInfo.Load() != 0x100000+64 {
		t.Errorf("vcpu_info of vCPU 1 at %#x", d.vcpus[1].vcpuInfo.Load())
	}
	wantErrno(t, "shared_info outside RAM", d.MapSharedInfo(0xFEFF8), hypercall.EINVAL)
	wantErrno(t, "vcpu_info misaligned", d.RegisterVCPUInfo(1, 0x200, 4), hypercall.EINVAL)
	wantErrno(t, "vcpu_info crossing a page", d.RegisterVCPUInfo(1, 0x200, 4064), hypercall.EINVAL)
	if err := d.RegisterVCPUInfo(1, 0x200, 128); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "vcpu_info registered twice", d.RegisterVCPUInfo(1, 0x201, 0), hypercall.EINVAL)
	if sel, _ := d.mem.Load64(0x200000 + 128 + viPendingSel); sel != ^uint64(0) || !d.vcpus[1].upcallPending() {
		t.Errorf("registered vcpu_info: selector %#x, want all set and an upcall", sel)
	}
}

func TestVCPUStateMachineAndTimers(t *testing.T) {
	r := newTestRegistry(t)
	d := testDomain(t, r, 2, 0)
	wantErrno(t, "up before initialise", d.VCPUUp(1), hypercall.EINVAL)
	wantErrno(t, "down of the last vCPU up", d.VCPUDown(0), hypercall.EINVAL)
	ctx := hypercall.VcpuHvmContext{}
	ctx.SetX86_64(&hypercall.VcpuHvmX86_64{Rip: 0x100000, Rsp: 0x8000, Cr0: 0x80000011, Cr3: 0x1000, Cr4: 0x20, Efer: 0x500})
	if err := d.VCPUInitialise(1, &ctx); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "initialise twice", d.VCPUInitialise(1, &ctx), hypercall.EEXIST)
	if err := d.VCPUUp(1); err != nil || !d.VCPUIsUp(1) {
		t.Fatalf("up: %v", err)
	}
	if err := d.VCPUDown(0); err != nil || d.VCPUIsUp(0) {
		t.Errorf("down of vCPU 0 with vCPU 1 up: %v", err)
	}
	bad := hypercall.VcpuHvmContext{}
	bad.SetX86_64(&hypercall.VcpuHvmX86_64{Rip: 0x8000_0000_0000_0000, Cr0: 0x80000011, Cr4: 0x20, Efer: 0x500})
	wantErrno(t, "non-canonical rip", d.VCPUInitialise(0, &bad), hypercall.EEXIST) // vCPU 0 is already initialised
	d2 := testDomain(t, r, 2, 0)
	wantErrno(t, "non-canonical rip", d2.VCPUInitialise(1, &bad), hypercall.EINVAL)
	bad.Mode = 7
	wantErrno(t, "bad context mode", d2.VCPUInitialise(1, &bad), hypercall.EINVAL)
	wantErrno(t, "initialise a missing vCPU", d2.VCPUInitialise(5, &ctx), hypercall.ENOENT)

	wantErrno(t, "singleshot in the past with future flag", d.SetSingleshotTimer(0, 0, true), hypercall.ETIME)
	wantErrno(t, "periodic below 1 ms", d.SetPeriodicTimer(0, 1000), hypercall.EINVAL)
	tp, _ := d.EvtchnBindVirq(hypercall.VirqTimer, 0)
	if err := d.SetSingleshotTimer(0, d.SystemTimeNs()+uint64(10*time.Millisecond), true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !pendingBit(t, d, tp) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !pendingBit(t, d, tp) {
		t.Error("singleshot timer did not raise VIRQ_TIMER")
	}
}

func TestTimeScale(t *testing.T) {
	for _, hz := range []uint64{1_000_000_000, 2_994_374_000, 3_600_000_000, 100_000_000, 25_000_000_000} {
		mul, shift := timeScale(hz)
		ticks := hz // one second of ticks
		if shift >= 0 {
			ticks <<= uint(shift)
		} else {
			ticks >>= uint(-shift)
		}
		ns := (ticks * uint64(mul)) >> 32
		if ns < 999_999_000 || ns > 1_000_001_000 {
			t.Errorf("%d Hz: one second of ticks = %d ns (mul %d shift %d)", hz, ns, mul, shift)
		}
	}
}

// TestBlockWakesOnlyForDeliverableUpcalls: a pending upcall wakes a
// blocked vCPU only if the guest registered a vector to take it with (Xen's
// hvm_local_events_need_delivery); otherwise an idle guest that never set
// up events would spin on HLT.
func TestBlockWakesOnlyForDeliverableUpcalls(t *testing.T) {
	r := newTestRegistry(t)
	d := testDomain(t, r, 1, 0)
	p, _ := d.EvtchnBindIPI(0)
	d.EvtchnSend(p)
	if !d.vcpus[0].upcallPending() {
		t.Fatal("no upcall pending")
	}
	start := time.Now()
	d.vcpus[0].block(start.Add(30*time.Millisecond), nil, true)
	if el := time.Since(start); el < 25*time.Millisecond {
		t.Errorf("block returned after %v with no callback registered", el)
	}
	d.SetCallbackVia(2<<56 | 0xF3)
	start = time.Now()
	d.vcpus[0].block(start.Add(5*time.Second), nil, true)
	if el := time.Since(start); el > time.Second {
		t.Errorf("block waited %v with a deliverable upcall", el)
	}
}
