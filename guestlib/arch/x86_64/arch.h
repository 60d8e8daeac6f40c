/*
 * arch.h - x86_64 CPU helpers for guestlib (CPUID, MSRs, halting, barriers).
 *
 * Portable guestlib code never uses inline assembly directly; it calls these
 * arch_* hooks and helpers. A port to another architecture provides its own
 * arch/<arch>/arch.h with the same names.
 */
#ifndef GUESTLIB_ARCH_X86_64_ARCH_H
#define GUESTLIB_ARCH_X86_64_ARCH_H

#include <stdint.h>

/* Execute CPUID with EAX = leaf, ECX = subleaf. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
			 uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
	asm volatile("cpuid"
		     : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
		     : "a"(leaf), "c"(subleaf));
}

/* Read model-specific register msr (#GP, i.e. a triple fault without an IDT, if absent). */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* Write model-specific register msr. "memory": the hypervisor may write guest RAM. */
static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr"
		     :
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
}

/*
 * Compiler barrier and memory barriers (for shared rings and shared_info).
 *
 * x86 keeps loads in order with loads and stores with stores (TSO), so
 * rmb() and wmb() only have to stop the compiler, as in Linux's smp_rmb()
 * and smp_wmb(). mb() must also order an earlier store before a later load:
 * a locked add to the stack does that. MFENCE/LFENCE/SFENCE are avoided on
 * purpose: KVM's instruction emulator, which runs all guest code on hosts
 * without VT-x/AMD-V (PVM), does not implement them (emulation failure).
 */
#define barrier() asm volatile("" ::: "memory")
#define mb()	  asm volatile("lock addl $0, (%%rsp)" ::: "memory", "cc")
#define rmb()	  barrier()
#define wmb()	  barrier()

/* Wait for an interrupt (forever if interrupts are disabled, as at PVH entry). */
static inline void arch_halt(void)
{
	asm volatile("hlt" ::: "memory");
}

/*
 * Stop the vCPU without any hypercall: UD2 with no IDT loaded raises #UD,
 * then #DF, then a triple fault, which the hypervisor reports as a crash.
 * Used when Xen could not be detected, so SCHEDOP_shutdown is unavailable.
 */
static inline __attribute__((noreturn)) void arch_crash(void)
{
	for (;;)
		asm volatile("ud2" ::: "memory");
}

/* ---- time ---- */

/* Read the time-stamp counter (pvclock scales it to ns, <guestlib/time.h>). */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- interrupts (RFLAGS.IF) ---- */

#define ARCH_FLAGS_IF (1UL << 9) /* RFLAGS.IF */

static inline void arch_irq_disable(void)
{
	asm volatile("cli" ::: "memory");
}

/*
 * STI holds interrupts off for one more instruction (the STI shadow); the
 * NOP after it gives a pending upcall one instruction boundary at which to
 * arrive before the caller can disable interrupts again.
 */
static inline void arch_irq_enable(void)
{
	asm volatile("sti; nop" ::: "memory");
}

