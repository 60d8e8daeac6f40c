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

/* Compiler barrier and memory barriers (for shared rings and shared_info). */
#define barrier() asm volatile("" ::: "memory")
#define mb()	  asm volatile("mfence" ::: "memory")
#define rmb()	  asm volatile("lfence" ::: "memory")
#define wmb()	  asm volatile("sfence" ::: "memory")

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

#endif /* GUESTLIB_ARCH_X86_64_ARCH_H */
