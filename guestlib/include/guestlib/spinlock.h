/*
 * spinlock.h - a test-and-set spinlock (XCHG) for data shared between vCPUs.
 *
 * Not fair and not recursive. A lock that an upcall handler may also take
 * must be taken with spin_lock_irqsave(), or the handler can spin forever
 * on its own vCPU's lock.
 */
#ifndef GUESTLIB_SPINLOCK_H
#define GUESTLIB_SPINLOCK_H

#include <stdint.h>
#include <arch.h>

typedef struct {
	volatile uint32_t locked; /* 0 free, 1 held */
} spinlock_t;

#define SPINLOCK_INIT { 0 }

static inline void spin_lock(spinlock_t *l)
{
	while (arch_xchg32(&l->locked, 1))
		while (l->locked)
			arch_cpu_relax();
}

/* 1 if the lock was taken, 0 if it is held elsewhere. */
static inline int spin_trylock(spinlock_t *l)
{
	return arch_xchg32(&l->locked, 1) == 0;
}

static inline void spin_unlock(spinlock_t *l)
{
	barrier(); /* x86 stores are not reordered with earlier loads or stores */
	l->locked = 0;
}

/* Disable interrupts on this vCPU, then lock; returns the flags to restore. */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long flags = arch_irq_save();

	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
	spin_unlock(l);
	arch_irq_restore(flags);
}

#endif /* GUESTLIB_SPINLOCK_H */
