/*
 * blkevil - a hostile PV block front end: blkback must answer bad requests
 * with BLKIF_RSP_ERROR and carry on, and disconnect a front end that
 * breaks the ring or hands it a ring it does not own.
 *
 * Command line: devid=<n> (default 51712 = xvda) case=<name> (below).
 *
 * It does not use guestlib's blkfront, which is well behaved: it speaks
 * blkif itself over guestlib's xenbus, grant and event channel calls
 * (F = ~/device/vbd/<devid>, B = F/backend): watch B/state, wait for
 * InitWait (2); grant a ring page (SHARED_RING_INIT, FRONT_RING_INIT) and
 * two data pages to the back end, allocate an unbound event channel
 * toward it; write F/ring-ref, F/event-channel, F/protocol = x86_64-abi,
 * then F/state = 3 (Initialised); wait for B/state = 4 (Connected) and
 * read B/sectors. No feature-persistent: the back end maps each
 * request's grants itself. Each case but badring then prints
 *	blkevil: case <name>: connected, <sectors> sectors
 * and every request's line ends in "status <n> (<BLKIF_RSP_* name>)".
 *
 *   badgref   a READ whose only segment is gref 511 (inside our grant
 *	       table, never granted), then a good READ of sectors 0-7:
 *	blkevil: case badgref: bogus gref -> status -1 (BLKIF_RSP_ERROR)
 *	blkevil: case badgref: good read after -> status 0 (BLKIF_RSP_OKAY)
 *   badwrite  a good READ of sectors 0-7; a WRITE of 0xa5 bytes to sectors
 *	       0-15 whose first segment is a granted page and whose second is
 *	       gref 9999 (beyond our table); a good READ of sectors 0-7, which
 *	       must match the first (the refused write changed nothing):
 *	blkevil: case badwrite: bogus second gref -> status -1 (BLKIF_RSP_ERROR)
 *	blkevil: case badwrite: good read after -> status 0 (BLKIF_RSP_OKAY)
 *	blkevil: case badwrite: sectors 0-7 unchanged
 *   pastend   a READ of the 8 sectors from B/sectors on, then a good READ:
 *	blkevil: case pastend: read at sector <sectors> -> status -1 (BLKIF_RSP_ERROR)
 *	blkevil: case pastend: good read after -> status 0 (BLKIF_RSP_OKAY)
 *   toomany   a READ with nr_segments = 12 (BLKIF_MAX_SEGMENTS_PER_REQUEST
 *	       is 11), then a good READ:
 *	blkevil: case toomany: 12 segments -> status -1 (BLKIF_RSP_ERROR)
 *	blkevil: case toomany: good read after -> status 0 (BLKIF_RSP_OKAY)
 *   rowrite   (give it an access=ro disk) a WRITE of 0xa5 bytes to sectors
 *	       0-7, which blkfront would refuse itself, then a good READ
 *	       that must find sectors 0-7 unchanged:
 *	blkevil: case rowrite: write to a read-only disk -> status -1 (BLKIF_RSP_ERROR)
 *	blkevil: case rowrite: good read after -> status 0 (BLKIF_RSP_OKAY)
 *	blkevil: case rowrite: sectors 0-7 unchanged
 *   These five then close as a front end should (F/state 5, B/state 5 or
 *   6, F/state 6, B/state 6):
 *	blkevil: case <name>: closed
 *   jump      a good READ, then req_prod = req_cons + 33 (more than the
 *	       32-entry ring holds) and a notification;
 *   backwards a good READ, then req_prod = req_cons - 1 and a notification:
 *	blkevil: case <name>: good read -> status 0 (BLKIF_RSP_OKAY)
 *	blkevil: case <name>: req_prod <old> -> <new>
 *	blkevil: case <name>: back end state <5|6>: disconnected
 *   badring   F/ring-ref = 511 (never granted) with a valid event channel,
 *	       F/state = 3; B/state must reach 5 or 6, never 4:
 *	blkevil: case badring: ring-ref 511 never granted
 *	blkevil: case badring: back end state <5|6>: refused
 *   After a disconnect (jump, backwards, badring) it writes F/state = 6
 *   (Closed), as a front end giving up does, and does not wait for more.
 *
 * Last line, then power off:
 *	blkevil: case <name>: PASS
 * Anything unexpected prints one line and crashes:
 *	blkevil: FAIL <what>: <errno, status or state>
 * Every wait is bounded: RESPONSE_WAIT_NS for a response, STATE_WAIT_NS
 * for a back-end state.
 */
