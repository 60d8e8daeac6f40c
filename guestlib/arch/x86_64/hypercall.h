/*
 * hypercall.h - the x86_64 hypercall transport (Mini-OS style).
 *
 * The one place that knows how a hypercall is issued on x86_64 (digest 1.1,
 * 1.3): call hypercall_page + 32 * nr with arguments in rdi, rsi, rdx, r10,
 * r8; the result (0, a positive value, or a negated Xen errno) comes back in
 * rax. The stub in each 32-byte slot is written by the hypervisor when
 * init_xen() writes the page's address to the hypercall MSR; until then the
 * page holds INT3 (0xCC) bytes, so an early call traps instead of running on.
 *
 * All five argument registers are marked clobbered on every call, whatever
 * the argument count: a debug Xen poisons the registers a hypercall does not
 * use, and the guest may not rely on any of them afterwards.
 *
 * Portable code uses the typed wrappers in <guestlib/hypervisor.h>; only they
 * (and hypercall_raw() for tests) use these macros.
 */
#ifndef GUESTLIB_ARCH_X86_64_HYPERCALL_H
#define GUESTLIB_ARCH_X86_64_HYPERCALL_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

/* Size of one stub slot and number of slots in the 4096-byte page. */
#define HYPERCALL_SLOT_SIZE 32
#define HYPERCALL_NR_SLOTS  128

/* 4096 bytes, page aligned, executable; defined in entry.S, placed by guestlib.ld. */
extern char hypercall_page[4096];

#define _hypercall0(type, name)						\
({									\
	long __res;							\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res)					\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "rdi", "rsi", "rdx", "r10", "r8", "memory");	\
	(type)__res;							\
})

#define _hypercall1(type, name, a1)					\
({									\
	long __res, __a1 = (long)(a1);					\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res), "+D"(__a1)				\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "rsi", "rdx", "r10", "r8", "memory");		\
	(type)__res;							\
})

#define _hypercall2(type, name, a1, a2)					\
({									\
	long __res, __a1 = (long)(a1), __a2 = (long)(a2);		\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res), "+D"(__a1), "+S"(__a2)		\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "rdx", "r10", "r8", "memory");			\
	(type)__res;							\
})

#define _hypercall3(type, name, a1, a2, a3)				\
({									\
	long __res, __a1 = (long)(a1), __a2 = (long)(a2),		\
		__a3 = (long)(a3);					\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res), "+D"(__a1), "+S"(__a2), "+d"(__a3)	\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "r10", "r8", "memory");				\
	(type)__res;							\
})

/*
 * For r10 and r8 there is no constraint letter: evaluate every argument
 * first, then bind register variables, so no call can intervene.
 */
#define _hypercall4(type, name, a1, a2, a3, a4)				\
({									\
	long __res, __a1 = (long)(a1), __a2 = (long)(a2),		\
		__a3 = (long)(a3), __v4 = (long)(a4);			\
	register long __a4 asm("r10") = __v4;				\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res), "+D"(__a1), "+S"(__a2), "+d"(__a3),	\
		       "+r"(__a4)					\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "r8", "memory");					\
	(type)__res;							\
})

#define _hypercall5(type, name, a1, a2, a3, a4, a5)			\
({									\
	long __res, __a1 = (long)(a1), __a2 = (long)(a2),		\
		__a3 = (long)(a3), __v4 = (long)(a4), __v5 = (long)(a5); \
	register long __a4 asm("r10") = __v4;				\
	register long __a5 asm("r8") = __v5;				\
	asm volatile("call hypercall_page + %c[off]"			\
		     : "=a"(__res), "+D"(__a1), "+S"(__a2), "+d"(__a3),	\
		       "+r"(__a4), "+r"(__a5)				\
		     : [off] "i"(__HYPERVISOR_##name * HYPERCALL_SLOT_SIZE) \
		     : "memory");					\
	(type)__res;							\
})

/*
 * hypercall_raw - issue hypercall number nr (0..127) with five arguments.
 *
 * For tests that need a slot without a typed wrapper (e.g. the unassigned
 * number 11, which must answer -ENOSYS). Returns the hypervisor's result, or
 * -XEN_EINVAL without calling anything when nr has no slot in the page.
 */
static inline long hypercall_raw(unsigned int nr, unsigned long a1,
				 unsigned long a2, unsigned long a3,
				 unsigned long a4, unsigned long a5)
{
	long res;
	char *stub;

	if (nr >= HYPERCALL_NR_SLOTS)
		return -XEN_EINVAL;
	stub = hypercall_page + nr * HYPERCALL_SLOT_SIZE;
	{
		register unsigned long r10 asm("r10") = a4;
		register unsigned long r8 asm("r8") = a5;

		asm volatile("call *%[stub]"
			     : "=a"(res), "+D"(a1), "+S"(a2), "+d"(a3),
			       "+r"(r10), "+r"(r8)
			     : [stub] "r"(stub)
			     : "memory");
	}
	return res;
}

#endif /* GUESTLIB_ARCH_X86_64_HYPERCALL_H */
