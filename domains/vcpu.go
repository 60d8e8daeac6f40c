package domains

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/hypervisor"
)

// vcpuState is a vCPU's run state (Xen: initialised, _VPF_down).
type vcpuState int

const (
	vcpuOffline vcpuState = iota // never initialised
	vcpuDown                     // initialised, not running
	vcpuUp                       // running (or runnable)
)

// vcpuEvent is a request to change a vCPU's run state.
type vcpuEvent int

const (
	vcpuEvInitialise vcpuEvent = iota // VCPUOP_initialise (or the builder for vCPU 0)
	vcpuEvUp                          // VCPUOP_up
	vcpuEvDown                        // VCPUOP_down, or HLT with interrupts off
)

// ErrVCPUState is returned for a vCPU operation its state does not allow.
var ErrVCPUState = errors.New("domains: illegal vCPU state transition")

// nextVCPU is the vCPU state machine's one transition function. The
// errors carry Xen's errno: -EEXIST for a second initialise, -EINVAL for
// bringing up a vCPU that was never initialised.
func nextVCPU(from vcpuState, ev vcpuEvent) (vcpuState, error) {
	switch ev {
	case vcpuEvInitialise:
		if from == vcpuOffline {
			return vcpuDown, nil
		}
		return from, fmt.Errorf("%w: vCPU already initialised: %w", ErrVCPUState, hypercall.EEXIST)
	case vcpuEvUp:
		if from == vcpuOffline {
			return from, fmt.Errorf("%w: vCPU not initialised: %w", ErrVCPUState, hypercall.EINVAL)
		}
		return vcpuUp, nil
	case vcpuEvDown:
		if from == vcpuUp {
			return vcpuDown, nil
		}
		return from, nil
	}
	return from, fmt.Errorf("%w: unknown event %d", ErrVCPUState, ev)
}

// trappedMSRs exit to user space: the hypercall-page MSR, and the x2APIC
// EOI register, which guests using per-vCPU upcall vectors write after
// each upcall (there is no LAPIC to take it).
var trappedMSRs = []uint32{hypercall.HypercallMSR, msrX2APICEOI}

const msrX2APICEOI = 0x80B

// vcpu binds a KVM vCPU to its domain. It implements hypervisor.ExitHandler
// (what exits mean) and hypercall.Caller (what handlers may do). Its
// register scratch state is used only on the vCPU's own thread.
type vcpu struct {
	d       *Domain
	id      int
	hv      *hypervisor.VCPU // nil in unit tests
	state   vcpuState        // guarded by d.mu
	started bool             // guarded by d.mu: a goroutine runs it

	vcpuInfo     atomic.Uint64 // gpa of vcpu_info, 0 = none
	ownVCPUInfo  atomic.Bool   // registered with VCPUOP_register_vcpu_info
	upcallVector atomic.Uint32 // HVMOP_set_evtchn_upcall_vector, 0 = none
	timeStale    atomic.Bool   // pvclock wants a refresh before entry
	blocked      atomic.Bool   // in SCHEDOP_block/poll or HLT
	polling      atomic.Pointer[[]uint32]
	wake         chan struct{}
	timers       timers

	tscMul         uint32
	tscShift       int8
	lastTimeUpdate time.Time

	regs   hypervisor.Regs
	sregs  hypervisor.Sregs
	paging hypervisor.Paging
	limit  logLimit
}

func newVCPU(d *Domain, id int) (*vcpu, error) {
	v := &vcpu{d: d, id: id, wake: make(chan struct{}, 1)}
	if id < legacyVCPUInfos {
		v.vcpuInfo.Store(d.sharedInfo.Load() + uint64(id)*vcpuInfoSize)
	}
	v.timeStale.Store(true)
	if d.vm == nil {
		return v, nil
	}
	hv, err := d.vm.NewVCPU(id)
	if err != nil {
		return nil, err
	}
	v.hv = hv
	tscKHz, err := hv.TSCKHz()
	if err != nil {
		hv.Close()
		return nil, err
	}
	v.tscMul, v.tscShift = timeScale(tscKHz * 1000)
	if err := hv.SetCPUID(guestCPUID(d.vm.SupportedCPUID(), d.ID, uint32(id), uint32(tscKHz))); err != nil {
		hv.Close()
		return nil, err
	}
	return v, nil
}

