/*
 * time.c - pvclock, wall clock, VIRQ_TIMER and sleeping (<guestlib/time.h>).
 *
 * Per-vCPU state tcpu[v] is written only by vCPU v (ticks by its VIRQ_TIMER
 * handler, the rest by its own calls).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/vcpu.h>

#include <arch.h>
#include <guestlib/events.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>
#include <guestlib/time.h>

struct time_cpu {
	evtchn_port_t port;	 /* VIRQ_TIMER port, 0 if not bound */
	volatile uint64_t ticks; /* VIRQ_TIMER events handled */
	void (*hook)(void *data);
	void *hook_data;
};

static struct time_cpu tcpu[GUESTLIB_MAX_VCPUS];
static int time_on; /* init_time() ran on vCPU 0 */

/* ---- clocks ---- */

static uint64_t pvclock_read(const volatile struct vcpu_time_info *t)
{
	uint32_t version, mul;
	uint64_t stamp, system, delta;
	int8_t shift;

	do {
		version = t->version;
		rmb();
		stamp = t->tsc_timestamp;
		system = t->system_time;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		delta = rdtsc() - stamp;
		rmb();
	} while ((version & 1) || version != t->version);

	if ((int64_t)delta < 0)
		delta = 0; /* TSC read before the update it raced with */
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return system + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t monotonic_ns(void)
{
	struct vcpu_info *vi = this_cpu()->vcpu_info;

	if (!vi)
		return 0;
	return pvclock_read(&vi->time);
}

int wallclock_base(uint64_t *sec, uint32_t *nsec)
{
	const volatile shared_info_t *s = events_shared_info();
	uint32_t version, lo, hi, ns;

	if (!s)
		return -XEN_ENODEV;
	do {
		version = s->wc_version;
		rmb();
		lo = s->wc_sec;
		hi = s->wc_sec_hi;
		ns = s->wc_nsec;
		rmb();
	} while ((version & 1) || version != s->wc_version);
	*sec = ((uint64_t)hi << 32) | lo;
	*nsec = ns;
	return 0;
}

int wallclock_at(uint64_t system_ns, uint64_t *sec, uint32_t *nsec)
{
	uint64_t s, ns;
	uint32_t n;
	int rc;

	rc = wallclock_base(&s, &n);
	if (rc < 0)
		return rc;
	ns = (uint64_t)n + system_ns % NS_PER_SEC;
	*sec = s + system_ns / NS_PER_SEC + ns / NS_PER_SEC;
	*nsec = (uint32_t)(ns % NS_PER_SEC);
	return 0;
}

int wallclock_now(uint64_t *sec, uint32_t *nsec)
{
	return wallclock_at(monotonic_ns(), sec, nsec);
}

/* ---- VIRQ_TIMER ---- */

static void timer_virq(evtchn_port_t port, void *data)
{
	struct time_cpu *t = data;

	(void)port;
	t->ticks++;
	if (t->hook)
		t->hook(t->hook_data);
}

int init_time(void)
{
	unsigned int id = smp_cpu_id();
	struct time_cpu *t = &tcpu[id];
	evtchn_port_t port;
	int rc;

	if (t->port)
		return 0;
	rc = evtchn_bind_virq(VIRQ_TIMER, id, timer_virq, t, &port);
	if (rc < 0)
		return rc;
	t->port = port;
	if (id == 0)
		time_on = 1;
	return 0;
}

int fini_time(void)
{
	unsigned int id = smp_cpu_id();
	struct time_cpu *t = &tcpu[id];
	int rc, rc2;

	if (!t->port)
		return 0;
	rc = timer_stop();
	rc2 = evtchn_close(t->port);
	t->port = 0;
	if (id == 0)
		time_on = 0;
	return rc < 0 ? rc : rc2;
}

int time_ready(void)
{
	return time_on;
}

int timer_set_deadline(uint64_t deadline_ns)
{
	struct vcpu_set_singleshot_timer op = { .timeout_abs_ns = deadline_ns, .flags = 0 };
	unsigned int id = smp_cpu_id();

	if (!tcpu[id].port)
		return -XEN_ENODEV;
	return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, id, &op);
}

int timer_stop(void)
{
	unsigned int id = smp_cpu_id();

	if (!tcpu[id].port)
		return -XEN_ENODEV;
	return HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, id, NULL);
}

int timer_set_hook(void (*fn)(void *data), void *data)
{
	struct time_cpu *t = &tcpu[smp_cpu_id()];
	unsigned long flags;

	if (!t->port)
		return -XEN_ENODEV;
	flags = arch_irq_save();
	t->hook = fn;
	t->hook_data = data;
	arch_irq_restore(flags);
	return 0;
}

uint64_t timer_ticks(void)
{
	return tcpu[smp_cpu_id()].ticks;
}

/* ---- waiting ---- */

int wait_until_ns(int (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	struct time_cpu *t = &tcpu[smp_cpu_id()];
	uint64_t armed_ticks = 0;
	int armed = 0, rc;

	for (;;) {
		if (cond && cond(arg))
			return 0;
		if (deadline_ns != TIME_FOREVER) {
			if (!t->port)
				return -XEN_ENODEV;
			if (monotonic_ns() >= deadline_ns)
				return -XEN_ETIMEDOUT;
			/* (Re-)arm after any tick: it may have been an earlier deadline's. */
			if (!armed || t->ticks != armed_ticks) {
				armed_ticks = t->ticks;
				rc = timer_set_deadline(deadline_ns);
				if (rc < 0)
					return rc;
				armed = 1;
			}
		}
		rc = events_wait(cond, arg);
		if (rc < 0)
			return rc;
	}
}

int sleep_until_ns(uint64_t deadline_ns)
{
	int rc = wait_until_ns(NULL, NULL, deadline_ns);

	return rc == -XEN_ETIMEDOUT ? 0 : rc;
}

int sleep_ns(uint64_t ns)
{
	uint64_t now = monotonic_ns();

	return sleep_until_ns(ns > TIME_FOREVER - now ? TIME_FOREVER : now + ns);
}
