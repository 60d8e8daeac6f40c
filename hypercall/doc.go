// Package hypercall is Xenolith's home for Xen's guest ABI and the code that
// serves it.
//
// Place in the data flow: a guest calls hypercall_page + 32*nr; the stub
// traps to the VMM with an out to TrapPort; the vCPU thread in hypervisor/
// reads the registers and calls the dispatch table here, whose handler
// copies the argument structs out of guest memory (Decode), calls the
// domain model through small interfaces (implemented by domains/), copies
// results back (Encode) and returns a value or a negated Errno for rax. The
// dom0 services in toolstack/ use the same mirrors for the rings they share
// with guests (xenstore, console, blkif).
//
// The ABI has one home per language. Guest C code includes Xen's public
// headers (Debian libxen-dev, /usr/include/xen, 4.17); this package holds
// the Go mirrors:
//
//   - consts.go: hypercall numbers, sub-op numbers, flags, limits;
//   - errno.go: Errno, Xen's error numbers;
//   - abi.go: one struct per C struct, with Decode/Encode/Append/SizeOf.
//
// abi_test.go is the referee, like Xen's tools/include/xen-foreign
// reference.size check: it generates a C program from the Go declarations,
// compiles it with gcc against /usr/include/xen with
// __XEN_INTERFACE_VERSION__ 0x00040e00, and fails on any difference in
// struct size, field offset, field size, signedness or constant value. It
// needs gcc and libxen-dev (scripts/deps.sh).
//
// # Naming
//
// Go names are derived mechanically from the C names so that either can be
// found from the other: split the C name at underscores, drop empty parts,
// and capitalise each part (first letter upper case, the rest lower case,
// except parts already in mixed case, which are kept). Where two numeric
// parts meet ("x86" "32"), the underscore stays. The prefix "__HYPERVISOR_"
// of hypercall numbers becomes "Nr".
//
//	__HYPERVISOR_memory_op      NrMemoryOp
//	XENMEM_add_to_physmap       XenmemAddToPhysmap
//	HVM_PARAM_CONSOLE_EVTCHN    HvmParamConsoleEvtchn
//	XEN_ELFNOTE_PHYS32_ENTRY    XenElfnotePhys32Entry
//	EVTCHN_2L_NR_CHANNELS       Evtchn2lNrChannels
//	XenbusStateInitWait         XenbusStateInitWait
//	struct evtchn_bind_virq     EvtchnBindVirq
//	struct vcpu_hvm_x86_32      VcpuHvmX86_32
//	field tsc_to_system_mul     TscToSystemMul `xen:"tsc_to_system_mul"`
//
// Errno constants keep their C names (EINVAL, ENOSYS), as syscall does.
// The few values Xen's public headers do not name (MemopExtentShift,
// BlkifRingSize, CPUID leaf numbers, console ring sizes, E820Entry) say
// where they come from.
//
// Units: all sizes are bytes and all times nanoseconds of Xen system time
// unless a name or comment says otherwise; frame numbers (gfn, gpfn, mfn)
// count 4 KiB pages.
package hypercall