// enterPVH puts v in the PVH entry state (docs/misc/pvh.pandoc): flat
// 32-bit protected mode, paging off, ebx = hvm_start_info; and brings it up.
func (v *vcpu) enterPVH(entry uint32) error {
	if err := v.hv.GetSregs(&v.sregs); err != nil {
		return err
	}
	v.sregs.SetFlat32()
	if err := v.hv.SetSregs(&v.sregs); err != nil {
		return err
	}
	v.regs = hypervisor.Regs{RIP: uint64(entry), RBX: StartInfoGPA, RFLAGS: hypervisor.ResetRFLAGS}
	if err := v.hv.SetRegs(&v.regs); err != nil {
		return err
	}
	v.state = vcpuUp
	return nil
}

// cpuidHypervisorBit is CPUID.1:ECX bit 31, "running under a hypervisor".
const cpuidHypervisorBit = 1 << 31

// guestCPUID is KVM's supported CPUID with KVM's own paravirt leaves
// (0x40000000..0x400000FF) replaced by Xen's.
func guestCPUID(supported []hypervisor.CPUIDEntry, domid uint16, vcpuID, tscKHz uint32) []hypervisor.CPUIDEntry {
	out := make([]hypervisor.CPUIDEntry, 0, len(supported)+8)
	for _, e := range supported {
		if e.Function >= 0x40000000 && e.Function <= 0x400000FF {
			continue
		}
		if e.Function == 1 {
			e.ECX |= cpuidHypervisorBit
		}
		out = append(out, e)
	}
	for _, l := range hypercall.CPUIDLeaves(domid, vcpuID, tscKHz) {
		e := hypervisor.CPUIDEntry{Function: l.Function, Index: l.Index, EAX: l.EAX, EBX: l.EBX, ECX: l.ECX, EDX: l.EDX}
		if l.Indexed {
			e.Flags = hypervisor.KVM_CPUID_FLAG_SIGNIFCANT_INDEX
		}
		out = append(out, e)
	}
	return out
}

// run is the vCPU goroutine: it runs the guest until the domain stops,
// turning a fatal exit into a crash.
func (v *vcpu) run() {
	d := v.d
	err := v.hv.Run(v)
	if err != nil && !errors.Is(err, hypervisor.ErrStopped) {
		detail := fmt.Sprintf("vCPU %d: %v", v.id, err)
		if errors.Is(err, hypervisor.ErrTripleFault) {
			detail = fmt.Sprintf("vCPU %d triple fault at rip %#x", v.id, v.rip())
		}
		d.mu.Lock()
		alive := d.state == Running || d.state == Paused
		d.mu.Unlock()
		if alive {
			d.log.Info("domain crashed", "vcpu", v.id, "err", err)
			d.guestShutdown(hypercall.ShutdownCrash, detail)
		}
	}
	d.mu.Lock()
	d.running--
	v.started = false
	d.cond.Broadcast()
	d.mu.Unlock()
}

func (v *vcpu) rip() uint64 {
	var r hypervisor.Regs
	if v.hv.GetRegs(&r) != nil {
		return 0
	}
	return r.RIP
}

// IO serves the hypercall trap port; other ports have no device yet.
func (v *vcpu) IO(_ *hypervisor.VCPU, port uint16, out bool, data []byte) error {
	if port == hypercall.TrapPort && out && len(data) == 4 {
		return v.hypercall()
	}
	if !out {
		for i := range data {
			data[i] = 0xFF // no device: the bus floats high
		}
	}
	if v.limit.allow() {
		v.d.log.Debug("I/O to a port with no device", "vcpu", v.id, "port", port, "out", out, "bytes", len(data))
	}
	return v.stopIfDone()
}

