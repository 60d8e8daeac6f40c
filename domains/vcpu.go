package domains

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/hypervisor"
)

// vcpu binds a KVM vCPU to its domain. It implements hypervisor.ExitHandler
// (what exits mean) and hypercall.Caller (what handlers may do). Its
// scratch register state is used only on the vCPU's own thread.
type vcpu struct {
	d       *Domain
	id      int
	hv      *hypervisor.VCPU
	started bool // guarded by d.mu

	regs   hypervisor.Regs
	sregs  hypervisor.Sregs
	paging hypervisor.Paging
	limit  logLimit
}

func newVCPU(d *Domain, id int, entry uint32) (*vcpu, error) {
	hv, err := d.vm.NewVCPU(id)
	if err != nil {
		return nil, err
	}
	v := &vcpu{d: d, id: id, hv: hv}
	tscKHz, err := hv.TSCKHz()
	if err != nil {
		hv.Close()
		return nil, err
	}
	if err := hv.SetCPUID(guestCPUID(d.vm.SupportedCPUID(), d.ID, uint32(id), uint32(tscKHz))); err != nil {
		hv.Close()
		return nil, err
	}
	if err := hv.GetSregs(&v.sregs); err != nil {
		hv.Close()
		return nil, err
	}
	// PVH entry (docs/misc/pvh.pandoc): flat 32-bit protected mode, paging
	// off, ebx = hvm_start_info.
	v.sregs.SetFlat32()
	if err := hv.SetSregs(&v.sregs); err != nil {
		hv.Close()
		return nil, err
	}
	v.regs = hypervisor.Regs{RIP: uint64(entry), RBX: StartInfoGPA, RFLAGS: hypervisor.ResetRFLAGS}
	if err := hv.SetRegs(&v.regs); err != nil {
		hv.Close()
		return nil, err
	}
	return v, nil
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
// rax and stops the vCPU if the call shut the domain down.
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
// domain parks its vCPU threads here until unpaused.
func (v *vcpu) stopIfDone() error {
	d := v.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.state == Paused {
		d.cond.Wait()
	}
	if d.state != Running {
		return hypervisor.ErrStopped
	}
	return nil
}

// MMIO: a PVH domain has no emulated devices; reads float high, writes are
// dropped.
func (v *vcpu) MMIO(_ *hypervisor.VCPU, gpa uint64, write bool, data []byte) error {
	if !write {
		for i := range data {
			data[i] = 0xFF
		}
	}
	if v.limit.allow() {
		v.d.log.Warn("guest access to unbacked memory", "vcpu", v.id, "gpa", fmt.Sprintf("%#x", gpa), "write", write)
	}
	return v.stopIfDone()
}

// RDMSR of the hypercall-page MSR reads 0 (Xen msr.c).
func (v *vcpu) RDMSR(_ *hypervisor.VCPU, index uint32) (uint64, bool) {
	return 0, index == hypercall.HypercallMSR
}

// WRMSR of the hypercall-page MSR fills the named RAM page with stubs.
// Value is (gfn << 12) | page index; index must be 0 (one page). A bad
// index or a frame outside RAM gets #GP, as in Xen.
func (v *vcpu) WRMSR(_ *hypervisor.VCPU, index uint32, value uint64) bool {
	if index != hypercall.HypercallMSR {
		return false
	}
	gpa := value &^ 0xFFF
	if value&0xFFF != 0 || gpa >= v.d.ramBytes {
		v.d.log.Warn("bad hypercall page MSR write", "vcpu", v.id, "value", fmt.Sprintf("%#x", value))
		return false
	}
	page := hypercall.Page()
	if err := v.d.vm.Mem.WriteAt(page[:], gpa); err != nil {
		return false
	}
	v.d.log.Debug("hypercall page installed", "vcpu", v.id, "gpa", fmt.Sprintf("%#x", gpa))
	return true
}

// Halt without an in-kernel irqchip: nothing can wake the vCPU yet, so it
// parks until the domain stops.
func (v *vcpu) Halt(*hypervisor.VCPU) error {
	d := v.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.state == Running || d.state == Paused {
		d.cond.Wait()
	}
	return hypervisor.ErrStopped
}

// BeforeEntry injects nothing yet: event channels bring upcalls.
func (v *vcpu) BeforeEntry(*hypervisor.VCPU) error { return nil }

// Interrupted runs after a kick or a stray signal.
func (v *vcpu) Interrupted(*hypervisor.VCPU) error { return v.stopIfDone() }

// hypercall.Caller

func (v *vcpu) DomID() uint16  { return v.d.ID }
func (v *vcpu) VCPUID() uint32 { return uint32(v.id) }

func (v *vcpu) CopyFromGuest(dst []byte, gva uint64) error {
	if err := v.d.vm.Mem.ReadVirt(&v.paging, gva, dst); err != nil {
		return fmt.Errorf("%v: %w", err, hypercall.EFAULT)
	}
	return nil
}

func (v *vcpu) CopyToGuest(gva uint64, src []byte) error {
	if err := v.d.vm.Mem.WriteVirt(&v.paging, gva, src); err != nil {
		return fmt.Errorf("%v: %w", err, hypercall.EFAULT)
	}
	return nil
}

func (v *vcpu) ConsoleWrite(p []byte) {
	v.d.consoleMu.Lock()
	defer v.d.consoleMu.Unlock()
	v.d.cfg.Console.Write(p)
}

func (v *vcpu) Shutdown(reason uint32) error {
	return v.d.guestShutdown(reason, "")
}

func (v *vcpu) Yield() { runtime.Gosched() }

func (v *vcpu) MemoryMap() []hypercall.E820Entry { return v.d.memmap }

func (v *vcpu) RAMPages() (current, maximum, maxGFN uint64) {
	pages := v.d.ramBytes / PageSize
	return pages, pages, SpecialEnd/PageSize - 1
}

func (v *vcpu) UUID() [16]byte { return v.d.UUID }

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
