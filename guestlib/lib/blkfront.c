/*
 * blkfront.c - the block front end's ring and API (<guestlib/blkfront.h>);
 * the xenstore side is blkfront_xs.c.
 *
 * Ring (digest 7, <xen/io/ring.h>): one page, 32 entries, driven with
 * ring.h's FRONT_RING macros. Publishing: fill requests at req_prod_pvt,
 * RING_PUSH_REQUESTS_AND_CHECK_NOTIFY (write barrier, req_prod, full
 * barrier, notify iff req_event lies in (old, new]). Consuming: read
 * rsp_prod, read barrier, copy each response out of the shared page,
 * advance rsp_cons; before sleeping RING_FINAL_CHECK_FOR_RESPONSES sets
 * rsp_event = rsp_cons + 1 and checks again, so the back end's
 * notification for the next response cannot be missed.
 *
 * State (all written by the main flow on vCPU 0, one call at a time,
 * except the event counters, which handlers bump):
 *   slots[i]	    request slot i: ring id i, busy while its request is in
 *		    flight; owns bounce[i] (up to BLKFRONT_MAX_SEGS pages),
 *		    granted once to the back end as grefs[i][0..segs-1],
 *		    and with indirect requests the descriptor page
 *		    indirect[i], granted as indirect_grefs[i] (read-write,
 *		    as Linux blkfront does: blkback keeps persistent
 *		    mappings writable);
 *   segs	    pages per request: 11 (direct requests), or with the back
 *		    end's feature-max-indirect-segments >= 12 up to
 *		    BLKFRONT_MAX_SEGS in one BLKIF_OP_INDIRECT request;
 *   inflight	    busy slots;
 *   io_err	    first error of the current call's responses.
 * A request's data sits contiguously in its slot's bounce pages from byte
 * first_sect * 512 of page 0: segment k is page k, sectors
 * [max(first, 8k), min(first + n, 8k + 8)) - 8k.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

#include <arch.h>
#include <guestlib/events.h>
#include <guestlib/grant.h>
#include <guestlib/time.h>
#include <guestlib/xen.h>
#include <guestlib/xenbus.h>
#include "blkfront_priv.h"

_Static_assert(BLKFRONT_RING_SIZE == 32, "one-page blkif ring has 32 entries (digest 7.1)");
/*
 * Segments of an indirect request, as Linux blkfront's default
 * max_indirect_segments: 128 KiB per request, one descriptor page, and
 * 32 x 33 persistent grants, Linux blkback's max_persistent_grants.
 */
#define BLKFRONT_MAX_SEGS 32
#define SEGS_PER_INDIRECT_PAGE (XEN_PAGE_SIZE / sizeof(struct blkif_request_segment))

_Static_assert(BLKFRONT_MAX_SEGS <= SEGS_PER_INDIRECT_PAGE, "one indirect page per request");
_Static_assert(BLKFRONT_MAX_SEGS * BLKFRONT_SECTORS_PER_PAGE <= 0xffff, "sector offsets fit the slot");

struct slot {
	int busy;
	uint8_t op;	     /* BLKIF_OP_* */
	void *dst;	     /* reads: where the data goes on completion */
	unsigned int first;  /* first_sect of segment 0 */
	unsigned int nsect;  /* sectors carried */
};

struct blkfront_dev blkfront_dev;

static struct slot slots[BLKFRONT_RING_SIZE];
static unsigned int inflight;
static int io_err;

static union {
	blkif_sring_t s;
	uint8_t page[XEN_PAGE_SIZE];
} ring_page __attribute__((aligned(XEN_PAGE_SIZE)));

/* Not zeroed at boot (4 MiB): every byte is written before it is read. */
static uint8_t bounce[BLKFRONT_RING_SIZE][BLKFRONT_MAX_SEGS][XEN_PAGE_SIZE]
	__attribute__((section(".bss.noinit.blkfront"), aligned(XEN_PAGE_SIZE)));
static struct blkif_request_segment indirect[BLKFRONT_RING_SIZE][SEGS_PER_INDIRECT_PAGE]
	__attribute__((aligned(XEN_PAGE_SIZE)));
static grant_ref_t grefs[BLKFRONT_RING_SIZE][BLKFRONT_MAX_SEGS];
static grant_ref_t indirect_grefs[BLKFRONT_RING_SIZE];
static unsigned int nr_granted;	      /* grants made, slot by slot: see grant_slot() */
static unsigned int max_segs = BLKFRONT_MAX_SEGS; /* blkfront_max_indirect_segments() */
static unsigned int segs = BLKFRONT_SEGS;     /* pages granted per slot */
static unsigned int req_segs = BLKFRONT_SEGS; /* most pages per request (<= segs) */

