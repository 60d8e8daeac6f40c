/*
 * events.c - event channels: shared_info, the upcall vector, the 2-level
 * demultiplexer and the port API (see <guestlib/events.h>).
 *
 * State and who writes it:
 *   shinfo       the shared_info page; evtchn_pending and evtchn_mask bits
 *                are changed only with atomic bit operations (the
 *                hypervisor sets pending bits concurrently);
 *   ports[p]     handler of port p: written by the binding vCPU before the
 *                port's bit is set in cpu_ports, cleared after it is cleared;
 *   cpu_ports[v] bitmap of the ports that notify vCPU v, the demultiplexer's
 *                filter, so vCPU v never takes another vCPU's port that
 *                shares a pending word; atomic bit operations;
 *   stats[v]     written only by vCPU v.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/sched.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include <arch.h>
#include <guestlib/events.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>
#include <guestlib/time.h>
#include <guestlib/xen.h>

#define BITS_PER_WORD	    64
#define BIND_RETRY_NS	    (10 * NS_PER_MSEC)
#define NR_WORDS	    (GUESTLIB_NR_EVTCHN / BITS_PER_WORD)
#define NR_SHARED_WORDS	    (sizeof(((shared_info_t *)0)->evtchn_pending) / sizeof(xen_ulong_t))

_Static_assert(GUESTLIB_NR_EVTCHN % BITS_PER_WORD == 0, "whole pending words");
_Static_assert(NR_WORDS <= NR_SHARED_WORDS, "no more ports than the 2-level ABI has");
_Static_assert(GUESTLIB_MAX_VCPUS <= XEN_LEGACY_MAX_VCPUS, "vcpu_info slots in shared_info");

struct port_slot {
	evtchn_handler_t fn;
	void *data;
	unsigned int vcpu; /* vCPU the port notifies */
	int bound;	   /* opened through this library */
};

/* The page that becomes shared_info: page aligned and a whole page. */
static union {
	shared_info_t s;
	char page[XEN_PAGE_SIZE];
} shinfo_page __attribute__((aligned(XEN_PAGE_SIZE)));

static shared_info_t *shinfo; /* non-NULL once init_events() succeeded */
static struct port_slot ports[GUESTLIB_NR_EVTCHN];
static volatile unsigned long cpu_ports[GUESTLIB_MAX_VCPUS][NR_WORDS];
static struct evtchn_stats stats[GUESTLIB_MAX_VCPUS];

static inline volatile unsigned long *pending_word(evtchn_port_t port)
{
	return (volatile unsigned long *)&shinfo->evtchn_pending[port / BITS_PER_WORD];
}

static inline volatile unsigned long *mask_word(evtchn_port_t port)
{
	return (volatile unsigned long *)&shinfo->evtchn_mask[port / BITS_PER_WORD];
}

static int check_port(evtchn_port_t port)
{
	if (!shinfo)
		return -XEN_ENODEV;
	if (port == 0 || port >= GUESTLIB_NR_EVTCHN)
		return -XEN_EINVAL;
	return 0;
}

static int close_port(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

/* ---- set-up ---- */

static int check_features(void)
{
	xen_feature_info_t fi = { .submap_idx = 0 };
	int rc;

	rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
	if (rc < 0)
		return rc;
	if (!(fi.submap & (1U << XENFEAT_hvm_callback_vector)))
		return -XEN_EOPNOTSUPP;
	return 0;
}

static int map_shared_info(void)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_shared_info,
		.idx = 0,
		.gpfn = (uintptr_t)&shinfo_page >> XEN_PAGE_SHIFT,
	};
	long rc;

	rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
	return rc < 0 ? (int)rc : 0;
}

static int set_callback(uint64_t value)
{
	struct xen_hvm_param p = {
		.domid = DOMID_SELF,
		.index = HVM_PARAM_CALLBACK_IRQ,
		.value = value,
	};
	long rc;

	rc = HYPERVISOR_hvm_op(HVMOP_set_param, &p);
	return rc < 0 ? (int)rc : 0;
}