// hypercall decodes registers per the caller's mode, dispatches, writes
// rax and stops or parks the vCPU if the call changed its state.
func (v *vcpu) hypercall() error {
	if err := v.hv.GetRegs(&v.regs); err != nil {
		return err
	}
	if err := v.hv.GetSregs(&v.sregs); err != nil {
		return err
	}
	v.paging = hypervisor.PagingOf(&v.sregs)
	r := &v.regs
	var call hypercall.Call
	if v.sregs.LongMode64() {
		call = hypercall.Call64(r.RAX, r.RDI, r.RSI, r.RDX, r.R10, r.R8, v.sregs.CPL())
	} else {
		call = hypercall.Call32(r.RAX, r.RBX, r.RCX, r.RDX, r.RSI, r.RDI, v.sregs.CPL())
	}
	r.RAX = v.d.dispatcher.Dispatch(v, call)
	if err := v.hv.SetRegs(r); err != nil {
		return err
	}
	return v.stopIfDone()
}

// stopIfDone ends Run once the domain is no longer running; a paused
// domain, or a vCPU taken down, parks its thread here until it may run.
func (v *vcpu) stopIfDone() error {
	d := v.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.state == Paused || (d.state == Running && v.state != vcpuUp) {
		d.cond.Wait()
	}
	if d.state != Running {
		return hypervisor.ErrStopped
	}
	return nil
}

// MMIO: a PVH domain has no emulated devices; reads float high, writes
// (including xAPIC EOIs) are dropped.
func (v *vcpu) MMIO(_ *hypervisor.VCPU, gpa uint64, write bool, data []byte) error {
	if !write {
		for i := range data {
			data[i] = 0xFF
		}
	}
	if v.limit.allow() {
		v.d.log.Debug("guest access to unbacked memory", "vcpu", v.id, "gpa", fmt.Sprintf("%#x", gpa), "write", write)
	}
	return v.stopIfDone()
}

// RDMSR of the trapped MSRs reads 0 (the hypercall MSR reads 0 in Xen).
func (v *vcpu) RDMSR(_ *hypervisor.VCPU, index uint32) (uint64, bool) {
	return 0, index == hypercall.HypercallMSR || index == msrX2APICEOI
}

// WRMSR of the hypercall-page MSR fills the named RAM page with stubs.
// Value is (gfn << 12) | page index; index must be 0 (one page). A bad
// index or a frame outside RAM gets #GP, as in Xen. x2APIC EOIs are
// accepted and ignored.
func (v *vcpu) WRMSR(_ *hypervisor.VCPU, index uint32, value uint64) bool {
	if index == msrX2APICEOI {
		return true
	}
	if index != hypercall.HypercallMSR {
		return false
	}
	gpa := value &^ 0xFFF
	if value&0xFFF != 0 || gpa >= v.d.ramBytes {
		v.d.log.Warn("bad hypercall page MSR write", "vcpu", v.id, "value", fmt.Sprintf("%#x", value))
		return false
	}
	page := hypercall.Page()
	if err := v.d.mem.WriteAt(page[:], gpa); err != nil {
		return false
	}
	v.d.log.Debug("hypercall page installed", "vcpu", v.id, "gpa", fmt.Sprintf("%#x", gpa))
	return true
}

// Halt follows Xen's hvm_hlt: with interrupts enabled the vCPU blocks
// until an event is pending; with them disabled nothing could wake it, so
// the vCPU goes down, and when no vCPU is left up the domain powers off.
func (v *vcpu) Halt(hv *hypervisor.VCPU) error {
	if hv.InterruptsEnabled() {
		v.block(time.Time{}, nil, true)
		v.timeStale.Store(true)
		return v.stopIfDone()
	}
	d := v.d
	d.mu.Lock()
	v.state, _ = nextVCPU(v.state, vcpuEvDown)
	up := 0
	for _, o := range d.vcpus {
		if o.state == vcpuUp {
			up++
		}
	}
	d.mu.Unlock()
	if up == 0 {
		d.guestShutdown(hypercall.ShutdownPoweroff, "every vCPU halted with interrupts disabled")
	}
	return v.stopIfDone()
}