#include <guestlib/guestlib.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

/* ring.h uses these; with __XEN_INTERFACE_VERSION__ >= 0x00030208 it leaves them to us. */
#define xen_mb()  mb()
#define xen_rmb() rmb()
#define xen_wmb() wmb()
#include <xen/io/ring.h>
#include <xen/io/blkif.h>

#define DEFAULT_DEVID	 51712 /* xvda: 202 << 8 */
#define SECTORS_PER_PAGE (XEN_PAGE_SIZE / 512)
#define UNGRANTED_REF	 511  /* in the first table frame; we grant refs 8..10 only */
#define OUTSIDE_REF	 9999 /* beyond the table (512 refs per frame, few frames) */
#define TOO_MANY_SEGS	 12
#define RESPONSE_WAIT_NS (5 * NS_PER_SEC)
#define STATE_WAIT_NS	 (10 * NS_PER_SEC)
#define PATH_MAX	 128
#define VALUE_MAX	 32
#define STATE_BIT(s)	 (1u << (s))

static union {
	blkif_sring_t s;
	uint8_t page[XEN_PAGE_SIZE];
} ring_page __attribute__((aligned(XEN_PAGE_SIZE)));
static uint8_t data[2][XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));

static const char *test_case;
static char node[64];		/* F, relative to ~ */
static char backend[PATH_MAX];	/* B, absolute */
static domid_t backend_id;
static blkif_front_ring_t ring;
static grant_ref_t ring_ref, data_ref[2];
static evtchn_port_t port;
static unsigned long devid = DEFAULT_DEVID, sectors;
static uint64_t next_id = 1;

static struct xenbus_watch_counter be_watch; /* watch events on B/state */

#define FAIL(fmt, ...)                                                          \
	do {                                                                    \
		printk("blkevil: FAIL " fmt "\n", ##__VA_ARGS__);               \
		return 1;                                                       \
	} while (0)

#define SAY(fmt, ...) printk("blkevil: case %s: " fmt "\n", test_case, ##__VA_ARGS__)

/* ---- xenstore ---- */

static int read_ulong(const char *dir, const char *key, unsigned long *val)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xenbus_read_ulong(XBT_NIL, path, val);
}

static int write_front(const char *key, unsigned long v)
{
	char path[PATH_MAX], buf[VALUE_MAX];

	snprintf(path, sizeof(path), "%s/%s", node, key);
	snprintf(buf, sizeof(buf), "%lu", v);
	return xenbus_write(XBT_NIL, path, buf);
}

/*
 * Wait until B/state is in want (a STATE_BIT mask): 0, -XEN_ENODEV if it
 * reaches a state in fail first, -XEN_ETIMEDOUT after STATE_WAIT_NS. The
 * last state read is in *st (a missing key reads as Unknown, 0).
 */
static int wait_backend(unsigned int want, unsigned int fail, unsigned long *st)
{
	uint64_t deadline = monotonic_ns() + STATE_WAIT_NS;
	int rc;

	for (;;) {
		be_watch.seen = be_watch.events; /* before the read: a change after it wakes us */
		rc = read_ulong(backend, "state", st);
		if (rc == -XEN_ENOENT)
			*st = XenbusStateUnknown;
		else if (rc < 0)
			return rc;
		if (*st < 32 && (want & STATE_BIT(*st)))
			return 0;
		if (*st < 32 && (fail & STATE_BIT(*st)))
			return -XEN_ENODEV;
		rc = wait_until_ns(xenbus_watch_counter_changed, &be_watch, deadline);
		if (rc < 0)
			return rc;
	}
}

/* ---- the ring ---- */

static void on_ring_event(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg; /* the main flow looks at rsp_prod itself */
}

static int responses_pending(void *arg)
{
	(void)arg;
	return *(volatile RING_IDX *)&ring.sring->rsp_prod != ring.rsp_cons;
}

static void start_rw(blkif_request_t *req, uint8_t op, uint64_t sector)
{
	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->handle = (blkif_vdev_t)devid;
	req->id = next_id++;
	req->sector_number = sector;
}

