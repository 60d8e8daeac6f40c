package hypervisor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Exit errors end VCPU.Run. Guest-caused ones (triple fault, emulation
// failure) make the domain crash; they never panic the process.
var (
	// ErrStopped is returned by an ExitHandler to end Run cleanly.
	ErrStopped = errors.New("hypervisor: vCPU stopped")
	// ErrTripleFault is KVM_EXIT_SHUTDOWN: the guest triple-faulted.
	ErrTripleFault = errors.New("hypervisor: guest triple fault (KVM_EXIT_SHUTDOWN)")
)

// InternalError is KVM_EXIT_INTERNAL_ERROR (e.g. the instruction emulator
// could not handle a guest instruction).
type InternalError struct {
	Suberror uint32
	Data     []uint64
}

func (e *InternalError) Error() string {
	what := map[uint32]string{1: "emulation failure", 2: "simultaneous exceptions", 3: "unexpected exit during event delivery", 4: "unexpected exit reason"}[e.Suberror]
	if what == "" {
		what = "unknown"
	}
	return fmt.Sprintf("hypervisor: KVM internal error %d (%s) data %#x", e.Suberror, what, e.Data)
}

// FailEntryError is KVM_EXIT_FAIL_ENTRY: hardware refused the guest state.
type FailEntryError struct {
	Reason uint64
	CPU    uint32
}

func (e *FailEntryError) Error() string {
	return fmt.Sprintf("hypervisor: VM entry failed, hardware reason %#x on cpu %d", e.Reason, e.CPU)
}

// UnhandledExitError is an exit reason the run loop has no meaning for.
type UnhandledExitError struct{ Reason uint32 }

func (e *UnhandledExitError) Error() string {
	return fmt.Sprintf("hypervisor: unhandled KVM exit reason %d", e.Reason)
}

// ExitHandler gives exits a meaning; the domain layer implements it. Every
// method runs on the vCPU's own locked thread. A non-nil error ends Run
// with that error (ErrStopped for a clean stop).
type ExitHandler interface {
	// IO handles port I/O. data holds size*count bytes: written by the
	// guest for out, to be filled for in.
	IO(v *VCPU, port uint16, out bool, data []byte) error
	// MMIO handles an access to unbacked guest-physical memory.
	MMIO(v *VCPU, gpa uint64, write bool, data []byte) error
	// RDMSR returns a trapped MSR's value; ok=false injects #GP.
	RDMSR(v *VCPU, index uint32) (value uint64, ok bool)
	// WRMSR writes a trapped MSR; ok=false injects #GP.
	WRMSR(v *VCPU, index uint32, value uint64) (ok bool)
	// Halt handles HLT (only exits when there is no in-kernel irqchip).
	Halt(v *VCPU) error
	// Interrupted runs when KVM_RUN returned EINTR: after a Kick, or after
	// an unrelated signal such as Go's preemption.
	Interrupted(v *VCPU) error
	// BeforeEntry runs before every KVM_RUN; it is where interrupts are
	// injected (InjectInterrupt, RequestInterruptWindow).
	BeforeEntry(v *VCPU) error
}

// VCPU is one virtual CPU: its fd and kvm_run mapping. Run must be called
// from one goroutine, which it locks to its OS thread.
type VCPU struct {
	ID  int
	vm  *VM
	fd  int
	run []byte // kvm_run, shared with KVM

	tid   atomic.Int32 // OS thread in Run, 0 when not running
	exits [NumExitReasons]atomic.Uint64

	cpuMu     sync.Mutex    // guards the CPU accounting below
	cpuDone   time.Duration // CPU time of finished runs
	cpuAtRun  time.Duration // the thread's CPU time when the current run started
	cpuThread int           // the thread of the current run, 0 between runs
	eintr     atomic.Uint64
	running   atomic.Bool
}

// NewVCPU creates vCPU id and maps its kvm_run structure.
func (vm *VM) NewVCPU(id int) (*VCPU, error) {
	fd, err := ioctlVal(vm.fd, KVM_CREATE_VCPU, uintptr(id))
	if err != nil {
		return nil, fmt.Errorf("hypervisor: KVM_CREATE_VCPU %d: %w", id, err)
	}
	run, err := unix.Mmap(int(fd), 0, vm.sys.vcpuMmapSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(int(fd))
		return nil, fmt.Errorf("hypervisor: mmap kvm_run of vCPU %d: %w", id, err)
	}
	return &VCPU{ID: id, vm: vm, fd: int(fd), run: run}, nil
}

// Close unmaps kvm_run and closes the vCPU fd. Run must have returned.
func (v *VCPU) Close() error {
	unix.Munmap(v.run)
	return unix.Close(v.fd)
}

// Memory returns the guest-physical memory of the vCPU's VM.
func (v *VCPU) Memory() *Memory { return v.vm.Mem }

// GetRegs, SetRegs, GetSregs and SetSregs access register state. Call them
// from the vCPU's thread (inside an ExitHandler) or before Run.
func (v *VCPU) GetRegs(r *Regs) error   { return wrap("KVM_GET_REGS", getRegs(v.fd, r)) }
func (v *VCPU) SetRegs(r *Regs) error   { return wrap("KVM_SET_REGS", setRegs(v.fd, r)) }
func (v *VCPU) GetSregs(s *Sregs) error { return wrap("KVM_GET_SREGS", getSregs(v.fd, s)) }
func (v *VCPU) SetSregs(s *Sregs) error { return wrap("KVM_SET_SREGS", setSregs(v.fd, s)) }

func wrap(op string, err error) error {
	if err != nil {
		return fmt.Errorf("hypervisor: %s: %w", op, err)
	}
	return nil
}

// SetCPUID installs the CPUID leaves the guest will see.
func (v *VCPU) SetCPUID(entries []CPUIDEntry) error {
	if len(entries) > maxCPUIDEntries {
		return fmt.Errorf("hypervisor: %d CPUID leaves, at most %d", len(entries), maxCPUIDEntries)
	}
	var c cpuid2
	c.Nent = uint32(copy(c.Entries[:], entries))
	return wrap("KVM_SET_CPUID2", setCPUID2(v.fd, &c))
}

// TSCKHz returns the guest TSC frequency in kHz.
func (v *VCPU) TSCKHz() (uint64, error) {
	khz, err := ioctlVal(v.fd, KVM_GET_TSC_KHZ, 0)
	return uint64(khz), wrap("KVM_GET_TSC_KHZ", err)
}

// msrTSC is IA32_TIME_STAMP_COUNTER.
const msrTSC = 0x10

// GuestTSC reads the guest's time-stamp counter (KVM_GET_MSRS), for
// pairing with host time in pvclock updates.
func (v *VCPU) GuestTSC() (uint64, error) {
	m := kvmMSRs{NMSRs: 1, Index: msrTSC}
	n, err := getMSR(v.fd, &m)
	if err == nil && n != 1 {
		err = fmt.Errorf("read %d MSRs, want 1", n)
	}
	return m.Data, wrap("KVM_GET_MSRS(IA32_TSC)", err)
}

// ExitCounts returns how many exits of each KVM exit reason the vCPU took,
// and how many KVM_RUN calls ended with EINTR.
func (v *VCPU) ExitCounts() (byReason [NumExitReasons]uint64, eintr uint64) {
	for i := range v.exits {
		byReason[i] = v.exits[i].Load()
	}
	return byReason, v.eintr.Load()
}

// CanInject reports whether the guest can take an external interrupt on
// the next entry (RFLAGS.IF set, no interrupt shadow), as KVM last saw it.
// Only meaningful on the vCPU thread between runs.
func (v *VCPU) CanInject() bool {
	return v.run[runReadyForInjection] != 0 && v.run[runIfFlag] != 0
}

// InterruptsEnabled reports RFLAGS.IF as of the last exit.
func (v *VCPU) InterruptsEnabled() bool { return v.run[runIfFlag] != 0 }

// InjectInterrupt queues external interrupt vector for the next entry
// (KVM_INTERRUPT, user-space irqchip mode: no LAPIC, so the guest sends no
// EOI). Call it on the vCPU thread when CanInject is true.
func (v *VCPU) InjectInterrupt(vector uint8) error {
	return wrap("KVM_INTERRUPT", interrupt(v.fd, uint32(vector)))
}

// RequestInterruptWindow asks KVM to exit as soon as the guest can take an
// interrupt (KVM_EXIT_IRQ_WINDOW_OPEN), or stops asking.
func (v *VCPU) RequestInterruptWindow(on bool) {
	v.run[runRequestInterruptWindow] = boolByte(on)
}

// Kick makes a running KVM_RUN return EINTR soon, and a KVM_RUN about to
// start return at once. Safe from any goroutine. Callers record why they
// kicked before calling Kick; ExitHandler.Interrupted reads it.
func (v *VCPU) Kick() {
	v.run[runImmediateExit] = 1
	if tid := v.tid.Load(); tid != 0 {
		// SIGURG is Go's own preemption signal: the runtime tolerates
		// spurious ones, and its delivery interrupts KVM_RUN.
		unix.Tgkill(unix.Getpid(), int(tid), unix.SIGURG)
	}
}

// Run enters the guest until the handler or a fatal exit ends it. It locks
// the calling goroutine to its OS thread for the duration.
func (v *VCPU) Run(h ExitHandler) error {
	if !v.running.CompareAndSwap(false, true) {
		return fmt.Errorf("hypervisor: vCPU %d is already running", v.ID)
	}
	defer v.running.Store(false)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	v.tid.Store(int32(tid))
	defer v.tid.Store(0)
	v.startCPUAccounting(tid)
	defer v.stopCPUAccounting()

	le := binary.LittleEndian
	for {
		if err := h.BeforeEntry(v); err != nil {
			return err
		}
		err := kvmRun(v.fd)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				v.eintr.Add(1)
				v.run[runImmediateExit] = 0 // before Interrupted reads the kick's reason
				if err := h.Interrupted(v); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("hypervisor: KVM_RUN vCPU %d: %w", v.ID, err)
		}
		reason := le.Uint32(v.run[runExitReason:])
		if reason < NumExitReasons {
			v.exits[reason].Add(1)
		}
		switch reason {
		case KVM_EXIT_IO:
			size := uint64(v.run[runIOSize])
			count := uint64(le.Uint32(v.run[runIOCount:]))
			off := le.Uint64(v.run[runIODataOffset:])
			n := size * count
			if off > uint64(len(v.run)) || n > uint64(len(v.run))-off {
				return fmt.Errorf("hypervisor: KVM_EXIT_IO data [%d,+%d) outside kvm_run", off, n)
			}
			out := v.run[runIODirection] == KVM_EXIT_IO_OUT
			if err := h.IO(v, le.Uint16(v.run[runIOPort:]), out, v.run[off:off+n]); err != nil {
				return err
			}
		case KVM_EXIT_MMIO:
			n := le.Uint32(v.run[runMMIOLen:])
			if n > 8 {
				n = 8
			}
			data := v.run[runMMIOData : runMMIOData+n]
			if err := h.MMIO(v, le.Uint64(v.run[runMMIOPhysAddr:]), v.run[runMMIOIsWrite] != 0, data); err != nil {
				return err
			}
		case KVM_EXIT_X86_RDMSR:
			val, ok := h.RDMSR(v, le.Uint32(v.run[runMSRIndex:]))
			v.run[runMSRError] = boolByte(!ok)
			le.PutUint64(v.run[runMSRData:], val)
		case KVM_EXIT_X86_WRMSR:
			ok := h.WRMSR(v, le.Uint32(v.run[runMSRIndex:]), le.Uint64(v.run[runMSRData:]))
			v.run[runMSRError] = boolByte(!ok)
		case KVM_EXIT_HLT:
			if err := h.Halt(v); err != nil {
				return err
			}
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			// The guest can take an interrupt now: BeforeEntry injects it.
		case KVM_EXIT_INTR:
			v.eintr.Add(1)
			if err := h.Interrupted(v); err != nil {
				return err
			}
		case KVM_EXIT_SHUTDOWN:
			return ErrTripleFault
		case KVM_EXIT_INTERNAL_ERROR:
			nd := le.Uint32(v.run[runInternalNdata:])
			if nd > 16 {
				nd = 16
			}
			e := &InternalError{Suberror: le.Uint32(v.run[runInternalSuberror:])}
			for i := uint32(0); i < nd; i++ {
				e.Data = append(e.Data, le.Uint64(v.run[runInternalData+8*i:]))
			}
			return e
		case KVM_EXIT_FAIL_ENTRY:
			return &FailEntryError{Reason: le.Uint64(v.run[runFailEntryReason:]), CPU: le.Uint32(v.run[runFailEntryCPU:])}
		default:
			return &UnhandledExitError{Reason: reason}
		}
	}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// threadCPUTime reads a thread's time on CPU (/proc schedstat, ns).
func threadCPUTime(tid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/schedstat", tid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("hypervisor: empty schedstat for thread %d", tid)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err
}

func (v *VCPU) startCPUAccounting(tid int) {
	t, _ := threadCPUTime(tid)
	v.cpuMu.Lock()
	v.cpuAtRun, v.cpuThread = t, tid
	v.cpuMu.Unlock()
}

func (v *VCPU) stopCPUAccounting() {
	v.cpuMu.Lock()
	defer v.cpuMu.Unlock()
	if t, err := threadCPUTime(v.cpuThread); err == nil && t > v.cpuAtRun {
		v.cpuDone += t - v.cpuAtRun
	}
	v.cpuThread = 0
}

// CPUTime is the host CPU time the vCPU's thread has spent running it
// (guest execution, exits and their handling).
func (v *VCPU) CPUTime() time.Duration {
	v.cpuMu.Lock()
	defer v.cpuMu.Unlock()
	total := v.cpuDone
	if v.cpuThread != 0 {
		if t, err := threadCPUTime(v.cpuThread); err == nil && t > v.cpuAtRun {
			total += t - v.cpuAtRun
		}
	}
	return total
}

// LastCPU is the host CPU the vCPU's thread last ran on, or -1 when it is
// not running.
func (v *VCPU) LastCPU() int {
	tid := v.tid.Load()
	if tid == 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		return -1
	}
	// Fields after the ")" closing the command name; processor is field 39.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 37 {
		return -1
	}
	cpu, err := strconv.Atoi(f[36])
	if err != nil {
		return -1
	}
	return cpu
}