// BeforeEntry refreshes pvclock when due and injects the upcall vector
// while evtchn_upcall_pending is set, as Xen does for HVM guests: the
// per-vCPU vector if the guest set one, else the domain's callback vector,
// each time the guest can take an interrupt.
func (v *vcpu) BeforeEntry(hv *hypervisor.VCPU) error {
	if v.timeStale.Swap(false) || time.Since(v.lastTimeUpdate) > time.Second {
		v.updateTime()
	}
	vec := v.upcallVector.Load()
	if vec == 0 {
		vec = v.d.callback.Load()
	}
	if vec == 0 || !v.upcallPending() {
		hv.RequestInterruptWindow(false)
		return nil
	}
	if !hv.CanInject() {
		hv.RequestInterruptWindow(true)
		return nil
	}
	hv.RequestInterruptWindow(false)
	if err := hv.InjectInterrupt(uint8(vec)); err != nil && v.limit.allow() {
		v.d.log.Debug("upcall injection deferred", "vcpu", v.id, "err", err)
	}
	return nil
}

// Interrupted runs after a kick or a stray signal.
func (v *vcpu) Interrupted(*hypervisor.VCPU) error { return v.stopIfDone() }

// logLimit lets a few log lines per second through, so a guest hammering
// an unbacked port or address cannot flood the log.
type logLimit struct {
	window time.Time
	n      int
}

func (l *logLimit) allow() bool {
	now := time.Now()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	l.n++
	return l.n <= 5
}

// vcpuByID returns vCPU id of d, or -ENOENT as Xen's domain_vcpu.
func (d *Domain) vcpuByID(id uint32) (*vcpu, error) {
	if id >= uint32(len(d.vcpus)) {
		return nil, errno(hypercall.ENOENT, "vCPU %d of %d", id, len(d.vcpus))
	}
	return d.vcpus[id], nil
}