/* ---- helpers ---- */

static xen_pfn_t gfn_of(const void *p)
{
	return (xen_pfn_t)((uintptr_t)p >> XEN_PAGE_SHIFT); /* identity mapped */
}

/*
 * Copy n bytes (a multiple of 32) 8 at a time: memcpy is byte-wise, and
 * guest code runs under an instruction emulator. Either side may be
 * unaligned (x86 allows it).
 */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_unaligned;

static void copy_sectors(void *dst, const void *src, size_t n)
{
	u64_unaligned *d = dst;
	const u64_unaligned *s = src;

	for (n /= 32; n; n--) {
		d[0] = s[0];
		d[1] = s[1];
		d[2] = s[2];
		d[3] = s[3];
		d += 4;
		s += 4;
	}
}

static int status_errno(int16_t status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:
		return 0;
	case BLKIF_RSP_EOPNOTSUPP:
		return -XEN_EOPNOTSUPP;
	default:
		return -XEN_EIO; /* BLKIF_RSP_ERROR and anything unknown */
	}
}

static void on_event(evtchn_port_t port, void *data)
{
	struct blkfront_dev *d = data;

	(void)port;
	d->evtchn_events++;
}

int blkfront_wait(int (*cond)(void *arg), void *arg)
{
	if (time_ready())
		return wait_until_ns(cond, arg, monotonic_ns() + BLKFRONT_TIMEOUT_NS);
	while (!cond(arg))
		events_wait(cond, arg);
	return 0;
}

/* ---- responses ---- */

static int responses_pending(void *arg)
{
	struct blkfront_dev *d = arg;

	return *(volatile RING_IDX *)&d->ring.sring->rsp_prod != d->ring.rsp_cons;
}

static void complete(struct slot *s, const blkif_response_t *rsp)
{
	int rc = status_errno(rsp->status);

	if (rc == 0 && s->op == BLKIF_OP_READ)
		copy_sectors(s->dst, &bounce[s - slots][0][s->first * BLKFRONT_SECTOR_SIZE],
			     (size_t)s->nsect * BLKFRONT_SECTOR_SIZE);
	if (rc < 0 && io_err == 0)
		io_err = rc;
	s->busy = 0;
	inflight--;
	blkfront_dev.info.requests++;
}

/* Consume every published response: how many, or -XEN_EIO for a bad back end. */
static int consume_responses(struct blkfront_dev *d)
{
	RING_IDX prod, i;
	int n = 0;

	prod = *(volatile RING_IDX *)&d->ring.sring->rsp_prod;
	rmb(); /* responses after the index that covers them */
	if (RING_RESPONSE_PROD_OVERFLOW(&d->ring, prod) ||
	    prod - d->ring.rsp_cons > d->ring.req_prod_pvt - d->ring.rsp_cons) {
		d->broken = 1; /* more responses than requests */
		return -XEN_EIO;
	}
	for (i = d->ring.rsp_cons; i != prod; i++) {
		blkif_response_t rsp;

		RING_COPY_RESPONSE(&d->ring, i, &rsp);
		/* An indirect request is answered with its inner operation. */
		if (rsp.id >= BLKFRONT_RING_SIZE || !slots[rsp.id].busy ||
		    rsp.operation != slots[rsp.id].op) {
			d->broken = 1;
			return -XEN_EIO;
		}
		complete(&slots[rsp.id], &rsp);
		d->ring.rsp_cons = i + 1;
		n++;
	}
	return n;
}

/* Block until at least one response has been consumed. */
static int wait_responses(struct blkfront_dev *d)
{
	int more, rc;

	for (;;) {
		rc = consume_responses(d);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		RING_FINAL_CHECK_FOR_RESPONSES(&d->ring, more);
		if (more)
			continue;
		rc = blkfront_wait(responses_pending, d);
		if (rc < 0) {
			d->broken = 1; /* the requests still own their slots */
			return rc;
		}
	}
}

