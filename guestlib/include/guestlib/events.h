/*
 * events.h - event channels (2-level ABI) with an upcall vector.
 *
 * init_events() on vCPU 0:
 *   1. checks XENFEAT_hvm_callback_vector (XENVER_get_features);
 *   2. builds and loads the IDT (arch_init_traps(), arch_load_traps()), so
 *      exceptions are reported and crash the domain instead of
 *      triple-faulting;
 *   3. places shared_info on a page of guestlib's BSS (XENMEM_add_to_physmap,
 *      XENMAPSPACE_shared_info); vCPU n uses shared_info->vcpu_info[n];
 *   4. masks every port (Linux does the same), so a port is delivered only
 *      after its handler is registered and it is unmasked;
 *   5. sets HVM_PARAM_CALLBACK_IRQ = (HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) |
 *      ARCH_UPCALL_VECTOR, and enables interrupts.
 *
 * Delivery: the hypervisor injects the vector (no LAPIC, no EOI) while the
 * vCPU's evtchn_upcall_pending is 1 and interrupts are enabled.
 * evtchn_do_upcall() clears evtchn_upcall_pending, swaps evtchn_pending_sel
 * with 0, and for each selected word takes the ports that are pending, not
 * masked and bound to this vCPU; it clears each pending bit atomically, then
 * calls the port's handler. It repeats until evtchn_upcall_pending stays 0.
 * Handlers run with interrupts disabled, on the interrupted stack; they may
 * send events and call printk.
 *
 * Each bind call registers fn(port, data) for the new port, records which
 * vCPU it notifies, and unmasks it; an event that was already pending
 * (bind_interdomain marks the new port pending) is then delivered. Ports
 * from alloc_unbound and bind_interdomain notify vCPU 0.
 *
 * All functions return 0 or a negative Xen errno; -XEN_ENODEV before
 * init_events(), -XEN_EINVAL for a port this library does not track
 * (port 0 or >= GUESTLIB_NR_EVTCHN), -XEN_ENOSPC if the hypervisor hands out
 * such a port (it is closed again).
 */
#ifndef GUESTLIB_EVENTS_H
#define GUESTLIB_EVENTS_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

/* Ports 1..GUESTLIB_NR_EVTCHN-1 can carry a handler (2-level allows 4096). */
#define GUESTLIB_NR_EVTCHN 1024

/* Called on the vCPU the port notifies, interrupts disabled. */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *data);

/* Set up event delivery (see above) on vCPU 0; enables interrupts. */
int init_events(void);

/*
 * Close every port bound through this library, set HVM_PARAM_CALLBACK_IRQ
 * to 0 and disable interrupts. The shared_info mapping and the IDT stay.
 * Returns 0 or the first error.
 */
int fini_events(void);

/* 1 once init_events() has succeeded. */
int events_ready(void);

/* For a secondary vCPU, on that vCPU: take its vcpu_info slot. */
int events_init_cpu(void);

/* The shared_info page (NULL before init_events()). */
shared_info_t *events_shared_info(void);

/* vcpu_info of vCPU id (NULL before init_events() or if id >= 32). */
struct vcpu_info *events_vcpu_info(unsigned int id);

/*
 * Block the calling vCPU until an event is pending for it, then enable
 * interrupts so the upcall runs:
 *   cli; if (!cond(arg) && !evtchn_upcall_pending) SCHEDOP_block; sti
 * cond (may be NULL) is checked with interrupts disabled, so an event whose
 * handler makes it true cannot slip in between the check and the block.
 * Returns 0 after any event (a timer, another port): callers loop on their
 * own condition (wait_until_ns() in <guestlib/time.h> does). -XEN_ENODEV
 * before init_events(). Leaves interrupts enabled.
 */
int events_wait(int (*cond)(void *arg), void *arg);

/* EVTCHNOP_bind_virq: virq (VIRQ_TIMER, ...) on vCPU vcpu. */
int evtchn_bind_virq(uint32_t virq, unsigned int vcpu, evtchn_handler_t fn,
		     void *data, evtchn_port_t *port);

/* EVTCHNOP_bind_ipi: a port that notifies vCPU vcpu when sent to. */
int evtchn_bind_ipi(unsigned int vcpu, evtchn_handler_t fn, void *data,
		    evtchn_port_t *port);

/* EVTCHNOP_alloc_unbound (dom DOMID_SELF): a port remote_dom may bind to. */
int evtchn_alloc_unbound(domid_t remote_dom, evtchn_handler_t fn, void *data,
			 evtchn_port_t *port);

/*
 * EVTCHNOP_bind_interdomain: connect to remote_port of remote_dom (which
 * must have offered it with alloc_unbound; -XEN_EINVAL until then).
 */
int evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			    evtchn_handler_t fn, void *data,
			    evtchn_port_t *local_port);

/*
 * evtchn_bind_interdomain(), retried while the peer has not offered the
 * port yet (it may still be booting): while the answer is -XEN_EINVAL (not
 * offered yet) or -XEN_ESRCH (no such domain yet), sleep 10 ms and try
 * again, until timeout_ns of system time have passed since the call; then
 * the last error. Any other error is returned at once. Needs init_time()
 * (a sleep's error is returned too).
 */
int evtchn_bind_interdomain_retry(domid_t remote_dom, evtchn_port_t remote_port,
				  evtchn_handler_t fn, void *data,
				  evtchn_port_t *local_port, uint64_t timeout_ns);

/*
 * Handle a port that was bound before this library saw it: one the
 * toolstack connected before boot (HVM_PARAM_STORE_EVTCHN, the console
 * port). Records fn, assumes it notifies vCPU 0 (interdomain ports do),
 * and unmasks it. -XEN_EEXIST if the port is already tracked. The port is
 * then like any other: evtchn_close() and fini_events() close it.
 */
int evtchn_bind_existing(evtchn_port_t port, evtchn_handler_t fn, void *data);

/* EVTCHNOP_send: notify the other end of port (any port, tracked or not). */
int evtchn_notify(evtchn_port_t port);

/* Set the mask bit: the port's events stay pending but are not delivered. */
int evtchn_mask(evtchn_port_t port);

/*
 * Clear the mask bit. If the port is pending, set the mask again and let
 * EVTCHNOP_unmask clear it, which raises the upcall (Linux HVM does this;
 * Xen only re-raises for a port whose mask bit it clears itself).
 */
int evtchn_unmask(evtchn_port_t port);

/* Clear the port's pending bit (drop an event not yet delivered). */
int evtchn_clear(evtchn_port_t port);

/* Replace the handler of a tracked port. */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data);

/* Mask, forget the handler, EVTCHNOP_close. */
int evtchn_close(evtchn_port_t port);

/* EVTCHNOP_status of (dom, port) into *st (dom DOMID_SELF for our own). */
int evtchn_status(domid_t dom, evtchn_port_t port, struct evtchn_status *st);

/* Demultiplexer, called by the architecture's upcall entry. */
void evtchn_do_upcall(void);

/* Per-vCPU counters, for tests and debugging. */
struct evtchn_stats {
	uint64_t upcalls;  /* evtchn_do_upcall() calls */
	uint64_t events;   /* handlers called */
	uint64_t spurious; /* pending ports with no handler (dropped) */
};

/* Copy vCPU id's counters into *st. */
int evtchn_get_stats(unsigned int id, struct evtchn_stats *st);

#endif /* GUESTLIB_EVENTS_H */