int init_events(void)
{
	shared_info_t *s = &shinfo_page.s;
	unsigned int w;
	int rc;

	if (shinfo)
		return 0;
	rc = check_features();
	if (rc < 0)
		return rc;
	rc = arch_init_traps();
	if (rc < 0)
		return rc;
	rc = arch_load_traps();
	if (rc < 0)
		return rc;
	rc = map_shared_info();
	if (rc < 0)
		return rc;
	for (w = 0; w < NR_SHARED_WORDS; w++)
		s->evtchn_mask[w] = ~(xen_ulong_t)0;
	this_cpu()->vcpu_info = &s->vcpu_info[smp_cpu_id()];
	shinfo = s;
	rc = set_callback(((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) |
			  ARCH_UPCALL_VECTOR);
	if (rc < 0) {
		shinfo = NULL;
		this_cpu()->vcpu_info = NULL;
		return rc;
	}
	arch_irq_enable();
	return 0;
}

int fini_events(void)
{
	evtchn_port_t port;
	int rc, first = 0;

	if (!shinfo)
		return 0;
	for (port = 1; port < GUESTLIB_NR_EVTCHN; port++) {
		if (!ports[port].bound)
			continue;
		rc = evtchn_close(port);
		if (rc < 0 && !first)
			first = rc;
	}
	rc = set_callback(0);
	if (rc < 0 && !first)
		first = rc;
	arch_irq_disable();
	return first;
}

int events_ready(void)
{
	return shinfo != NULL;
}

int events_init_cpu(void)
{
	unsigned int id = smp_cpu_id();

	if (!shinfo)
		return -XEN_ENODEV;
	if (id >= XEN_LEGACY_MAX_VCPUS)
		return -XEN_ENOSPC; /* would need VCPUOP_register_vcpu_info */
	this_cpu()->vcpu_info = &shinfo->vcpu_info[id];
	return 0;
}

shared_info_t *events_shared_info(void)
{
	return shinfo;
}

struct vcpu_info *events_vcpu_info(unsigned int id)
{
	if (!shinfo || id >= XEN_LEGACY_MAX_VCPUS)
		return NULL;
	return &shinfo->vcpu_info[id];
}

/* ---- blocking ---- */

int events_wait(int (*cond)(void *arg), void *arg)
{
	struct vcpu_info *vi = this_cpu()->vcpu_info;

	if (!vi)
		return -XEN_ENODEV;
	arch_irq_disable();
	if (!(cond && cond(arg)) && !*(volatile uint8_t *)&vi->evtchn_upcall_pending)
		HYPERVISOR_sched_op(SCHEDOP_block, NULL);
	arch_irq_enable();
	return 0;
}

/* ---- the demultiplexer ---- */

static void dispatch(unsigned int cpu, evtchn_port_t port)
{
	struct port_slot *slot = &ports[port];
	evtchn_handler_t fn = slot->fn;

	if (fn) {
		stats[cpu].events++;
		fn(port, slot->data);
	} else {
		stats[cpu].spurious++;
	}
}

void evtchn_do_upcall(void)
{
	struct cpu_local *c = this_cpu();
	unsigned int cpu = c->id;
	struct vcpu_info *vi = c->vcpu_info;
	volatile uint8_t *upcall_pending;
	unsigned long sel, pend;
	unsigned int w, b;

	if (!vi || !shinfo)
		return; /* cannot happen: the callback is set after both */
	stats[cpu].upcalls++;
	upcall_pending = (volatile uint8_t *)&vi->evtchn_upcall_pending;
	do {
		*upcall_pending = 0;
		/* XCHG is a full barrier: the clear above is visible before the scan. */
		sel = arch_xchg((volatile unsigned long *)&vi->evtchn_pending_sel, 0);
		while (sel) {
			w = arch_ffs(sel);
			sel &= sel - 1;
			if (w >= NR_WORDS)
				continue; /* no port there is ours (check_port) */
			pend = *(volatile xen_ulong_t *)&shinfo->evtchn_pending[w] &
			       ~*(volatile xen_ulong_t *)&shinfo->evtchn_mask[w] &
			       cpu_ports[cpu][w];
			while (pend) {
				b = arch_ffs(pend);
				pend &= pend - 1;
				if (arch_test_and_clear_bit(b, pending_word(w * BITS_PER_WORD)))
					dispatch(cpu, w * BITS_PER_WORD + b);
			}
		}
	} while (*upcall_pending);
}

int evtchn_get_stats(unsigned int id, struct evtchn_stats *st)
{
	if (id >= GUESTLIB_MAX_VCPUS)
		return -XEN_EINVAL;
	*st = stats[id];
	return 0;
}

/* ---- ports ---- */

int evtchn_mask(evtchn_port_t port)
{
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	arch_set_bit(port % BITS_PER_WORD, mask_word(port));
	return 0;
}

int evtchn_unmask(evtchn_port_t port)
{
	struct evtchn_unmask op = { .port = port };
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	arch_clear_bit(port % BITS_PER_WORD, mask_word(port));
	if (!arch_test_bit(port % BITS_PER_WORD, pending_word(port)))
		return 0;
	/*
	 * Pending while masked: nobody set the selector or upcall flag. Xen
	 * re-raises only for a mask bit it clears itself, so set it again.
	 */
	arch_set_bit(port % BITS_PER_WORD, mask_word(port));
	return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

int evtchn_clear(evtchn_port_t port)
{
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	arch_clear_bit(port % BITS_PER_WORD, pending_word(port));
	return 0;
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *data)
{
	unsigned long flags;
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	if (!ports[port].bound)
		return -XEN_EINVAL;
	/* Keep this vCPU's demultiplexer from seeing fn and data half-updated. */
	flags = arch_irq_save();
	ports[port].fn = NULL;
	barrier();
	ports[port].data = data;
	barrier();
	ports[port].fn = fn;
	arch_irq_restore(flags);
	return 0;
}

/*
 * Record a port the hypervisor just opened and unmask it. Called with
 * interrupts disabled on this vCPU; another vCPU skips the port until its
 * cpu_ports bit is set, so a pending event waits instead of being dropped,
 * and evtchn_unmask() raises it.
 */
static int track(evtchn_port_t port, unsigned int vcpu, evtchn_handler_t fn,
		 void *data)
{
	struct port_slot *slot;

	if (port == 0 || port >= GUESTLIB_NR_EVTCHN || vcpu >= GUESTLIB_MAX_VCPUS) {
		close_port(port);
		return -XEN_ENOSPC;
	}
	slot = &ports[port];
	arch_set_bit(port % BITS_PER_WORD, mask_word(port));
	slot->fn = fn;
	slot->data = data;
	slot->vcpu = vcpu;
	slot->bound = 1;
	barrier();
	arch_set_bit(port % BITS_PER_WORD, &cpu_ports[vcpu][port / BITS_PER_WORD]);
	return evtchn_unmask(port);
}

int evtchn_bind_virq(uint32_t virq, unsigned int vcpu, evtchn_handler_t fn,
		     void *data, evtchn_port_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	unsigned long flags;
	int rc;

	if (!shinfo)
		return -XEN_ENODEV;
	flags = arch_irq_save();
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
	if (rc == 0)
		rc = track(op.port, vcpu, fn, data);
	arch_irq_restore(flags);
	if (rc == 0)
		*port = op.port;
	return rc;
}

int evtchn_bind_ipi(unsigned int vcpu, evtchn_handler_t fn, void *data,
		    evtchn_port_t *port)
{
	struct evtchn_bind_ipi op = { .vcpu = vcpu };
	unsigned long flags;
	int rc;

	if (!shinfo)
		return -XEN_ENODEV;
	flags = arch_irq_save();
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
	if (rc == 0)
		rc = track(op.port, vcpu, fn, data);
	arch_irq_restore(flags);
	if (rc == 0)
		*port = op.port;
	return rc;
}

int evtchn_alloc_unbound(domid_t remote_dom, evtchn_handler_t fn, void *data,
			 evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote_dom };
	unsigned long flags;
	int rc;

	if (!shinfo)
		return -XEN_ENODEV;
	flags = arch_irq_save();
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
	if (rc == 0)
		rc = track(op.port, 0, fn, data);
	arch_irq_restore(flags);
	if (rc == 0)
		*port = op.port;
	return rc;
}

int evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			    evtchn_handler_t fn, void *data,
			    evtchn_port_t *local_port)
{
	struct evtchn_bind_interdomain op = {
		.remote_dom = remote_dom,
		.remote_port = remote_port,
	};
	unsigned long flags;
	int rc;

	if (!shinfo)
		return -XEN_ENODEV;
	flags = arch_irq_save();
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
	if (rc == 0)
		rc = track(op.local_port, 0, fn, data);
	arch_irq_restore(flags);
	if (rc == 0)
		*local_port = op.local_port;
	return rc;
}

