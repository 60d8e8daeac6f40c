/*
 * xenbus.h - a xenstore client over the domain's ring page.
 *
 * init_xenbus() (vCPU 0, after init_events()) reads HVM_PARAM_STORE_PFN
 * (the ring page, struct xenstore_domain_interface in <xen/io/xs_wire.h>)
 * and HVM_PARAM_STORE_EVTCHN (its event channel, bound by the toolstack
 * before boot) and takes over that port (evtchn_bind_existing()).
 *
 * Wire protocol (digest 8): each message is a 16-byte struct xsd_sockmsg
 * {type, req_id, tx_id, len} and len <= XENSTORE_PAYLOAD_MAX payload
 * bytes, streamed through the 1024-byte req (to the daemon) and rsp (from
 * it) byte rings with free-running u32 indexes. Writing: wait for space
 * (req_prod - req_cons < 1024), copy, write barrier, advance req_prod,
 * notify; a message longer than the free space goes in several rounds.
 * Reading (in the port's event handler, vCPU 0, interrupts disabled):
 * read rsp_prod, read barrier, copy, full barrier, advance rsp_cons,
 * notify.
 *
 * Requests: one at a time (a spinlock serialises callers; each waits for
 * its reply, 30 s at most when init_time() has run, else forever). Replies
 * come back in order and carry our req_id; a reply nobody waits for any
 * more (after a timeout) is dropped. An XS_ERROR reply ("EACCES\0") becomes
 * that name's negative Xen errno through xs_wire.h's xsd_errors table
 * (unknown names -XEN_EINVAL, as libxenstore does). A broken ring
 * (indexes more than 1024 apart, an oversized message, a timeout in the
 * middle of sending) makes every later call fail with -XEN_EIO.
 *
 * Watch events (XS_WATCH_EVENT, "path\0token\0") arrive at any time,
 * between replies. The event handler calls the callback registered for
 * the token right away, on vCPU 0 with interrupts disabled: callbacks must
 * not block and must not call xenbus functions (which return
 * -XEN_EDEADLK when called with interrupts disabled). Record the event and
 * act on it from the main flow, e.g. by waiting with wait_until_ns() for a
 * counter the callback bumps. Registering a watch fires it once at once
 * (xenstore semantics), whether or not the node exists.
 *
 * Paths: relative paths are relative to the domain's home,
 * /local/domain/<domid> (xen_domid()); ~/data is writable by the domain.
 *
 * Calls on a vCPU other than 0 poll for their reply every 1 ms (the port
 * notifies vCPU 0 only); they need init_time() on that vCPU to sleep.
 *
 * All functions return 0 (or a count or length where stated) or a negative
 * Xen errno: -XEN_ENODEV before init_xenbus(), -XEN_E2BIG for a request
 * payload over XENSTORE_PAYLOAD_MAX, -XEN_ETIMEDOUT, -XEN_EIO, or the
 * daemon's error (-XEN_ENOENT, -XEN_EACCES, -XEN_EAGAIN, ...).
 */
#ifndef GUESTLIB_XENBUS_H
#define GUESTLIB_XENBUS_H

#include <stddef.h>
#include <stdint.h>

/* A transaction id from xenbus_transaction_start(); XBT_NIL for none. */
typedef uint32_t xenbus_transaction_t;
#define XBT_NIL ((xenbus_transaction_t)0)

#define XENBUS_MAX_WATCHES 16	/* watches registered at once */
#define XENBUS_TOKEN_MAX   64	/* bytes of a watch token, with its NUL */
#define XENBUS_TX_ATTEMPTS 16	/* tries of xenbus_transaction_retry() */

/*
 * Called from the xenstore port's event handler (vCPU 0, interrupts
 * disabled) with the event's path (as the daemon reports it: relative if
 * the watch path was relative) and the token.
 */
typedef void (*xenbus_watch_fn)(const char *path, const char *token, void *data);

/* Connect to the ring (see above). Needs init_events(); call on vCPU 0. */
int init_xenbus(void);

