/*
 * smp.h - vCPU identity and starting secondary vCPUs.
 *
 * Each vCPU has a struct cpu_local; the architecture keeps a pointer to it
 * in a per-vCPU register (x86_64: GS base, read as %gs:0), so smp_cpu_id()
 * costs two loads and no hypercall. guest_start() sets up vCPU 0's before
 * anything else runs (init_smp()).
 *
 * Secondary vCPU start (smp_start_vcpu()): VCPUOP_initialise with a 64-bit
 * context (arch_vcpu_initialise()), then VCPUOP_up. The new vCPU runs
 * smp_ap_start() on its own 16 KiB stack: loads the GDT and IDT, sets its
 * cpu_local, takes its vcpu_info slot if init_events() has run, binds its
 * own VIRQ_TIMER if init_time() has run (so it can sleep), enables
 * interrupts if events are on, and calls fn(arg). When fn returns the vCPU
 * takes itself down (VCPUOP_down; if that fails it halts with interrupts
 * disabled).
 */
#ifndef GUESTLIB_SMP_H
#define GUESTLIB_SMP_H

#include <stdint.h>
#include <xen/xen.h>
#include <arch.h>

#define GUESTLIB_MAX_VCPUS 8		/* vCPU ids 0..7 */
#define SMP_STACK_SIZE	   (16 * 1024)	/* bytes, per secondary vCPU */

typedef void (*smp_fn_t)(void *arg);

/* Per-vCPU data. Written by its own vCPU, except as noted. */
struct cpu_local {
	struct cpu_local *self;	     /* first: arch_cpu_local() loads it */
	unsigned int id;	     /* vCPU id */
	volatile int online;	     /* 1 while fn runs (secondary) or always (vCPU 0) */
	struct vcpu_info *vcpu_info; /* this vCPU's slot, set by init_events()/smp_ap_start() */
	smp_fn_t fn;		     /* written by smp_start_vcpu() before VCPUOP_up */
	void *arg;
};

static inline struct cpu_local *this_cpu(void)
{
	return (struct cpu_local *)arch_cpu_local();
}

/* The calling vCPU's id (0 for the boot vCPU). */
static inline unsigned int smp_cpu_id(void)
{
	return this_cpu()->id;
}

/* Set up vCPU 0's cpu_local; called by guest_start(). Returns 0. */
int init_smp(void);

/* Take every started secondary vCPU down (VCPUOP_down). 0 or the first error. */
int fini_smp(void);

/* cpu_local of vCPU id, or NULL if id >= GUESTLIB_MAX_VCPUS. */
struct cpu_local *smp_cpu(unsigned int id);

/*
 * Start vCPU id (1..GUESTLIB_MAX_VCPUS-1) running fn(arg). Returns 0 once
 * VCPUOP_up succeeded (fn may not have started yet: see cpu_local.online),
 * -XEN_EINVAL for a bad id or a running vCPU, or the hypervisor's errno
 * (-XEN_ENOENT: the domain has no such vCPU).
 */
int smp_start_vcpu(unsigned int id, smp_fn_t fn, void *arg);

/* Called by arch_ap_entry on the new vCPU; does not return. */
__attribute__((noreturn)) void smp_ap_start(void *cpu);

#endif /* GUESTLIB_SMP_H */