/* Append a segment covering the whole page of ref. */
static void add_page(blkif_request_t *req, grant_ref_t ref)
{
	struct blkif_request_segment *seg = &req->seg[req->nr_segments++];

	seg->gref = ref;
	seg->first_sect = 0;
	seg->last_sect = SECTORS_PER_PAGE - 1;
}

/*
 * Publish req, notify as ring.h says, and wait for its response: 0 with
 * the status in *status, -XEN_ETIMEDOUT, or -XEN_EIO for a response to
 * another request.
 */
static int transact(const blkif_request_t *req, int16_t *status)
{
	uint64_t deadline = monotonic_ns() + RESPONSE_WAIT_NS;
	blkif_response_t rsp;
	int notify, more, rc;

	*RING_GET_REQUEST(&ring, ring.req_prod_pvt) = *req;
	ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&ring, notify);
	if (notify)
		evtchn_notify(port);
	for (;;) {
		RING_FINAL_CHECK_FOR_RESPONSES(&ring, more);
		if (more)
			break;
		rc = wait_until_ns(responses_pending, NULL, deadline);
		if (rc < 0)
			return rc;
	}
	rmb(); /* the response after the index that covers it */
	RING_COPY_RESPONSE(&ring, ring.rsp_cons, &rsp);
	ring.rsp_cons++;
	if (rsp.id != req->id || rsp.operation != req->operation)
		return -XEN_EIO;
	*status = rsp.status;
	return 0;
}

static const char *status_name(int16_t status)
{
	switch (status) {
	case BLKIF_RSP_OKAY:	   return "BLKIF_RSP_OKAY";
	case BLKIF_RSP_ERROR:	   return "BLKIF_RSP_ERROR";
	case BLKIF_RSP_EOPNOTSUPP: return "BLKIF_RSP_EOPNOTSUPP";
	default:		   return "unknown";
	}
}

/* Send req, print "<what> -> status ..." and check the status is want. */
static int expect(const blkif_request_t *req, const char *what, int16_t want)
{
	int16_t status;
	int rc = transact(req, &status);

	if (rc < 0)
		FAIL("case %s: %s: no response: %d", test_case, what, rc);
	SAY("%s -> status %d (%s)", what, status, status_name(status));
	if (status != want)
		FAIL("case %s: %s: status %d, want %d", test_case, what, status, want);
	return 0;
}

/* A well-formed READ of sectors 0-7 into data page i. */
static int good_read(unsigned int i, const char *what)
{
	blkif_request_t req;

	start_rw(&req, BLKIF_OP_READ, 0);
	add_page(&req, data_ref[i]);
	return expect(&req, what, BLKIF_RSP_OKAY);
}

/* ---- handshake ---- */

/*
 * Steps up to F/state = 3. F/ring-ref is our ring's grant, or with
 * bogus_ring a ref we never granted.
 */
static int publish(int bogus_ring)
{
	char path[PATH_MAX + 8];
	unsigned long id, st;
	unsigned int i;
	int rc;

	snprintf(node, sizeof(node), "device/vbd/%lu", devid);
	snprintf(path, sizeof(path), "%s/backend", node);
	if ((rc = xenbus_read(XBT_NIL, path, backend, sizeof(backend))) < 0)
		FAIL("read %s: %d", path, rc);
	if ((rc = read_ulong(node, "backend-id", &id)) < 0)
		FAIL("read backend-id: %d", rc);
	backend_id = (domid_t)id;
	snprintf(path, sizeof(path), "%s/state", backend);
	if ((rc = xenbus_watch(path, "blkevil", xenbus_watch_count, &be_watch)) < 0)
		FAIL("watch %s: %d", path, rc);
	rc = wait_backend(STATE_BIT(XenbusStateInitWait),
			  STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed), &st);
	if (rc < 0)
		FAIL("back end InitWait: %d (state %lu)", rc, st);

	/* Guest memory is identity mapped: a page's gfn is its address >> XEN_PAGE_SHIFT. */
	SHARED_RING_INIT(&ring_page.s);
	FRONT_RING_INIT(&ring, &ring_page.s, XEN_PAGE_SIZE);
	if ((rc = gnttab_grant_access(backend_id, (uintptr_t)&ring_page >> XEN_PAGE_SHIFT, 0,
				      &ring_ref)) < 0)
		FAIL("grant ring: %d", rc);
	for (i = 0; i < 2; i++)
		if ((rc = gnttab_grant_access(backend_id, (uintptr_t)data[i] >> XEN_PAGE_SHIFT, 0,
					      &data_ref[i])) < 0)
			FAIL("grant data page %u: %d", i, rc);
	if ((rc = evtchn_alloc_unbound(backend_id, on_ring_event, NULL, &port)) < 0)
		FAIL("evtchn_alloc_unbound: %d", rc);

	if ((rc = write_front("ring-ref", bogus_ring ? UNGRANTED_REF : ring_ref)) < 0 ||
	    (rc = write_front("event-channel", port)) < 0)
		FAIL("write ring keys: %d", rc);
	snprintf(path, sizeof(path), "%s/protocol", node);
	if ((rc = xenbus_write(XBT_NIL, path, XEN_IO_PROTO_ABI_NATIVE)) < 0)
		FAIL("write protocol: %d", rc);
	if ((rc = write_front("state", XenbusStateInitialised)) < 0)
		FAIL("write state: %d", rc);
	return 0;
}

