/*
 * blkfront_xs.c - the block front end's xenstore side: finding the back
 * end, following its state, publishing the ring and reading the disk's
 * properties (digest 9.1-9.3). The ring and the API are in blkfront.c.
 *
 * Keys, in the order they are used (F = ~/device/vbd/<devid>, B = F/backend):
 *   read  F/backend, F/backend-id
 *   watch B/state; wait for InitWait (2), Initialised (3) or Connected (4)
 *   read  B/feature-flush-cache, B/feature-barrier, B/feature-discard,
 *	   B/feature-persistent, B/feature-max-indirect-segments (missing = 0)
 *   write (one transaction) F/ring-ref, F/event-channel, F/protocol,
 *	   F/feature-persistent = 1
 *   write F/state = 3 (Initialised)
 *   wait  B/state = 4 (Connected)
 *   read  B/sectors, B/sector-size (missing = 512), B/info (missing = 0),
 *	   and the five feature keys again
 *   write F/state = 4 (Connected)
 * Closing: write F/state = 5, wait for B/state 5 or 6, write F/state = 6,
 * wait for B/state 6 (a missing B/state counts as Closed), unwatch.
 *
 * The watch callback (xenbus_watch_count(), in xenbus's event handler on
 * vCPU 0) only counts events; the main flow reads B/state again after each.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

#include <guestlib/console.h> /* snprintf */
#include <guestlib/time.h>
#include <guestlib/xen.h>
#include <guestlib/xenbus.h>
#include "blkfront_priv.h"

#define VALUE_MAX 32 /* a decimal key's value, with its NUL */

#define STATE_BIT(s) (1u << (s))

/* ---- small helpers ---- */