// VCPUInitialise sets vCPU id's register state from a vcpu_hvm_context
// (VCPUOP_initialise), once.
func (d *Domain) VCPUInitialise(id uint32, ctx *hypercall.VcpuHvmContext) error {
	v, err := d.vcpuByID(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Xen answers -EEXIST before looking at the context.
	next, err := nextVCPU(v.state, vcpuEvInitialise)
	if err != nil {
		return fmt.Errorf("initialise vCPU %d: %w", id, err)
	}
	regs, sregs, err := contextToRegs(ctx)
	if err != nil {
		return err
	}
	if v.hv != nil {
		var cur hypervisor.Sregs
		if err := v.hv.GetSregs(&cur); err != nil {
			return errno(hypercall.EINVAL, "vCPU %d: %v", id, err)
		}
		sregs.APICBase = cur.APICBase
		if err := v.hv.SetSregs(sregs); err != nil {
			return errno(hypercall.EINVAL, "vCPU %d state refused by KVM: %v", id, err)
		}
		if err := v.hv.SetRegs(regs); err != nil {
			return errno(hypercall.EINVAL, "vCPU %d registers refused by KVM: %v", id, err)
		}
	}
	v.state = next
	return nil
}

// VCPUUp brings an initialised vCPU up (VCPUOP_up).
func (d *Domain) VCPUUp(id uint32) error {
	v, err := d.vcpuByID(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	next, err := nextVCPU(v.state, vcpuEvUp)
	if err != nil {
		return fmt.Errorf("up vCPU %d: %w", id, err)
	}
	v.state = next
	d.cond.Broadcast()
	if d.state == Running {
		d.startLocked(v)
	}
	return nil
}

// VCPUDown takes a vCPU down (VCPUOP_down); it parks at its next exit.
// The last vCPU that is up cannot go down (-EINVAL).
func (d *Domain) VCPUDown(id uint32) error {
	v, err := d.vcpuByID(id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	others := 0
	for _, o := range d.vcpus {
		if o != v && o.state == vcpuUp {
			others++
		}
	}
	if v.state == vcpuUp && others == 0 {
		d.mu.Unlock()
		return errno(hypercall.EINVAL, "vCPU %d is the last one up", id)
	}
	v.state, _ = nextVCPU(v.state, vcpuEvDown)
	d.mu.Unlock()
	v.notify()
	return nil
}

// VCPUIsUp reports whether vCPU id is up.
func (d *Domain) VCPUIsUp(id uint32) bool {
	if id >= uint32(len(d.vcpus)) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.vcpus[id].state == vcpuUp
}

// contextToRegs converts a vcpu_hvm_context into register state, checking
// it as Xen's arch_set_info_hvm_guest does for the fields it depends on.
func contextToRegs(ctx *hypercall.VcpuHvmContext) (*hypervisor.Regs, *hypervisor.Sregs, error) {
	s := &hypervisor.Sregs{}
	switch ctx.Mode {
	case hypercall.VcpuHvmMode64b:
		c := ctx.X86_64()
		long := c.Efer&hypervisor.EFER_LMA != 0
		if long != (c.Efer&hypervisor.EFER_LME != 0) || long && (c.Cr0&hypervisor.CR0_PG == 0 || c.Cr4&hypervisor.CR4_PAE == 0) || c.Cr0&hypervisor.CR0_PE == 0 {
			return nil, nil, errno(hypercall.EINVAL, "64-bit context with inconsistent cr0 %#x cr4 %#x efer %#x", c.Cr0, c.Cr4, c.Efer)
		}
		if !canonical(c.Rip) || !canonical(c.Rsp) {
			return nil, nil, errno(hypercall.EINVAL, "non-canonical rip %#x or rsp %#x", c.Rip, c.Rsp)
		}
		s.SetFlat64()
		s.CR0, s.CR3, s.CR4, s.EFER = c.Cr0, c.Cr3, c.Cr4, c.Efer
		return &hypervisor.Regs{RAX: c.Rax, RCX: c.Rcx, RDX: c.Rdx, RBX: c.Rbx, RSP: c.Rsp, RBP: c.Rbp, RSI: c.Rsi, RDI: c.Rdi,
			RIP: c.Rip, RFLAGS: c.Rflags | hypervisor.ResetRFLAGS}, s, nil
	case hypercall.VcpuHvmMode32b:
		c := ctx.X86_32()
		if c.Cr0&hypervisor.CR0_PE == 0 || c.Efer&hypervisor.EFER_LMA != 0 {
			return nil, nil, errno(hypercall.EINVAL, "32-bit context with cr0 %#x efer %#x", c.Cr0, c.Efer)
		}
		s.SetFlat32()
		seg := func(base, limit uint32, ar uint16) hypervisor.Segment {
			return hypervisor.Segment{Base: uint64(base), Limit: limit, Type: uint8(ar & 0xF), S: uint8(ar >> 4 & 1),
				DPL: uint8(ar >> 5 & 3), Present: uint8(ar >> 7 & 1), AVL: uint8(ar >> 8 & 1), L: uint8(ar >> 9 & 1),
				DB: uint8(ar >> 10 & 1), G: uint8(ar >> 11 & 1), Unusable: boolU8(ar>>7&1 == 0)}
		}
		sel := s.CS.Selector
		s.CS = seg(c.CsBase, c.CsLimit, c.CsAr)
		s.CS.Selector = sel
		s.DS, s.ES, s.SS = seg(c.DsBase, c.DsLimit, c.DsAr), seg(c.EsBase, c.EsLimit, c.EsAr), seg(c.SsBase, c.SsLimit, c.SsAr)
		s.TR = seg(c.TrBase, c.TrLimit, c.TrAr)
		if s.CS.Present == 0 || s.CS.S == 0 || s.CS.Type&0x8 == 0 {
			return nil, nil, errno(hypercall.EINVAL, "32-bit context with unusable code segment (ar %#x)", c.CsAr)
		}
		s.CR0, s.CR3, s.CR4, s.EFER = uint64(c.Cr0), uint64(c.Cr3), uint64(c.Cr4), c.Efer
		return &hypervisor.Regs{RAX: uint64(c.Eax), RCX: uint64(c.Ecx), RDX: uint64(c.Edx), RBX: uint64(c.Ebx), RSP: uint64(c.Esp),
			RBP: uint64(c.Ebp), RSI: uint64(c.Esi), RDI: uint64(c.Edi), RIP: uint64(c.Eip), RFLAGS: uint64(c.Eflags) | hypervisor.ResetRFLAGS}, s, nil
	}
	return nil, nil, errno(hypercall.EINVAL, "vcpu_hvm_context mode %d", ctx.Mode)
}

func canonical(a uint64) bool {
	top := int64(a) >> 47
	return top == 0 || top == -1
}

func boolU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// hypercall.Caller: the calling vCPU's view.

func (v *vcpu) DomID() uint16    { return v.d.ID }
func (v *vcpu) VCPUID() uint32   { return uint32(v.id) }
func (v *vcpu) NumVCPUs() uint32 { return uint32(len(v.d.vcpus)) }

func (v *vcpu) CopyFromGuest(dst []byte, gva uint64) error {
	if err := v.d.mem.ReadVirt(&v.paging, gva, dst); err != nil {
		return fmt.Errorf("%v: %w", err, hypercall.EFAULT)
	}
	return nil
}

func (v *vcpu) CopyToGuest(gva uint64, src []byte) error {
	if err := v.d.mem.WriteVirt(&v.paging, gva, src); err != nil {
		return fmt.Errorf("%v: %w", err, hypercall.EFAULT)
	}
	return nil
}

func (v *vcpu) ConsoleWrite(p []byte) {
	v.d.consoleMu.Lock()
	defer v.d.consoleMu.Unlock()
	v.d.cfg.Console.Write(p)
}

func (v *vcpu) Shutdown(reason uint32) error { return v.d.guestShutdown(reason, "") }
func (v *vcpu) Yield()                       { runtime.Gosched() }
func (v *vcpu) MemoryMap() []hypercall.E820Entry {
	return v.d.memmap
}
func (v *vcpu) RAMPages() (current, maximum, maxGFN uint64) {
	pages := v.d.ramBytes / PageSize
	return pages, pages, SpecialEnd/PageSize - 1
}
func (v *vcpu) UUID() [16]byte       { return v.d.UUID }
func (v *vcpu) SystemTimeNs() uint64 { return v.d.SystemTimeNs() }

func (v *vcpu) EvtchnAllocUnbound(dom, remote uint16) (uint32, error) {
	return v.d.EvtchnAllocUnbound(dom, remote)
}
func (v *vcpu) EvtchnBindInterdomain(rd uint16, rp uint32) (uint32, error) {
	return v.d.EvtchnBindInterdomain(rd, rp)
}
func (v *vcpu) EvtchnBindVirq(virq, vcpu uint32) (uint32, error) {
	return v.d.EvtchnBindVirq(virq, vcpu)
}
func (v *vcpu) EvtchnBindIPI(vcpu uint32) (uint32, error) { return v.d.EvtchnBindIPI(vcpu) }
func (v *vcpu) EvtchnClose(port uint32) error             { return v.d.EvtchnClose(port) }
func (v *vcpu) EvtchnSend(port uint32) error              { return v.d.EvtchnSend(port) }
func (v *vcpu) EvtchnStatus(dom uint16, port uint32, st *hypercall.EvtchnStatus) error {
	return v.d.EvtchnStatus(dom, port, st)
}
func (v *vcpu) EvtchnBindVCPU(port, vcpu uint32) error { return v.d.EvtchnBindVCPU(port, vcpu) }
func (v *vcpu) EvtchnUnmask(port uint32) error         { return v.d.EvtchnUnmask(port) }
func (v *vcpu) EvtchnReset(dom uint16) error           { return v.d.EvtchnReset(dom) }

func (v *vcpu) VCPUInitialise(id uint32, ctx *hypercall.VcpuHvmContext) error {
	return v.d.VCPUInitialise(id, ctx)
}
func (v *vcpu) VCPUUp(id uint32) error   { return v.d.VCPUUp(id) }
func (v *vcpu) VCPUDown(id uint32) error { return v.d.VCPUDown(id) }
func (v *vcpu) VCPUIsUp(id uint32) bool  { return v.d.VCPUIsUp(id) }
func (v *vcpu) SetSingleshotTimer(id uint32, deadline uint64, future bool) error {
	return v.d.SetSingleshotTimer(id, deadline, future)
}
func (v *vcpu) StopSingleshotTimer(id uint32) error { return v.d.StopSingleshotTimer(id) }
func (v *vcpu) SetPeriodicTimer(id uint32, period uint64) error {
	return v.d.SetPeriodicTimer(id, period)
}
func (v *vcpu) StopPeriodicTimer(id uint32) error { return v.d.StopPeriodicTimer(id) }
func (v *vcpu) RegisterVCPUInfo(id uint32, gfn uint64, offset uint32) error {
	return v.d.RegisterVCPUInfo(id, gfn, offset)
}

func (v *vcpu) SetCallbackVia(via uint64) error { return v.d.SetCallbackVia(via) }
func (v *vcpu) SetUpcallVector(id uint32, vec uint8) error {
	t, err := v.d.vcpuByID(id)
	if err != nil {
		return err
	}
	t.upcallVector.Store(uint32(vec))
	t.notify()
	return nil
}
func (v *vcpu) HVMParam(index uint32) (uint64, error) { return v.d.HVMParam(index) }
func (v *vcpu) MapSharedInfo(gfn uint64) error        { return v.d.MapSharedInfo(gfn) }

func (v *vcpu) GrantSetupTable(dom uint16, nr uint32) ([]uint64, int16) {
	return v.d.GrantSetupTable(dom, nr)
}
func (v *vcpu) GrantQuerySize(dom uint16) (uint32, uint32, int16) { return v.d.GrantQuerySize(dom) }
func (v *vcpu) MapGrantRef(dom uint16, ref uint32, hostAddr uint64, flags uint32) (uint32, int16) {
	return v.d.MapGrantRef(dom, ref, hostAddr, flags)
}
func (v *vcpu) UnmapGrantRef(h uint32, hostAddr uint64) int16 { return v.d.UnmapGrantRef(h, hostAddr) }
func (v *vcpu) GrantCopy(op *hypercall.GnttabCopy) int16      { return v.d.GrantCopy(op) }
func (v *vcpu) MapGrantFrame(idx, gfn uint64) error           { return v.d.MapGrantFrame(idx, gfn) }
func (v *vcpu) StillRunning() bool                            { return v.d.isRunning() }

// VCPUStat is one vCPU as the toolstack lists it.
type VCPUStat struct {
	Online  bool
	Blocked bool          // waiting for an event (SCHEDOP_block/poll, HLT)
	CPU     int           // host CPU it last ran on, -1 if unknown
	Time    time.Duration // host CPU time spent running it
}

// VCPUStats describes every vCPU of d.
func (d *Domain) VCPUStats() []VCPUStat {
	out := make([]VCPUStat, len(d.vcpus))
	for i, v := range d.vcpus {
		out[i] = VCPUStat{Online: d.VCPUIsUp(uint32(i)), Blocked: v.blocked.Load(), CPU: -1}
		if v.hv != nil {
			out[i].CPU, out[i].Time = v.hv.LastCPU(), v.hv.CPUTime()
		}
	}
	return out
}

// CPUTime is the host CPU time spent running d's vCPUs.
func (d *Domain) CPUTime() time.Duration {
	var t time.Duration
	for _, s := range d.VCPUStats() {
		t += s.Time
	}
	return t
}