static int connect_vbd(void)
{
	unsigned long st;
	int rc;

	if (publish(0) != 0)
		return 1;
	rc = wait_backend(STATE_BIT(XenbusStateConnected),
			  STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed), &st);
	if (rc < 0)
		FAIL("back end Connected: %d (state %lu)", rc, st);
	if ((rc = read_ulong(backend, "sectors", &sectors)) < 0)
		FAIL("read sectors: %d", rc);
	if ((rc = write_front("state", XenbusStateConnected)) < 0)
		FAIL("write state: %d", rc);
	SAY("connected, %lu sectors", sectors);
	return 0;
}

/* The orderly way out, after requests the back end refused. */
static int close_vbd(void)
{
	unsigned long st;
	int rc;

	if ((rc = write_front("state", XenbusStateClosing)) < 0)
		FAIL("write state: %d", rc);
	rc = wait_backend(STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed), 0, &st);
	if (rc < 0)
		FAIL("case %s: back end Closing: %d (state %lu)", test_case, rc, st);
	if ((rc = write_front("state", XenbusStateClosed)) < 0)
		FAIL("write state: %d", rc);
	rc = wait_backend(STATE_BIT(XenbusStateClosed), 0, &st);
	if (rc < 0)
		FAIL("case %s: back end Closed: %d (state %lu)", test_case, rc, st);
	SAY("closed");
	return 0;
}

/* After a hostile act: the back end must give up on us; so do we. */
static int expect_disconnect(const char *verdict, unsigned int fail)
{
	unsigned long st;
	int rc;

	rc = wait_backend(STATE_BIT(XenbusStateClosing) | STATE_BIT(XenbusStateClosed), fail, &st);
	if (rc < 0)
		FAIL("case %s: back end did not disconnect: %d (state %lu)", test_case, rc, st);
	SAY("back end state %lu: %s", st, verdict);
	if ((rc = write_front("state", XenbusStateClosed)) < 0)
		FAIL("write state: %d", rc);
	return 0;
}

/* ---- the cases ---- */

static int case_badgref(void)
{
	blkif_request_t req;

	start_rw(&req, BLKIF_OP_READ, 0);
	add_page(&req, UNGRANTED_REF);
	if (expect(&req, "bogus gref", BLKIF_RSP_ERROR) != 0 ||
	    good_read(0, "good read after") != 0)
		return 1;
	return close_vbd();
}

static int case_badwrite(void)
{
	blkif_request_t req;

	if (good_read(0, "good read before") != 0)
		return 1;
	memset(data[1], 0xa5, XEN_PAGE_SIZE);
	start_rw(&req, BLKIF_OP_WRITE, 0);
	add_page(&req, data_ref[1]);
	add_page(&req, OUTSIDE_REF);
	if (expect(&req, "bogus second gref", BLKIF_RSP_ERROR) != 0 ||
	    good_read(1, "good read after") != 0)
		return 1;
	if (memcmp(data[0], data[1], XEN_PAGE_SIZE) != 0)
		FAIL("case badwrite: sectors 0-7 changed by a refused write");
	SAY("sectors 0-7 unchanged");
	return close_vbd();
}

