package hypercall

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Caller is the calling vCPU and its domain, as handlers see them. The
// domain layer implements it; tests use fakes. Guest addresses are guest
// virtual addresses of the calling vCPU; the copy methods translate them,
// check bounds and return an error wrapping EFAULT when any byte is not
// accessible.
type Caller interface {
	DomID() uint16
	VCPUID() uint32
	CopyFromGuest(dst []byte, gva uint64) error
	CopyToGuest(gva uint64, src []byte) error

	// ConsoleWrite emits guest console output (console_io).
	ConsoleWrite(p []byte)
	// Shutdown records a SCHEDOP_shutdown with a SHUTDOWN_* reason; the
	// vCPU stops after the hypercall returns.
	Shutdown(reason uint32) error
	// Yield gives up the physical CPU briefly.
	Yield()
	// MemoryMap is the domain's E820-style memory map.
	MemoryMap() []E820Entry
	// RAMPages is the domain's current and maximum reservation in pages,
	// and the highest gfn it may use.
	RAMPages() (current, maximum, maxGFN uint64)
	// UUID is the domain handle (XENVER_guest_handle).
	UUID() [16]byte

	EventChannels
	Scheduling
	VCPUs
	HVM
	Grants
}

// EventChannels is a domain's 2-level event-channel table, seen from one
// of its vCPUs. dom arguments are already resolved from DomidSelf. Errors
// wrap Xen errnos.
type EventChannels interface {
	EvtchnAllocUnbound(dom, remote uint16) (port uint32, err error)
	EvtchnBindInterdomain(remoteDom uint16, remotePort uint32) (port uint32, err error)
	EvtchnBindVirq(virq, vcpu uint32) (port uint32, err error)
	EvtchnBindIPI(vcpu uint32) (port uint32, err error)
	EvtchnClose(port uint32) error
	EvtchnSend(port uint32) error
	EvtchnStatus(dom uint16, port uint32, st *EvtchnStatus) error
	EvtchnBindVCPU(port, vcpu uint32) error
	EvtchnUnmask(port uint32) error
	EvtchnReset(dom uint16) error
}

// Scheduling is what sched_op needs beyond shutdown and yield.
type Scheduling interface {
	// Block sleeps until an event is pending for the calling vCPU.
	Block() error
	// Poll sleeps until one of ports is pending or system time passes
	// timeoutNs (0: no timeout).
	Poll(ports []uint32, timeoutNs uint64) error
	// SystemTimeNs is Xen system time: ns since the domain started.
	SystemTimeNs() uint64
}

// VCPUs is what vcpu_op needs. vcpu is already checked to be < NumVCPUs.
type VCPUs interface {
	NumVCPUs() uint32
	VCPUInitialise(vcpu uint32, ctx *VcpuHvmContext) error
	VCPUUp(vcpu uint32) error
	VCPUDown(vcpu uint32) error
	VCPUIsUp(vcpu uint32) bool
	SetSingleshotTimer(vcpu uint32, deadlineNs uint64, future bool) error
	StopSingleshotTimer(vcpu uint32) error
	SetPeriodicTimer(vcpu uint32, periodNs uint64) error
	StopPeriodicTimer(vcpu uint32) error
	RegisterVCPUInfo(vcpu uint32, gfn uint64, offset uint32) error
}

// HVM is what hvm_op and the physmap sub-ops of memory_op need.
type HVM interface {
	SetCallbackVia(via uint64) error
	SetUpcallVector(vcpu uint32, vector uint8) error
	// HVMParam reads a parameter a domU may read.
	HVMParam(index uint32) (uint64, error)
	// MapSharedInfo places shared_info at guest frame gfn.
	MapSharedInfo(gfn uint64) error
}

// Call is one trapped hypercall decoded per Xen's x86 calling convention.
type Call struct {
	Nr   uint64
	Args [5]uint64
	// CPL is the caller's privilege level; Xen refuses HVM hypercalls from
	// CPL > 0 with -EPERM.
	CPL int
}

// Call64 decodes a hypercall made from 64-bit code: number in rax,
// arguments in rdi, rsi, rdx, r10, r8.
func Call64(rax, rdi, rsi, rdx, r10, r8 uint64, cpl int) Call {
	return Call{Nr: rax, Args: [5]uint64{rdi, rsi, rdx, r10, r8}, CPL: cpl}
}

// Call32 decodes a hypercall made from 32-bit code: number in eax,
// arguments in ebx, ecx, edx, esi, edi, each zero-extended.
func Call32(eax, ebx, ecx, edx, esi, edi uint64, cpl int) Call {
	const m = 0xFFFF_FFFF
	return Call{Nr: eax & m, Args: [5]uint64{ebx & m, ecx & m, edx & m, esi & m, edi & m}, CPL: cpl}
}

// Handler serves one hypercall. It returns the non-negative result for
// rax or an error; the dispatcher turns the error into a negated errno.
type Handler func(c Caller, args *[5]uint64) (uint64, error)

// Flags qualify a table entry.
type Flags uint8

const (
	// Privileged entries are refused to every domain but dom0 (-EPERM).
	Privileged Flags = 1 << iota
)

