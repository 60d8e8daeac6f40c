/*
 * blkfront_priv.h - state shared by blkfront.c (ring, requests, API) and
 * blkfront_xs.c (xenstore negotiation and states), as a back end splits
 * ring.go and xenbus.go (STYLE item 7).
 */
#ifndef GUESTLIB_BLKFRONT_PRIV_H
#define GUESTLIB_BLKFRONT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/event_channel.h>

#include <arch.h>
#include <guestlib/blkfront.h>
#include <guestlib/string.h> /* memset, used by SHARED_RING_INIT */
#include <guestlib/xen.h>
#include <guestlib/xenbus.h>

/* ring.h uses these; with __XEN_INTERFACE_VERSION__ >= 0x00030208 it leaves them to us. */
#define xen_mb()  mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#include <xen/io/ring.h>
#include <xen/io/blkif.h>

#define BLKFRONT_SECTORS_PER_PAGE (XEN_PAGE_SIZE / BLKFRONT_SECTOR_SIZE)
/* Ring entries in one page (32 for blkif), from ring.h's own arithmetic. */
#define BLKFRONT_RING_SIZE	 __CONST_RING_SIZE(blkif, XEN_PAGE_SIZE)
#define BLKFRONT_SEGS		 BLKIF_MAX_SEGMENTS_PER_REQUEST
#define BLKFRONT_NODE_MAX	 64  /* "device/vbd/<devid>" */
#define BLKFRONT_PATH_MAX	 128 /* a back-end path plus a key */

struct blkfront_dev {
	int connected;		/* blkfront_init() finished */
	int broken;		/* back end misbehaved or timed out: I/O gives -XEN_EIO */
	struct blkfront_info info;

	char node[BLKFRONT_NODE_MAX];	 /* front-end directory, relative to ~ */
	char backend[BLKFRONT_PATH_MAX]; /* back-end directory, absolute */
	char token[32];			 /* watch token for <backend>/state */
	int watching;
	struct xenbus_watch_counter be_watch; /* watch events on <backend>/state */

	blkif_front_ring_t ring;
	int ring_granted;
	volatile unsigned long evtchn_events; /* events on our port (handler) */
};

extern struct blkfront_dev blkfront_dev;

/* Block until cond(arg) holds: BLKFRONT_TIMEOUT_NS at most after init_time(). */
int blkfront_wait(int (*cond)(void *arg), void *arg);

/* blkfront_xs.c */
int blkfront_xs_probe(struct blkfront_dev *d, unsigned int devid);	/* steps 1 and 2 */
int blkfront_xs_publish(struct blkfront_dev *d);			/* step 4 */
int blkfront_xs_wait_connected(struct blkfront_dev *d);			/* step 5 */
int blkfront_xs_close(struct blkfront_dev *d);				/* Closing .. Closed */
int blkfront_xs_wait_closing(struct blkfront_dev *d, uint64_t deadline_ns); /* back end leaves Connected */
void blkfront_xs_unwatch(struct blkfront_dev *d);

#endif /* GUESTLIB_BLKFRONT_PRIV_H */