static int case_rowrite(void)
{
	blkif_request_t req;

	memset(data[1], 0xa5, XEN_PAGE_SIZE);
	start_rw(&req, BLKIF_OP_WRITE, 0);
	add_page(&req, data_ref[1]);
	if (expect(&req, "write to a read-only disk", BLKIF_RSP_ERROR) != 0 ||
	    good_read(0, "good read after") != 0)
		return 1;
	if (memcmp(data[0], data[1], XEN_PAGE_SIZE) == 0)
		FAIL("case rowrite: sectors 0-7 hold the refused write");
	SAY("sectors 0-7 unchanged");
	return close_vbd();
}

static int case_pastend(void)
{
	blkif_request_t req;
	char what[48];

	start_rw(&req, BLKIF_OP_READ, sectors);
	add_page(&req, data_ref[0]);
	snprintf(what, sizeof(what), "read at sector %lu", sectors);
	if (expect(&req, what, BLKIF_RSP_ERROR) != 0 || good_read(0, "good read after") != 0)
		return 1;
	return close_vbd();
}

static int case_toomany(void)
{
	blkif_request_t req;
	unsigned int i;

	start_rw(&req, BLKIF_OP_READ, 0);
	for (i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		add_page(&req, data_ref[0]);
	req.nr_segments = TOO_MANY_SEGS; /* seg[] has room for 11: the 12th is never read */
	if (expect(&req, "12 segments", BLKIF_RSP_ERROR) != 0 ||
	    good_read(0, "good read after") != 0)
		return 1;
	return close_vbd();
}

/* jump and backwards: publish a req_prod the protocol forbids. */
static int case_ring_index(int jump)
{
	RING_IDX old, nw;

	if (good_read(0, "good read") != 0)
		return 1;
	old = ring.req_prod_pvt; /* == the back end's req_cons: it answered everything */
	nw = jump ? old + RING_SIZE(&ring) + 1 : old - 1;
	ring.sring->req_prod = nw;
	mb();
	evtchn_notify(port);
	SAY("req_prod %u -> %u", old, nw);
	return expect_disconnect("disconnected", 0);
}

int main(const struct hvm_start_info *si)
{
	static char name[16];
	const char *cmdline = start_info_cmdline(si);
	int rc;

	rc = cmdline_get_ulong(cmdline, "devid", &devid);
	if (rc < 0 && rc != -XEN_ENOENT)
		FAIL("devid=: %d", rc);
	if ((rc = cmdline_get(cmdline, "case", name, sizeof(name))) < 0)
		FAIL("case=: %d", rc);
	test_case = name;

	if ((rc = init_events()) < 0)
		FAIL("init_events: %d", rc);
	if ((rc = init_time()) < 0)
		FAIL("init_time: %d", rc);
	if ((rc = init_xenbus()) < 0)
		FAIL("init_xenbus: %d", rc);
	if ((rc = init_grant()) < 0)
		FAIL("init_grant: %d", rc);

	if (!strcmp(name, "badring")) {
		/* The real ring is granted (ref 8) but F/ring-ref names another. */
		if (publish(1) != 0)
			return 1;
		SAY("ring-ref %u never granted", (unsigned int)UNGRANTED_REF);
		rc = expect_disconnect("refused", STATE_BIT(XenbusStateConnected));
	} else {
		if (strcmp(name, "badgref") && strcmp(name, "badwrite") && strcmp(name, "pastend") &&
		    strcmp(name, "rowrite") && strcmp(name, "toomany") && strcmp(name, "jump") && strcmp(name, "backwards"))
			FAIL("case=%s: unknown case", name);
		if (connect_vbd() != 0)
			return 1;
		if (!strcmp(name, "badgref"))
			rc = case_badgref();
		else if (!strcmp(name, "badwrite"))
			rc = case_badwrite();
		else if (!strcmp(name, "pastend"))
			rc = case_pastend();
		else if (!strcmp(name, "rowrite"))
			rc = case_rowrite();
		else if (!strcmp(name, "toomany"))
			rc = case_toomany();
		else
			rc = case_ring_index(!strcmp(name, "jump"));
	}
	if (rc != 0)
		return rc;
	SAY("PASS");
	return 0;
}