static int drain(struct blkfront_dev *d)
{
	int rc;

	while (inflight) {
		rc = wait_responses(d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- requests ---- */

static void push_requests(struct blkfront_dev *d)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&d->ring, notify);
	if (notify)
		evtchn_notify(d->info.evtchn);
}

/* A free slot (marked busy) and its ring request, or -1 when none is free. */
static int take_slot(struct blkfront_dev *d)
{
	unsigned int i;

	if (inflight >= BLKFRONT_RING_SIZE || RING_FULL(&d->ring))
		return -1;
	for (i = 0; i < BLKFRONT_RING_SIZE; i++) {
		if (!slots[i].busy) {
			slots[i].busy = 1;
			inflight++;
			return (int)i;
		}
	}
	return -1;
}

/* Segment k of a request of sectors [first, end) of its slot's pages. */
static void fill_segment(struct blkif_request_segment *seg, grant_ref_t gref, unsigned int k,
			 unsigned int first, unsigned int end)
{
	unsigned int lo = k * BLKFRONT_SECTORS_PER_PAGE, hi = lo + BLKFRONT_SECTORS_PER_PAGE;

	seg->gref = gref;
	seg->first_sect = (uint8_t)((first > lo ? first : lo) - lo);
	seg->last_sect = (uint8_t)((end < hi ? end : hi) - 1 - lo);
}

/*
 * Queue one READ or WRITE of up to req_segs * 8 - sector % 8 sectors from/to
 * buf: a direct request, or an indirect one whose segments are in the
 * slot's descriptor page. Returns the number of sectors it carries.
 */
static unsigned int queue_rw(struct blkfront_dev *d, int id, uint8_t op, uint64_t sector,
			     void *buf, uint64_t nsect)
{
	struct slot *s = &slots[id];
	unsigned int first = (unsigned int)(sector % BLKFRONT_SECTORS_PER_PAGE);
	unsigned int max = req_segs * BLKFRONT_SECTORS_PER_PAGE - first;
	unsigned int n = nsect < max ? (unsigned int)nsect : max;
	unsigned int end = first + n, k;
	unsigned int nseg = (end + BLKFRONT_SECTORS_PER_PAGE - 1) / BLKFRONT_SECTORS_PER_PAGE;

	s->op = op;
	s->dst = buf;
	s->first = first;
	s->nsect = n;
	if (op == BLKIF_OP_WRITE)
		copy_sectors(&bounce[id][0][first * BLKFRONT_SECTOR_SIZE], buf,
			     (size_t)n * BLKFRONT_SECTOR_SIZE);

	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		struct blkif_request_indirect *req =
			(struct blkif_request_indirect *)RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt);

		for (k = 0; k < nseg; k++)
			fill_segment(&indirect[id][k], grefs[id][k], k, first, end);
		req->operation = BLKIF_OP_INDIRECT;
		req->indirect_op = op;
		req->nr_segments = (uint16_t)nseg;
		req->id = (uint64_t)id;
		req->sector_number = sector;
		req->handle = (blkif_vdev_t)d->info.devid;
		req->indirect_grefs[0] = indirect_grefs[id];
		d->info.indirect_requests++;
	} else {
		blkif_request_t *req = RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt);

		req->operation = op;
		req->nr_segments = (uint8_t)nseg;
		req->handle = (blkif_vdev_t)d->info.devid;
		req->id = (uint64_t)id;
		req->sector_number = sector;
		for (k = 0; k < nseg; k++)
			fill_segment(&req->seg[k], grefs[id][k], k, first, end);
	}
	d->ring.req_prod_pvt++; /* published with the descriptor page by push_requests' barrier */
	return n;
}

static int check_io(struct blkfront_dev *d, uint64_t sector, uint64_t nsect)
{
	if (!d->connected)
		return -XEN_ENODEV;
	if (d->broken)
		return -XEN_EIO;
	if (sector > d->info.sectors || nsect > d->info.sectors - sector)
		return -XEN_EINVAL;
	return 0;
}

static int do_rw(uint8_t op, uint64_t sector, uint8_t *buf, uint64_t nsect)
{
	struct blkfront_dev *d = &blkfront_dev;
	unsigned int n;
	int id, rc;

	rc = check_io(d, sector, nsect);
	if (rc < 0)
		return rc;
	if (op == BLKIF_OP_WRITE && d->info.read_only)
		return -XEN_EROFS;
	io_err = 0;
	while (nsect > 0 && io_err == 0) {
		id = take_slot(d);
		if (id < 0) {
			push_requests(d);
			rc = wait_responses(d);
			if (rc < 0)
				return rc;
			continue;
		}
		n = queue_rw(d, id, op, sector, buf, nsect);
		sector += n;
		buf += (size_t)n * BLKFRONT_SECTOR_SIZE;
		nsect -= n;
	}
	push_requests(d);
	rc = drain(d);
	return rc < 0 ? rc : io_err;
}

