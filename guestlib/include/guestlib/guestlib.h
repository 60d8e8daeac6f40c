/*
 * guestlib.h - everything a guest program usually needs, in one include.
 */
#ifndef GUESTLIB_GUESTLIB_H
#define GUESTLIB_GUESTLIB_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>

#include <xen/xen.h>
#include <xen/errno.h>

#include <arch.h>
#include <hypercall.h>
#include <guestlib/blkfront.h>
#include <guestlib/cmdline.h>
#include <guestlib/console.h>
#include <guestlib/control.h>
#include <guestlib/events.h>
#include <guestlib/grant.h>
#include <guestlib/guest.h>
#include <guestlib/hypervisor.h>
#include <guestlib/sched.h>
#include <guestlib/smp.h>
#include <guestlib/spinlock.h>
#include <guestlib/string.h>
#include <guestlib/time.h>
#include <guestlib/xen.h>
#include <guestlib/xenbus.h>

#endif /* GUESTLIB_GUESTLIB_H */