/*
 * Unregister every watch (XS_UNWATCH each; the first error is returned)
 * and stop handling the port. The port stays open; init_xenbus() may be
 * called again.
 */
int fini_xenbus(void);

/* 1 once init_xenbus() has succeeded. */
int xenbus_ready(void);

/*
 * XS_READ: copy path's value into buf, NUL terminated. Returns its length
 * (bytes before the NUL), -XEN_E2BIG if it does not fit in size - 1 bytes
 * (buf then holds a truncated copy), -XEN_EINVAL if size is 0.
 */
int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t size);

/*
 * XS_READ of a decimal number (state, ring-ref, event-channel, ...):
 * -XEN_EINVAL unless the value is decimal digits only and fits an
 * unsigned long, -XEN_E2BIG for a value over 23 bytes, and
 * xenbus_read()'s other errors.
 */
int xenbus_read_ulong(xenbus_transaction_t t, const char *path, unsigned long *val);

/* XS_WRITE: set path to the string value (without its NUL), creating it. */
int xenbus_write(xenbus_transaction_t t, const char *path, const char *value);

/* XS_MKDIR: create path with an empty value; fine if it exists. */
int xenbus_mkdir(xenbus_transaction_t t, const char *path);

/* XS_RM: remove path and everything below it. */
int xenbus_rm(xenbus_transaction_t t, const char *path);

/*
 * XS_DIRECTORY: the names of path's children, each NUL terminated, back
 * to back in buf. Returns how many, -XEN_E2BIG if they do not fit in size
 * bytes.
 */
int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t size);

/*
 * XS_WATCH path with token (unique among our watches, -XEN_EEXIST
 * otherwise; shorter than XENBUS_TOKEN_MAX, -XEN_E2BIG otherwise): fn(path,
 * token, data) runs for every event, the first right after registration.
 * -XEN_ENOSPC when XENBUS_MAX_WATCHES are registered.
 */
int xenbus_watch(const char *path, const char *token, xenbus_watch_fn fn, void *data);

/* XS_UNWATCH; the callback is gone when this returns (even on error). */
int xenbus_unwatch(const char *path, const char *token);

/*
 * A watch whose callback only counts events, for a main flow that reads
 * the node again after each (see above):
 *
 *	static struct xenbus_watch_counter w;
 *	xenbus_watch(path, token, xenbus_watch_count, &w);
 *	for (;;) {
 *		w.seen = w.events;	(before the read: a later event wakes us)
 *		read path; done if it has what we want;
 *		wait_until_ns(xenbus_watch_counter_changed, &w, deadline);
 *	}
 *
 * events is written only by xenbus_watch_count() (vCPU 0, interrupts
 * disabled), seen only by the main flow.
 */
struct xenbus_watch_counter {
	volatile unsigned long events; /* watch events so far */
	unsigned long seen;	       /* the main flow's snapshot of events */
};

/* A xenbus_watch_fn: data is a struct xenbus_watch_counter; events++. */
void xenbus_watch_count(const char *path, const char *token, void *data);

/* A wait_until_ns() cond: 1 once events differs from seen (arg: the counter). */
int xenbus_watch_counter_changed(void *arg);

/* XS_TRANSACTION_START: store the new transaction's id in *t. */
int xenbus_transaction_start(xenbus_transaction_t *t);

/*
 * XS_TRANSACTION_END: commit (abort == 0) or abort. A commit that
 * conflicts with a change made meanwhile returns -XEN_EAGAIN and changes
 * nothing: run the whole transaction again.
 */
int xenbus_transaction_end(xenbus_transaction_t t, int abort);

/*
 * Run fn(t, arg) in a fresh transaction and commit it, again as long as
 * the commit (or fn) answers -XEN_EAGAIN, XENBUS_TX_ATTEMPTS times at
 * most (then -XEN_EAGAIN). Any other error from fn aborts the transaction
 * and is returned. On success returns fn's (non-negative) result.
 */
int xenbus_transaction_retry(int (*fn)(xenbus_transaction_t t, void *arg), void *arg);

#endif /* GUESTLIB_XENBUS_H */
