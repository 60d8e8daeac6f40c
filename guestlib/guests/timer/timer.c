/*
 * timer - 100 Hz ticks for 2 s of Xen system time on VIRQ_TIMER.
 *
 * Binds VIRQ_TIMER on vCPU 0 (init_time()), then for k = 1..200 arms the
 * one-shot timer for the absolute deadline start + 10 ms * k and blocks
 * until the VIRQ handler has counted tick k. Absolute deadlines keep the
 * rate exact however late each wake-up is; a deadline already past fires
 * at once. Output:
 *   timer: start system_time <ns> wallclock <sec>.<nsec, 9 digits>
 *   timer: done ticks <n> elapsed_ns <ns> wallclock <sec>.<nsec, 9 digits>
 * (wall clock = shared_info's wall time at system time 0 + system time.)
 */
#include <guestlib/guestlib.h>

#define TICK_NS	 (10 * NS_PER_MSEC)
#define RUN_NS	 (2 * NS_PER_SEC)
#define NR_TICKS (RUN_NS / TICK_NS)

static volatile unsigned long ticks; /* written by on_tick on vCPU 0 */

static void on_tick(void *data)
{
	(void)data;
	ticks++;
}

static int ticks_reached(void *arg)
{
	return ticks >= *(const unsigned long *)arg;
}

int main(const struct hvm_start_info *si)
{
	uint64_t start, end, sec;
	unsigned long k;
	uint32_t nsec;
	int rc;

	(void)si;
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc == 0)
		rc = timer_set_hook(on_tick, NULL);
	if (rc < 0) {
		printk("timer: event/time set-up failed: %d\n", rc);
		return 1;
	}

	start = monotonic_ns();
	rc = wallclock_at(start, &sec, &nsec);
	if (rc < 0) {
		printk("timer: wall clock unavailable: %d\n", rc);
		return 1;
	}
	printk("timer: start system_time %lu wallclock %lu.%09u\n",
	       (unsigned long)start, (unsigned long)sec, nsec);

	for (k = 1; k <= NR_TICKS; k++) {
		rc = timer_set_deadline(start + k * TICK_NS);
		if (rc == 0)
			rc = wait_until_ns(ticks_reached, &k, TIME_FOREVER);
		if (rc < 0) {
			printk("timer: tick %lu failed: %d\n", k, rc);
			return 1;
		}
	}

	end = monotonic_ns();
	wallclock_at(end, &sec, &nsec);
	printk("timer: done ticks %lu elapsed_ns %lu wallclock %lu.%09u\n",
	       ticks, (unsigned long)(end - start), (unsigned long)sec, nsec);
	return 0;
}