int evtchn_bind_interdomain_retry(domid_t remote_dom, evtchn_port_t remote_port,
				  evtchn_handler_t fn, void *data,
				  evtchn_port_t *local_port, uint64_t timeout_ns)
{
	uint64_t now = monotonic_ns();
	uint64_t deadline = timeout_ns > TIME_FOREVER - now ? TIME_FOREVER : now + timeout_ns;
	int rc;

	for (;;) {
		rc = evtchn_bind_interdomain(remote_dom, remote_port, fn, data, local_port);
		if ((rc != -XEN_EINVAL && rc != -XEN_ESRCH) || monotonic_ns() >= deadline)
			return rc;
		rc = sleep_ns(BIND_RETRY_NS);
		if (rc < 0)
			return rc;
	}
}

int evtchn_bind_existing(evtchn_port_t port, evtchn_handler_t fn, void *data)
{
	unsigned long flags;
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	if (ports[port].bound)
		return -XEN_EEXIST;
	flags = arch_irq_save();
	rc = track(port, 0, fn, data);
	arch_irq_restore(flags);
	return rc;
}

int evtchn_notify(evtchn_port_t port)
{
	struct evtchn_send op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_close(evtchn_port_t port)
{
	struct port_slot *slot;
	unsigned long flags;
	int rc = check_port(port);

	if (rc < 0)
		return rc;
	slot = &ports[port];
	flags = arch_irq_save();
	arch_set_bit(port % BITS_PER_WORD, mask_word(port));
	if (slot->bound)
		arch_clear_bit(port % BITS_PER_WORD,
			       &cpu_ports[slot->vcpu][port / BITS_PER_WORD]);
	slot->fn = NULL;
	slot->data = NULL;
	slot->bound = 0;
	rc = close_port(port);
	arch_clear_bit(port % BITS_PER_WORD, pending_word(port));
	arch_irq_restore(flags);
	return rc;
}

int evtchn_status(domid_t dom, evtchn_port_t port, struct evtchn_status *st)
{
	st->dom = dom;
	st->port = port;
	return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}
