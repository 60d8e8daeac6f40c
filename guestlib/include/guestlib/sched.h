/*
 * sched.h - ending the domain.
 */
#ifndef GUESTLIB_SCHED_H
#define GUESTLIB_SCHED_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>	/* SHUTDOWN_poweroff, SHUTDOWN_reboot, SHUTDOWN_crash, ... */

/*
 * shutdown - flush the console and SCHEDOP_shutdown with reason (SHUTDOWN_*).
 * On the console ring (init_console()) it first waits up to
 * CONSOLE_DRAIN_NS for the back end to read all output.
 * Never returns: if the hypercall does, the vCPU halts. Without a hypercall
 * page (init_xen() failed) it triple-faults instead, which reads as a crash.
 */
__attribute__((noreturn)) void shutdown(unsigned int reason);

#endif /* GUESTLIB_SCHED_H */