/* Read dir/key as a decimal number: 0, -XEN_ENOENT, -XEN_EINVAL, ... */
static int read_ulong(xenbus_transaction_t t, const char *dir, const char *key,
		      unsigned long *val)
{
	char path[BLKFRONT_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read_ulong(t, path, val);
}

/* Read dir/key into buf (size bytes, NUL terminated): its length or an errno. */
static int read_string(const char *dir, const char *key, char *buf, size_t size)
{
	char path[BLKFRONT_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read(XBT_NIL, path, buf, size);
}

/* Like read_ulong, but a missing key gives def. */
static int read_ulong_default(const char *dir, const char *key, unsigned long def,
			      unsigned long *val)
{
	int rc = read_ulong(XBT_NIL, dir, key, val);

	if (rc == -XEN_ENOENT) {
		*val = def;
		return 0;
	}
	return rc;
}

static int write_key(xenbus_transaction_t t, const char *dir, const char *key,
		     const char *value)
{
	char path[BLKFRONT_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_write(t, path, value);
}

static int write_ulong(xenbus_transaction_t t, const char *dir, const char *key,
		       unsigned long v)
{
	char buf[VALUE_MAX];

	snprintf(buf, sizeof(buf), "%lu", v);
	return write_key(t, dir, key, buf);
}

static int switch_state(struct blkfront_dev *d, enum xenbus_state s)
{
	return write_ulong(XBT_NIL, d->node, "state", (unsigned long)s);
}

/* ---- following the back end's state ---- */

/*
 * Read B/state. -XEN_ENOENT when it is gone: the toolstack removes the
 * back-end directory after a detach, and then reading it is -XEN_EACCES
 * (its parent is dom0's and unreadable to us), as Linux's
 * xenbus_read_driver_state() reads any error as Unknown.
 */
static int read_backend_state(struct blkfront_dev *d, unsigned long *v)
{
	int rc = read_ulong(XBT_NIL, d->backend, "state", v);

	return rc == -XEN_EACCES ? -XEN_ENOENT : rc;
}

/*
 * Wait until B/state is one of the states in want (a STATE_BIT mask);
 * -XEN_ENODEV if it becomes one in fail first, or a value over 31. A
 * missing B/state reads as missing_as. The state reached is stored in
 * *state. deadline_ns is an absolute limit (TIME_FOREVER: none); 0 gives
 * each wait for a change blkfront_wait()'s limit instead.
 */
static int wait_backend_until(struct blkfront_dev *d, unsigned int want, unsigned int fail,
			      enum xenbus_state missing_as, enum xenbus_state *state,
			      uint64_t deadline_ns)
{
	unsigned long v;
	int rc;

	for (;;) {
		/* Before the read: a change after it wakes us. */
		d->be_watch.seen = d->be_watch.events;
		rc = read_backend_state(d, &v);
		if (rc == -XEN_ENOENT) {
			v = missing_as;
		} else if (rc < 0) {
			return rc;
		}
		if (v < 32 && (want & STATE_BIT(v))) {
			*state = (enum xenbus_state)v;
			return 0;
		}
		if (v >= 32 || (fail & STATE_BIT(v)))
			return -XEN_ENODEV;
		if (deadline_ns)
			rc = wait_until_ns(xenbus_watch_counter_changed, &d->be_watch, deadline_ns);
		else
			rc = blkfront_wait(xenbus_watch_counter_changed, &d->be_watch);
		if (rc < 0)
			return rc;
	}
}

static int wait_backend(struct blkfront_dev *d, unsigned int want, unsigned int fail,
			enum xenbus_state missing_as, enum xenbus_state *state)
{
	return wait_backend_until(d, want, fail, missing_as, state, 0);
}

static int read_features(struct blkfront_dev *d)
{
	static const char *const keys[] = {
		"feature-flush-cache", "feature-barrier", "feature-discard",
		"feature-persistent", "feature-max-indirect-segments",
	};
	unsigned long v[5];
	unsigned int i;
	int rc;

	for (i = 0; i < 5; i++) {
		rc = read_ulong_default(d->backend, keys[i], 0, &v[i]);
		if (rc < 0)
			return rc;
	}
	d->info.feature_flush_cache = v[0] != 0;
	d->info.feature_barrier = v[1] != 0;
	d->info.feature_discard = v[2] != 0;
	d->info.feature_persistent = v[3] != 0;
	d->info.max_indirect_segments = (unsigned int)v[4];
	return 0;
}

/* ---- the steps blkfront_init() takes ---- */

int blkfront_xs_probe(struct blkfront_dev *d, unsigned int devid)
{
	char path[BLKFRONT_PATH_MAX + 8];
	enum xenbus_state st;
	unsigned long id;
	int rc;

	snprintf(d->node, sizeof(d->node), "device/vbd/%u", devid);
	snprintf(d->token, sizeof(d->token), "blkfront-%u", devid);
	rc = read_string(d->node, "backend", d->backend, sizeof(d->backend));
	if (rc < 0)
		return rc == -XEN_ENOENT ? -XEN_ENODEV : rc;
	rc = read_ulong(XBT_NIL, d->node, "backend-id", &id);
	if (rc < 0)
		return rc == -XEN_ENOENT ? -XEN_ENODEV : rc;
	if (id >= DOMID_FIRST_RESERVED)
		return -XEN_EINVAL;
	d->info.backend_id = (domid_t)id;

	snprintf(path, sizeof(path), "%s/state", d->backend);
	rc = xenbus_watch(path, d->token, xenbus_watch_count, &d->be_watch);
	if (rc < 0)
		return rc;
	d->watching = 1;

	/* InitWait; a back end that needs nothing from us may skip to 3 or 4. */
	rc = wait_backend(d,
			  STATE_BIT(XenbusStateInitWait) | STATE_BIT(XenbusStateInitialised) |
				  STATE_BIT(XenbusStateConnected),
			  STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed) |
				  STATE_BIT(XenbusStateReconfiguring) |
				  STATE_BIT(XenbusStateReconfigured),
			  XenbusStateUnknown, &st);
	if (rc < 0)
		return rc;
	return read_features(d);
}

static int write_ring_keys(xenbus_transaction_t t, void *arg)
{
	struct blkfront_dev *d = arg;
	int rc;

	rc = write_ulong(t, d->node, "ring-ref", d->info.ring_ref);
	if (rc == 0)
		rc = write_ulong(t, d->node, "event-channel", d->info.evtchn);
	if (rc == 0)
		rc = write_key(t, d->node, "protocol", XEN_IO_PROTO_ABI_NATIVE);
	if (rc == 0)
		rc = write_key(t, d->node, "feature-persistent", "1");
	return rc;
}

int blkfront_xs_publish(struct blkfront_dev *d)
{
	int rc = xenbus_transaction_retry(write_ring_keys, d);

	if (rc < 0)
		return rc;
	return switch_state(d, XenbusStateInitialised);
}

int blkfront_xs_wait_connected(struct blkfront_dev *d)
{
	enum xenbus_state st;
	unsigned long sectors, sector_size, info;
	int rc;

	rc = wait_backend(d, STATE_BIT(XenbusStateConnected),
			  STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed) |
				  STATE_BIT(XenbusStateReconfiguring) |
				  STATE_BIT(XenbusStateReconfigured),
			  XenbusStateUnknown, &st);
	if (rc < 0)
		return rc;
	rc = read_ulong(XBT_NIL, d->backend, "sectors", &sectors);
	if (rc == 0)
		rc = read_ulong_default(d->backend, "sector-size", BLKFRONT_SECTOR_SIZE,
					&sector_size);
	if (rc == 0)
		rc = read_ulong_default(d->backend, "info", 0, &info);
	if (rc == 0)
		rc = read_features(d); /* back ends may publish them as late as this */
	if (rc < 0)
		return rc == -XEN_ENOENT ? -XEN_ENODEV : rc;
	if (sector_size != BLKFRONT_SECTOR_SIZE)
		return -XEN_EOPNOTSUPP; /* needs feature-large-sector-size, not offered */
	d->info.sectors = sectors;
	d->info.sector_size = (unsigned int)sector_size;
	d->info.info = (unsigned int)info;
	d->info.read_only = (info & VDISK_READONLY) != 0;
	return switch_state(d, XenbusStateConnected);
}

int blkfront_xs_close(struct blkfront_dev *d)
{
	enum xenbus_state st;
	int rc, first = 0;

	rc = switch_state(d, XenbusStateClosing);
	if (rc < 0)
		first = rc;
	if (d->watching) {
		rc = wait_backend(d, STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed),
				  0, XenbusStateClosed, &st);
		if (rc < 0 && first == 0)
			first = rc;
	}
	rc = switch_state(d, XenbusStateClosed);
	if (rc < 0 && first == 0)
		first = rc;
	if (d->watching && first == 0) {
		/* The back end unmaps our grants before it reaches Closed. */
		rc = wait_backend(d, STATE_BIT(XenbusStateClosed), 0, XenbusStateClosed, &st);
		if (rc < 0)
			first = rc;
	}
	blkfront_xs_unwatch(d);
	return first;
}

int blkfront_xs_wait_closing(struct blkfront_dev *d, uint64_t deadline_ns)
{
	enum xenbus_state st;
	int rc;

	if (!d->watching)
		return -XEN_ENODEV;
	/* Anything but Connected; gone counts as Closed. */
	rc = wait_backend_until(d, ~STATE_BIT(XenbusStateConnected), 0, XenbusStateClosed, &st,
				deadline_ns);
	return rc == -XEN_ENODEV ? 0 : rc; /* a state over 31: not Connected either */
}

void blkfront_xs_unwatch(struct blkfront_dev *d)
{
	char path[BLKFRONT_PATH_MAX + 8];

	if (!d->watching)
		return;
	snprintf(path, sizeof(path), "%s/state", d->backend);
	xenbus_unwatch(path, d->token);
	d->watching = 0;
}