// Entry is one row of the dispatch table (cf. Xen's hypercall-defs.c).
type Entry struct {
	Nr      uint32
	Name    string
	NArgs   int
	Handler Handler
	Flags   Flags
}

// Table is the hypercall dispatch table, indexed by hypercall number.
// Numbers without an entry answer -ENOSYS, as Xen does for hypercalls it
// does not implement.
var Table = buildTable([]Entry{
	{Nr: NrMemoryOp, Name: "memory_op", NArgs: 2, Handler: memoryOp},
	{Nr: NrXenVersion, Name: "xen_version", NArgs: 2, Handler: xenVersion},
	{Nr: NrConsoleIo, Name: "console_io", NArgs: 3, Handler: consoleIO},
	{Nr: NrSchedOp, Name: "sched_op", NArgs: 2, Handler: schedOp},
	{Nr: NrVcpuOp, Name: "vcpu_op", NArgs: 3, Handler: vcpuOp},
	{Nr: NrEventChannelOp, Name: "event_channel_op", NArgs: 2, Handler: eventChannelOp},
	{Nr: NrHvmOp, Name: "hvm_op", NArgs: 2, Handler: hvmOp},
	{Nr: NrGrantTableOp, Name: "grant_table_op", NArgs: 3, Handler: grantTableOp},
})

// NumHypercalls is the number of hypercall-page slots (4096 / 32).
const NumHypercalls = 128

func buildTable(entries []Entry) *[NumHypercalls]*Entry {
	var t [NumHypercalls]*Entry
	for i := range entries {
		e := &entries[i]
		if e.Nr >= NumHypercalls || t[e.Nr] != nil {
			panic(fmt.Sprintf("hypercall table: bad or duplicate entry %d (%s)", e.Nr, e.Name))
		}
		t[e.Nr] = e
	}
	return &t
}

// Dispatcher runs hypercalls against the table, counts them, and is the
// only place where Go errors become guest errno values.
type Dispatcher struct {
	table  *[NumHypercalls]*Entry
	counts [NumHypercalls + 1]atomic.Uint64 // last slot: out-of-range numbers
	log    *slog.Logger
	limit  rateLimit
}

// NewDispatcher returns a dispatcher over Table logging guest errors to log.
func NewDispatcher(log *slog.Logger) *Dispatcher {
	return &Dispatcher{table: Table, log: log, limit: rateLimit{perSecond: 20}}
}

// Dispatch serves one call and returns the value to put in rax.
func (d *Dispatcher) Dispatch(c Caller, call Call) uint64 {
	if call.Nr >= NumHypercalls {
		d.counts[NumHypercalls].Add(1)
		d.guestError(c, call, "", ENOSYS, "hypercall number out of range")
		return uint64(ENOSYS.Neg())
	}
	d.counts[call.Nr].Add(1)
	e := d.table[call.Nr]
	if e == nil {
		return uint64(ENOSYS.Neg())
	}
	if call.CPL != 0 {
		d.guestError(c, call, e.Name, EPERM, fmt.Sprintf("called from CPL %d", call.CPL))
		return uint64(EPERM.Neg())
	}
	if e.Flags&Privileged != 0 && c.DomID() != 0 {
		d.guestError(c, call, e.Name, EPERM, "privileged hypercall from an unprivileged domain")
		return uint64(EPERM.Neg())
	}
	args := call.Args
	r, err := e.Handler(c, &args)
	if err == nil {
		return r
	}
	var errno Errno
	if !errors.As(err, &errno) {
		// A handler bug, not the guest's fault: say so, give the guest EINVAL.
		d.log.Error("hypercall handler returned a non-errno error", "domid", c.DomID(), "vcpu", c.VCPUID(), "hypercall", e.Name, "err", err)
		return uint64(EINVAL.Neg())
	}
	if errno != ENOSYS {
		d.guestError(c, call, e.Name, errno, err.Error())
	}
	return uint64(errno.Neg())
}

// guestError logs a failed guest hypercall at info level, rate-limited:
// guests fail hypercalls in normal operation (a bind retried until the
// peer offers its port), and Xen itself reports these only in debug
// builds (gdprintk).
func (d *Dispatcher) guestError(c Caller, call Call, name string, errno Errno, msg string) {
	if !d.limit.allow() {
		return
	}
	if name == "" {
		name = fmt.Sprint(call.Nr)
	}
	d.log.Info("guest hypercall failed", "domid", c.DomID(), "vcpu", c.VCPUID(), "hypercall", name, "errno", errno.Name(), "detail", msg)
}

// Counts returns how many times each hypercall number was made; the last
// element counts numbers beyond the table.
func (d *Dispatcher) Counts() [NumHypercalls + 1]uint64 {
	var out [NumHypercalls + 1]uint64
	for i := range d.counts {
		out[i] = d.counts[i].Load()
	}
	return out
}

// rateLimit lets perSecond log lines through each second, so a guest that
// hammers a failing hypercall cannot flood the log.
type rateLimit struct {
	perSecond int
	mu        sync.Mutex
	window    time.Time
	n         int
}

func (r *rateLimit) allow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.window) >= time.Second {
		r.window, r.n = now, 0
	}
	r.n++
	return r.n <= r.perSecond
}
