/*
 * hypervisor.h - typed Xen hypercall wrappers (portable).
 *
 * Each wrapper is one hypercall through the architecture's transport
 * (arch/<arch>/hypercall.h). Argument structs, sub-op numbers and constants
 * come from Xen's public headers (<xen/...>, Debian libxen-dev); pointers are
 * guest addresses, which are physical addresses here (identity map).
 *
 * Return value: 0 or a positive result on success, a negated Xen errno
 * (-XEN_ENOSYS, ...) on failure. Only call these after init_xen() succeeded.
 */
#ifndef GUESTLIB_HYPERVISOR_H
#define GUESTLIB_HYPERVISOR_H

#include <stdint.h>
#include <xen/xen.h>
#include <hypercall.h>

/* xen_version(XENVER_*, arg): XENVER_version returns major << 16 | minor. */
static inline int HYPERVISOR_xen_version(int cmd, void *arg)
{
	return _hypercall2(int, xen_version, cmd, arg);
}

/* console_io(CONSOLEIO_write, count, buf): early/debug output to the hypervisor log. */
static inline int HYPERVISOR_console_io(int cmd, int count, char *buf)
{
	return _hypercall3(int, console_io, cmd, count, buf);
}

/* sched_op(SCHEDOP_*, arg): yield, block, shutdown (struct sched_shutdown), poll. */
static inline int HYPERVISOR_sched_op(int cmd, void *arg)
{
	return _hypercall2(int, sched_op, cmd, arg);
}

/* memory_op(XENMEM_*, arg): may return a count (extents, pages). */
static inline long HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return _hypercall2(long, memory_op, cmd, arg);
}

/* event_channel_op(EVTCHNOP_*, arg). */
static inline int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return _hypercall2(int, event_channel_op, cmd, arg);
}

/* hvm_op(HVMOP_*, arg): get/set HVM params, upcall vector. */
static inline long HYPERVISOR_hvm_op(int cmd, void *arg)
{
	return _hypercall2(long, hvm_op, cmd, arg);
}

/* vcpu_op(VCPUOP_*, vcpuid, arg): timers, vcpu_info, bring-up. */
static inline int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, void *arg)
{
	return _hypercall3(int, vcpu_op, cmd, vcpuid, arg);
}

/* grant_table_op(GNTTABOP_*, array, count): per-element status in each element. */
static inline int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop,
					    unsigned int count)
{
	return _hypercall3(int, grant_table_op, cmd, uop, count);
}

/* multicall(array of struct multicall_entry, count): per-entry results in each entry. */
static inline int HYPERVISOR_multicall(void *call_list, unsigned int nr_calls)
{
	return _hypercall2(int, multicall, call_list, nr_calls);
}

#endif /* GUESTLIB_HYPERVISOR_H */
