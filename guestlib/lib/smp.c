/*
 * smp.c - per-vCPU data and secondary vCPU start (<guestlib/smp.h>).
 *
 * cpus[v] is written by smp_start_vcpu() (fn, arg, id) before VCPUOP_up and
 * by vCPU v itself afterwards. Secondary stacks live in .bss.noinit, which
 * guestlib.ld keeps out of the BSS that pvh_start zeroes (112 KiB of
 * clearing saved under an instruction emulator; fresh RAM is zero anyway).
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/vcpu.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/events.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>
#include <guestlib/time.h>

static struct cpu_local cpus[GUESTLIB_MAX_VCPUS];
static volatile uint32_t started[GUESTLIB_MAX_VCPUS]; /* VCPUOP_up succeeded */

static char ap_stacks[GUESTLIB_MAX_VCPUS - 1][SMP_STACK_SIZE]
	__attribute__((section(".bss.noinit.smp_stacks"), aligned(16)));

int init_smp(void)
{
	struct cpu_local *c = &cpus[0];

	c->self = c;
	c->id = 0;
	c->online = 1;
	arch_set_cpu_local(c);
	return 0;
}

struct cpu_local *smp_cpu(unsigned int id)
{
	return id < GUESTLIB_MAX_VCPUS ? &cpus[id] : NULL;
}

int smp_start_vcpu(unsigned int id, smp_fn_t fn, void *arg)
{
	struct cpu_local *c;
	int rc;

	if (id == 0 || id >= GUESTLIB_MAX_VCPUS || !fn)
		return -XEN_EINVAL;
	if (arch_xchg32(&started[id], 1))
		return -XEN_EINVAL; /* already started */
	rc = arch_init_traps(); /* the new vCPU loads the IDT built here */
	if (rc < 0)
		goto fail;
	c = &cpus[id];
	c->self = c;
	c->id = id;
	c->online = 0;
	c->vcpu_info = NULL;
	c->fn = fn;
	c->arg = arg;
	barrier();
	rc = arch_vcpu_initialise(id, ap_stacks[id - 1] + SMP_STACK_SIZE, c);
	if (rc < 0)
		goto fail;
	rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	started[id] = 0;
	return rc;
}

void smp_ap_start(void *cpu)
{
	struct cpu_local *c = cpu;
	int rc;

	arch_set_cpu_local(c);
	arch_load_traps();
	if (events_ready()) {
		rc = events_init_cpu();
		if (rc == 0 && time_ready())
			rc = init_time();
		if (rc < 0)
			panic("smp: vcpu %u: event set-up failed: %d\n", c->id, rc);
		arch_irq_enable();
	}
	c->online = 1;
	c->fn(c->arg);
	c->online = 0;

	arch_irq_disable();
	HYPERVISOR_vcpu_op(VCPUOP_down, c->id, NULL);
	for (;;)
		arch_halt(); /* interrupts disabled: Xen treats this as going offline too */
}

int fini_smp(void)
{
	unsigned int id;
	int rc, first = 0;

	for (id = 1; id < GUESTLIB_MAX_VCPUS; id++) {
		if (!started[id])
			continue;
		rc = HYPERVISOR_vcpu_op(VCPUOP_down, id, NULL);
		if (rc < 0 && !first)
			first = rc;
		started[id] = 0;
		cpus[id].online = 0;
	}
	return first;
}
