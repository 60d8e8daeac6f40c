/*
 * sched.c - ending the domain with SCHEDOP_shutdown.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/hypervisor.h>
#include <guestlib/sched.h>
#include <guestlib/time.h>
#include <guestlib/xen.h>

void shutdown(unsigned int reason)
{
	struct sched_shutdown op = { .reason = reason };

	if (!xen_ready())
		arch_crash(); /* no hypercall page: a triple fault is all we have */
	console_flush();
	if (console_ready()) /* give the back end the last lines before we go */
		console_drain(monotonic_ns() + CONSOLE_DRAIN_NS);
	HYPERVISOR_sched_op(SCHEDOP_shutdown, &op);
	/* Only SHUTDOWN_suspend returns by design; stop here either way. */
	for (;;)
		arch_halt();
}