/* One request without data (flush, barrier, discard), waited for. */
static int do_control(void (*fill)(struct blkfront_dev *d, int id, void *arg),
		      void *arg)
{
	struct blkfront_dev *d = &blkfront_dev;
	int id, rc;

	io_err = 0;
	while ((id = take_slot(d)) < 0) {
		rc = wait_responses(d);
		if (rc < 0)
			return rc;
	}
	slots[id].nsect = 0;
	slots[id].dst = NULL;
	slots[id].first = 0;
	fill(d, id, arg);
	d->ring.req_prod_pvt++;
	push_requests(d);
	rc = drain(d);
	return rc < 0 ? rc : io_err;
}

static void fill_flush(struct blkfront_dev *d, int id, void *arg)
{
	blkif_request_t *req = RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt);
	uint8_t op = *(uint8_t *)arg;

	slots[id].op = op;
	req->operation = op;
	req->nr_segments = 0;
	req->handle = (blkif_vdev_t)d->info.devid;
	req->id = (uint64_t)id;
	req->sector_number = 0;
}

struct discard_arg {
	uint64_t sector, nsect;
};

static void fill_discard(struct blkfront_dev *d, int id, void *arg)
{
	blkif_request_t *req = RING_GET_REQUEST(&d->ring, d->ring.req_prod_pvt);
	blkif_request_discard_t *dis = (blkif_request_discard_t *)req; /* same slot, as Linux does */
	const struct discard_arg *a = arg;

	slots[id].op = BLKIF_OP_DISCARD;
	dis->operation = BLKIF_OP_DISCARD;
	dis->flag = 0;
	dis->handle = (blkif_vdev_t)d->info.devid;
	dis->id = (uint64_t)id;
	dis->sector_number = a->sector;
	dis->nr_sectors = a->nsect;
}

/* ---- set-up and tear-down ---- */

/*
 * Grants are made slot by slot: for slot i, its segs bounce pages, then
 * (indirect requests only) its descriptor page. grant_at(n) names the
 * n-th one, so release() can end exactly those made.
 */
static grant_ref_t *grant_at(unsigned int n, const void **page)
{
	unsigned int per_slot = segs > BLKFRONT_SEGS ? segs + 1 : segs;
	unsigned int i = n / per_slot, k = n % per_slot;

	if (k == segs) {
		*page = indirect[i];
		return &indirect_grefs[i];
	}
	*page = bounce[i][k];
	return &grefs[i][k];
}

static unsigned int grants_needed(void)
{
	return BLKFRONT_RING_SIZE * (segs > BLKFRONT_SEGS ? segs + 1 : segs);
}

/* End access on everything granted and close the port; -XEN_EBUSY if a grant stays. */
static int release(struct blkfront_dev *d)
{
	const void *page;
	unsigned int i;
	int rc = 0;

	if (d->info.evtchn) {
		evtchn_close(d->info.evtchn);
		d->info.evtchn = 0;
	}
	for (i = 0; i < nr_granted; i++)
		if (gnttab_end_access(*grant_at(i, &page)) < 0)
			rc = -XEN_EBUSY;
	nr_granted = 0;
	if (d->ring_granted) {
		if (gnttab_end_access(d->info.ring_ref) < 0)
			rc = -XEN_EBUSY;
		d->ring_granted = 0;
	}
	return rc;
}

/*
 * Step 3: ring page, grants, event channel. Indirect requests are used
 * when the back end offers feature-max-indirect-segments above 11: with
 * min(offer, max_segs) segments.
 */
static int setup_ring(struct blkfront_dev *d)
{
	domid_t be = d->info.backend_id;
	unsigned int i, offer = d->info.max_indirect_segments;
	const void *page;
	grant_ref_t *ref;
	int rc;

	memset(&ring_page, 0, sizeof(ring_page));
	memset(slots, 0, sizeof(slots));
	inflight = 0;
	SHARED_RING_INIT(&ring_page.s);
	FRONT_RING_INIT(&d->ring, &ring_page.s, XEN_PAGE_SIZE);
	d->info.ring_size = RING_SIZE(&d->ring);
	if (d->info.ring_size != BLKFRONT_RING_SIZE)
		return -XEN_EINVAL;
	segs = BLKFRONT_SEGS;
	if (offer > BLKFRONT_SEGS && max_segs > BLKFRONT_SEGS)
		segs = offer < max_segs ? offer : max_segs;
	req_segs = segs;

	rc = gnttab_grant_access(be, gfn_of(&ring_page), 0, &d->info.ring_ref);
	if (rc < 0)
		return rc;
	d->ring_granted = 1;
	for (i = 0; i < grants_needed(); i++) {
		ref = grant_at(i, &page);
		rc = gnttab_grant_access(be, gfn_of(page), 0, ref);
		if (rc < 0)
			return rc;
		nr_granted++;
	}
	return evtchn_alloc_unbound(be, on_event, d, &d->info.evtchn);
}

