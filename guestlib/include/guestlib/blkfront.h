/*
 * blkfront.h - PV block front end (Xen blkif over a shared ring).
 *
 * One disk per guest: blkfront_init(devid) connects the vbd whose
 * front-end directory is ~/device/vbd/<devid> (digest 9.2, 9.3):
 *   1. reads backend (absolute back-end path) and backend-id from it;
 *   2. watches <backend>/state and waits for InitWait (or later: a back
 *      end may skip states), then reads the back end's feature-* keys;
 *   3. initialises the ring page (<xen/io/ring.h>: SHARED_RING_INIT and
 *      FRONT_RING_INIT), grants it and a pool of bounce pages to the back
 *      end, allocates an unbound event channel toward it;
 *   4. writes ring-ref, event-channel, protocol (XEN_IO_PROTO_ABI_NATIVE)
 *      and feature-persistent = 1 in one transaction (retried on EAGAIN),
 *      then state = Initialised;
 *   5. waits for the back end's Connected, reads sectors, sector-size and
 *      info (and the features again), and switches to Connected.
 *
 * Data path: a request carries up to S pages: S = 11
 * (BLKIF_MAX_SEGMENTS_PER_REQUEST) in direct requests, or, when the back
 * end offers feature-max-indirect-segments above 11, S = min(offer, 32,
 * blkfront_max_indirect_segments())
 * in BLKIF_OP_INDIRECT requests whose segment list is in a descriptor
 * page of the slot's own (requests of 11 pages or fewer stay direct). Every segment is one of
 * the request slot's own bounce pages, granted once at init and reused
 * for every request (persistent grants, as Linux's blkfront does when the
 * back end offers feature-persistent; a back end without it maps and
 * unmaps them per request, which is equally correct). The caller's buffer
 * may have any alignment: data is copied between it and the bounce pages.
 * The first segment of a request starts at first_sect = sector % 8, so
 * bounce pages line up with the disk's 4 KiB blocks; a request carries
 * up to 8 * S - sector % 8 sectors and larger transfers are split. One call
 * keeps up to the ring size (32) requests in flight and blocks in
 * events_wait() (wait_until_ns() with a 30 s limit after init_time())
 * until responses arrive on the event channel.
 *
 * Use from vCPU 0's main flow, one call at a time (not from event
 * handlers). Needs init_events() and init_xenbus(); init_grant() is called
 * if it has not been. All sectors are 512 bytes (BLKFRONT_SECTOR_SIZE);
 * a back end with another sector-size is refused (we do not offer
 * feature-large-sector-size). Memory: 4.1 MiB of BSS (32 slots of 32
 * bounce pages and a descriptor page), the bounce pages left unzeroed.
 *
 * Every function returns 0 or a negative Xen errno: -XEN_ENODEV when not
 * connected (or the prerequisites are missing), -XEN_EINVAL for a range
 * past the end of the disk, -XEN_EROFS for writes to a read-only disk,
 * -XEN_EIO for BLKIF_RSP_ERROR, -XEN_EOPNOTSUPP for BLKIF_RSP_EOPNOTSUPP
 * or an operation the back end does not offer, -XEN_ETIMEDOUT when the
 * back end does not answer in time. A protocol violation by the back end
 * (a response id that is not in flight or with another
 * operation, rsp_prod running ahead) or a timeout
 * marks the device broken: later I/O returns -XEN_EIO.
 */
#ifndef GUESTLIB_BLKFRONT_H
#define GUESTLIB_BLKFRONT_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/event_channel.h>

#define BLKFRONT_SECTOR_SIZE 512 /* blkif's sector unit */
#define BLKFRONT_TIMEOUT_NS  (30ULL * 1000000000ULL) /* xenbus waits and I/O, after init_time() */

/* What blkfront_info() reports. */
struct blkfront_info {
	unsigned int devid;	   /* virtual-device, e.g. 51712 = xvda */
	domid_t backend_id;
	uint64_t sectors;	   /* disk size in sector_size units */
	unsigned int sector_size;  /* bytes (512) */
	unsigned int info;	   /* VDISK_* bits from <xen/io/blkif.h> */
	int read_only;		   /* info & VDISK_READONLY */
	int feature_flush_cache;   /* back end's feature-* keys, 0 or 1 */
	int feature_barrier;
	int feature_discard;
	int feature_persistent;
	unsigned int max_indirect_segments; /* the back end's offer, 0 if none */
	unsigned int segments_per_request;  /* 11 (direct), or up to 32 with indirect requests */
	unsigned int ring_size;	   /* ring entries (32) = most requests in flight */
	grant_ref_t ring_ref;
	evtchn_port_t evtchn;
	uint64_t requests;	   /* ring requests completed since init */
	uint64_t indirect_requests; /* of which BLKIF_OP_INDIRECT, queued since init */
};

/* Connect ~/device/vbd/<devid> (see above). -XEN_EBUSY if already connected. */
int blkfront_init(unsigned int devid);

/*
 * The most segments an indirect request may carry (as Linux blkfront's
 * max_indirect_segments parameter): 12..32, default 32; 11 or fewer
 * turns indirect requests off. Call before blkfront_init(): -XEN_EBUSY
 * while connected, -XEN_EINVAL above 32.
 */
int blkfront_max_indirect_segments(unsigned int n);

/* Read nsectors 512-byte sectors starting at sector into buf (any alignment). */
int blkfront_read(uint64_t sector, void *buf, uint64_t nsectors);

/* Write nsectors sectors from buf. Completed when it returns, not necessarily durable. */
int blkfront_write(uint64_t sector, const void *buf, uint64_t nsectors);

/*
 * Make completed writes durable: BLKIF_OP_FLUSH_DISKCACHE (no segments)
 * if the back end offers feature-flush-cache, else BLKIF_OP_WRITE_BARRIER
 * (no segments) if it offers feature-barrier, else -XEN_EOPNOTSUPP.
 */
int blkfront_flush(void);

/* BLKIF_OP_DISCARD of nsectors sectors; -XEN_EOPNOTSUPP without feature-discard. */
int blkfront_discard(uint64_t sector, uint64_t nsectors);

/* Copy the device's properties into *info. */
int blkfront_info(struct blkfront_info *info);

/*
 * Disconnect: state Closing, wait for the back end to close, state Closed,
 * close the event channel and end access on the ring and bounce grants.
 * -XEN_EBUSY if a grant could not be revoked (the back end still maps it;
 * the grant is then left in place). The device may be connected again.
 */
int blkfront_fini(void);

/*
 * Hot unplug (xl block-detach): wait until the back end leaves Connected
 * for Closing or Closed (or its directory goes away), at most timeout_ns
 * (TIME_FOREVER: no limit; needs init_time() otherwise), then disconnect
 * as blkfront_fini() does. 0 once disconnected, -XEN_ETIMEDOUT if the back
 * end stayed connected (the device is left connected), -XEN_ENODEV when
 * not connected, or blkfront_fini()'s error.
 */
int blkfront_wait_detach(uint64_t timeout_ns);

#endif /* GUESTLIB_BLKFRONT_H */