/* Disable interrupts and return the previous RFLAGS for arch_irq_restore(). */
static inline unsigned long arch_irq_save(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

/* Restore RFLAGS.IF as saved by arch_irq_save(). */
static inline void arch_irq_restore(unsigned long flags)
{
	if (flags & ARCH_FLAGS_IF)
		arch_irq_enable();
	else
		arch_irq_disable();
}

/* 1 if interrupts are enabled on this vCPU. */
static inline int arch_irq_enabled(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return !!(flags & ARCH_FLAGS_IF);
}

/* Busy-wait hint (PAUSE). */
static inline void arch_cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* ---- atomics on 64-bit words (LOCK BTS/BTR, XCHG: all in KVM's emulator) ---- */

/* Atomically set bit nr (0..63) of *word; return its old value. */
static inline int arch_test_and_set_bit(unsigned int nr, volatile unsigned long *word)
{
	unsigned char old;

	asm volatile("lock btsq %2, %0; setc %1"
		     : "+m"(*word), "=q"(old)
		     : "r"((unsigned long)nr)
		     : "memory", "cc");
	return old;
}

/* Atomically clear bit nr (0..63) of *word; return its old value. */
static inline int arch_test_and_clear_bit(unsigned int nr, volatile unsigned long *word)
{
	unsigned char old;

	asm volatile("lock btrq %2, %0; setc %1"
		     : "+m"(*word), "=q"(old)
		     : "r"((unsigned long)nr)
		     : "memory", "cc");
	return old;
}

static inline void arch_set_bit(unsigned int nr, volatile unsigned long *word)
{
	asm volatile("lock btsq %1, %0"
		     : "+m"(*word)
		     : "r"((unsigned long)nr)
		     : "memory", "cc");
}

static inline void arch_clear_bit(unsigned int nr, volatile unsigned long *word)
{
	asm volatile("lock btrq %1, %0"
		     : "+m"(*word)
		     : "r"((unsigned long)nr)
		     : "memory", "cc");
}

static inline int arch_test_bit(unsigned int nr, const volatile unsigned long *word)
{
	return (*word >> nr) & 1;
}

/* Atomically exchange *p with v; return the old value. A full barrier. */
static inline unsigned long arch_xchg(volatile unsigned long *p, unsigned long v)
{
	asm volatile("xchgq %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static inline uint32_t arch_xchg32(volatile uint32_t *p, uint32_t v)
{
	asm volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

/*
 * Atomically: if *p == old, store new. Returns the value *p held before
 * (== old on success). LOCK CMPXCHG (16-bit) is in KVM's emulator; grant
 * entry flags (<guestlib/grant.h>) are revoked this way.
 */
static inline uint16_t arch_cmpxchg16(volatile uint16_t *p, uint16_t old, uint16_t new)
{
	asm volatile("lock cmpxchgw %2, %1"
		     : "+a"(old), "+m"(*p)
		     : "r"(new)
		     : "memory", "cc");
	return old;
}

/*
 * Index of the lowest set bit of w (w != 0). Plain BSF: gcc's
 * __builtin_ctzl emits REP BSF (TZCNT), which the emulator need not accept.
 */
static inline unsigned int arch_ffs(unsigned long w)
{
	unsigned long r;

	asm("bsfq %1, %0" : "=r"(r) : "rm"(w) : "cc");
	return (unsigned int)r;
}

/* ---- per-vCPU pointer (GS base) ---- */

#define MSR_GS_BASE 0xC0000101

/*
 * Each vCPU's GS base points at its struct cpu_local (<guestlib/smp.h>),
 * whose first member points at itself, so %gs:0 yields the pointer.
 */
static inline void arch_set_cpu_local(void *p)
{
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}

static inline void *arch_cpu_local(void)
{
	void *p;

	asm volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* ---- traps, upcalls and vCPU start (arch/x86_64/traps.c, smp.c) ---- */

/*
 * Vector of the event-channel upcall (HVM_PARAM_CALLBACK_IRQ type vector),
 * Linux's HYPERVISOR_CALLBACK_VECTOR. Injected without a LAPIC: no EOI.
 */
#define ARCH_UPCALL_VECTOR 0xF3

/* Build the IDT (vectors 0-31: report and crash; ARCH_UPCALL_VECTOR: upcall). Once. */
int arch_init_traps(void);

/* Load the GDT and IDT on the calling vCPU (after arch_init_traps()). */
int arch_load_traps(void);

/*
 * Ask the hypervisor to start vCPU id in long mode on this vCPU's page
 * tables, with stack_top as its stack and arch_ap_entry as its first
 * instruction, which calls smp_ap_start(arg) with interrupts disabled.
 * Returns 0 or the negative errno of VCPUOP_initialise.
 */
int arch_vcpu_initialise(unsigned int id, void *stack_top, void *arg);

#endif /* GUESTLIB_ARCH_X86_64_ARCH_H */