/*
 * After Connected: the back end may have lowered its offer since InitWait;
 * use no more segments than it accepts now (direct requests if it took
 * the feature away).
 */
static void settle_segments(struct blkfront_dev *d)
{
	unsigned int offer = d->info.max_indirect_segments;

	req_segs = offer <= BLKFRONT_SEGS ? BLKFRONT_SEGS : offer < segs ? offer : segs;
	d->info.segments_per_request = req_segs;
}

int blkfront_max_indirect_segments(unsigned int n)
{
	if (blkfront_dev.connected)
		return -XEN_EBUSY;
	if (n > BLKFRONT_MAX_SEGS)
		return -XEN_EINVAL;
	max_segs = n;
	return 0;
}

int blkfront_init(unsigned int devid)
{
	struct blkfront_dev *d = &blkfront_dev;
	int rc;

	if (d->connected)
		return -XEN_EBUSY;
	if (!events_ready() || !xenbus_ready())
		return -XEN_ENODEV;
	rc = init_grant();
	if (rc < 0)
		return rc;
	memset(d, 0, sizeof(*d));
	d->info.devid = devid;

	rc = blkfront_xs_probe(d, devid);
	if (rc == 0)
		rc = setup_ring(d);
	if (rc == 0)
		rc = blkfront_xs_publish(d);
	if (rc == 0)
		rc = blkfront_xs_wait_connected(d);
	if (rc == 0)
		settle_segments(d);
	if (rc < 0) {
		if (d->ring_granted)
			blkfront_xs_close(d); /* the back end may have mapped the ring */
		else
			blkfront_xs_unwatch(d);
		release(d);
		return rc;
	}
	d->connected = 1;
	return 0;
}

int blkfront_read(uint64_t sector, void *buf, uint64_t nsectors)
{
	return do_rw(BLKIF_OP_READ, sector, buf, nsectors);
}

int blkfront_write(uint64_t sector, const void *buf, uint64_t nsectors)
{
	/* The buffer is only read from (copied into the bounce pages). */
	return do_rw(BLKIF_OP_WRITE, sector, (uint8_t *)(uintptr_t)buf, nsectors);
}

int blkfront_flush(void)
{
	struct blkfront_dev *d = &blkfront_dev;
	uint8_t op;
	int rc = check_io(d, 0, 0);

	if (rc < 0)
		return rc;
	if (d->info.feature_flush_cache)
		op = BLKIF_OP_FLUSH_DISKCACHE;
	else if (d->info.feature_barrier)
		op = BLKIF_OP_WRITE_BARRIER;
	else
		return -XEN_EOPNOTSUPP;
	return do_control(fill_flush, &op);
}

int blkfront_discard(uint64_t sector, uint64_t nsectors)
{
	struct blkfront_dev *d = &blkfront_dev;
	struct discard_arg a = { sector, nsectors };
	int rc = check_io(d, sector, nsectors);

	if (rc < 0)
		return rc;
	if (!d->info.feature_discard)
		return -XEN_EOPNOTSUPP;
	if (d->info.read_only)
		return -XEN_EROFS;
	if (nsectors == 0)
		return 0;
	return do_control(fill_discard, &a);
}

int blkfront_info(struct blkfront_info *info)
{
	if (!blkfront_dev.connected)
		return -XEN_ENODEV;
	*info = blkfront_dev.info;
	return 0;
}

int blkfront_fini(void)
{
	struct blkfront_dev *d = &blkfront_dev;
	int rc, rc2;

	if (!d->connected)
		return -XEN_ENODEV;
	d->connected = 0;
	rc = blkfront_xs_close(d);
	if (inflight) /* timed out earlier: the back end may still write them */
		return rc < 0 ? rc : -XEN_EBUSY;
	rc2 = release(d);
	return rc < 0 ? rc : rc2;
}

int blkfront_wait_detach(uint64_t timeout_ns)
{
	struct blkfront_dev *d = &blkfront_dev;
	uint64_t deadline = TIME_FOREVER;
	int rc;

	if (!d->connected)
		return -XEN_ENODEV;
	if (timeout_ns != TIME_FOREVER) {
		deadline = monotonic_ns();
		deadline = timeout_ns < TIME_FOREVER - deadline ? deadline + timeout_ns : TIME_FOREVER;
	}
	rc = blkfront_xs_wait_closing(d, deadline);
	if (rc < 0)
		return rc;
	return blkfront_fini();
}
