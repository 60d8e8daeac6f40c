/*
 * time.h - Xen system time (pvclock), wall clock, one-shot timers, sleeping.
 *
 * System time: nanoseconds since the domain started, from the calling
 * vCPU's vcpu_info.time (struct vcpu_time_info), read under its version
 * seqlock and extrapolated with RDTSC:
 *   now = system_time + ((shift(tsc - tsc_timestamp) * tsc_to_system_mul) >> 32)
 * where shift is left by tsc_shift if positive, right by -tsc_shift if
 * negative. Hypervisor timers use the same clock.
 *
 * Wall clock: shared_info wc_sec_hi:wc_sec, wc_nsec (seqlock wc_version)
 * is the wall time at system time 0; wall time now = that + monotonic_ns().
 *
 * Timers: init_time() binds VIRQ_TIMER on the calling vCPU (vCPU 0; a
 * secondary vCPU started later binds its own, see <guestlib/smp.h>). The
 * handler counts ticks and calls an optional per-vCPU hook. One one-shot
 * deadline per vCPU (VCPUOP_set_singleshot_timer, no "future" flag, so a
 * deadline already past fires at once); a new deadline replaces the old.
 * wait_until_ns() and the sleep functions arm it themselves, so a guest
 * that arms its own deadlines (the timer example) waits with
 * TIME_FOREVER.
 *
 * Everything needs init_events(); everything but monotonic_ns() and the
 * wall clock needs init_time() on the calling vCPU. Functions return 0 or a
 * negative Xen errno (-XEN_ENODEV when not initialised).
 */
#ifndef GUESTLIB_TIME_H
#define GUESTLIB_TIME_H

#include <stdint.h>

#define NS_PER_USEC  1000ULL
#define NS_PER_MSEC  1000000ULL
#define NS_PER_SEC   1000000000ULL
#define TIME_FOREVER UINT64_MAX /* a deadline that never passes */

/* Bind VIRQ_TIMER on the calling vCPU (once per vCPU). Needs init_events(). */
int init_time(void);

/* Stop the calling vCPU's one-shot timer and close its VIRQ_TIMER port. */
int fini_time(void);

/* 1 once init_time() has run on vCPU 0. */
int time_ready(void);

/* System time in ns from the calling vCPU's pvclock; 0 before init_events(). */
uint64_t monotonic_ns(void);

/* Wall time (Unix epoch) at system time 0. */
int wallclock_base(uint64_t *sec, uint32_t *nsec);

/* Wall time at system time system_ns (wallclock_base() + system_ns). */
int wallclock_at(uint64_t system_ns, uint64_t *sec, uint32_t *nsec);

/* Wall time now. */
int wallclock_now(uint64_t *sec, uint32_t *nsec);

/* Arm the calling vCPU's one-shot timer for system time deadline_ns. */
int timer_set_deadline(uint64_t deadline_ns);

/* Disarm it (VCPUOP_stop_singleshot_timer). */
int timer_stop(void);

/*
 * Call fn(data) from the calling vCPU's VIRQ_TIMER handler (interrupts
 * disabled) on every tick; fn NULL removes the hook.
 */
int timer_set_hook(void (*fn)(void *data), void *data);

/* VIRQ_TIMER events handled on the calling vCPU so far. */
uint64_t timer_ticks(void);

/*
 * Block until cond(arg) is true (returns 0) or system time reaches
 * deadline_ns (returns -XEN_ETIMEDOUT). cond may be NULL (never true);
 * deadline_ns may be TIME_FOREVER (needs no timer). cond is evaluated with
 * interrupts both enabled and disabled; it must only read state.
 */
int wait_until_ns(int (*cond)(void *arg), void *arg, uint64_t deadline_ns);

/* Block until system time reaches deadline_ns. */
int sleep_until_ns(uint64_t deadline_ns);

/* Block for ns nanoseconds. */
int sleep_ns(uint64_t ns);

#endif /* GUESTLIB_TIME_H */