// ExitReasonName names a KVM exit reason ("IO", "HLT", ...).
func ExitReasonName(r uint32) string {
	switch r {
	case KVM_EXIT_UNKNOWN:
		return "UNKNOWN"
	case KVM_EXIT_EXCEPTION:
		return "EXCEPTION"
	case KVM_EXIT_IO:
		return "IO"
	case KVM_EXIT_HYPERCALL:
		return "HYPERCALL"
	case KVM_EXIT_DEBUG:
		return "DEBUG"
	case KVM_EXIT_HLT:
		return "HLT"
	case KVM_EXIT_MMIO:
		return "MMIO"
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return "IRQ_WINDOW_OPEN"
	case KVM_EXIT_SHUTDOWN:
		return "SHUTDOWN"
	case KVM_EXIT_FAIL_ENTRY:
		return "FAIL_ENTRY"
	case KVM_EXIT_INTR:
		return "INTR"
	case KVM_EXIT_INTERNAL_ERROR:
		return "INTERNAL_ERROR"
	case KVM_EXIT_SYSTEM_EVENT:
		return "SYSTEM_EVENT"
	case KVM_EXIT_X86_RDMSR:
		return "X86_RDMSR"
	case KVM_EXIT_X86_WRMSR:
		return "X86_WRMSR"
	}
	return fmt.Sprintf("exit%d", r)
}
