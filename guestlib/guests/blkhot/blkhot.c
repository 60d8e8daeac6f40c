/*
 * blkhot - PV disks attached and detached while the guest runs (xl
 * block-attach / block-detach), seen through <guestlib/blkfront.h>.
 *
 * Command line: rounds=<n> (default 2).
 *
 * The guest watches device/vbd. Each round it prints
 *	blkhot: round <r>: waiting for a disk
 * and waits (up to 120 s) for a vbd whose front-end state is 1
 * (Initialising: just published by the toolstack), connects it and prints
 *	blkhot: attached vbd <devid>: <sectors> sectors, backend <domid>, <rw|ro>
 *	blkhot: vbd <devid>: sector 0 starts "<first 16 bytes, printable>"
 * On a writable disk it then writes sector 1 with the text
 * "blkhot round <r> vbd <devid>\n" (zero padded), flushes, reads it back
 * and prints
 *	blkhot: vbd <devid>: wrote and read back sector 1
 * Then it waits (up to 120 s) for the toolstack to detach the disk (the
 * back end goes Closing), disconnects and prints
 *	blkhot: vbd <devid>: detached
 * After the last round it prints "blkhot: done" and powers off. Any
 * failure prints "blkhot: FAIL <what>: <errno>" and crashes.
 */
#include <guestlib/guestlib.h>

#define DEFAULT_ROUNDS 2
#define WAIT_NS	       (120 * NS_PER_SEC)
#define SECTOR	       BLKFRONT_SECTOR_SIZE
#define LIST_MAX       512 /* device/vbd's listing: NUL-separated devids */

static uint8_t buf[2 * SECTOR] __attribute__((aligned(XEN_PAGE_SIZE)));
static char text[SECTOR];

static struct xenbus_watch_counter vbd_watch; /* watch events on device/vbd */

#define FAIL_RC(what, rc)                                         \
	do {                                                      \
		printk("blkhot: FAIL %s: %d\n", what, (int)(rc)); \
		return 1;                                         \
	} while (0)

static int parse_devid(const char *s, unsigned int *devid)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && v < 0x100000000UL; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p || v > 0xffffffffUL)
		return -XEN_EINVAL;
	*devid = (unsigned int)v;
	return 0;
}

/* A vbd in state Initialising under device/vbd: 1 and its devid, 0 if none. */
static int find_new_vbd(unsigned int *devid)
{
	char list[LIST_MAX], path[64], state[8];
	int n, i, rc;

	n = xenbus_directory(XBT_NIL, "device/vbd", list, sizeof(list));
	if (n == -XEN_ENOENT)
		return 0;
	if (n < 0)
		return n;
	for (i = 0; i < n; i += (int)strlen(&list[i]) + 1) {
		if (parse_devid(&list[i], devid) < 0)
			continue;
		snprintf(path, sizeof(path), "device/vbd/%s/state", &list[i]);
		rc = xenbus_read(XBT_NIL, path, state, sizeof(state));
		if (rc > 0 && state[0] == '1' && state[1] == '\0')
			return 1;
	}
	return 0;
}

/* Wait for a new vbd: 0 and its devid, or an errno. */
static int wait_for_vbd(unsigned int *devid)
{
	uint64_t deadline = monotonic_ns() + WAIT_NS;
	int rc;

	for (;;) {
		/* Before the listing: a change after it wakes us. */
		vbd_watch.seen = vbd_watch.events;
		rc = find_new_vbd(devid);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		rc = wait_until_ns(xenbus_watch_counter_changed, &vbd_watch, deadline);
		if (rc < 0)
			return rc;
	}
}

static void print_start(unsigned int devid, const uint8_t *p)
{
	char s[17];
	int i;

	for (i = 0; i < 16; i++)
		s[i] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' ? (char)p[i] : '.';
	s[16] = '\0';
	printk("blkhot: vbd %u: sector 0 starts \"%s\"\n", devid, s);
}

static int round_trip(unsigned long round, unsigned int devid)
{
	int rc;

	memset(text, 0, sizeof(text));
	snprintf(text, sizeof(text), "blkhot round %lu vbd %u\n", round, devid);
	if ((rc = blkfront_write(1, text, 1)) < 0)
		FAIL_RC("blkfront_write", rc);
	if ((rc = blkfront_flush()) < 0)
		FAIL_RC("blkfront_flush", rc);
	memset(buf, 0xa5, sizeof(buf));
	if ((rc = blkfront_read(1, buf, 1)) < 0)
		FAIL_RC("blkfront_read", rc);
	if (memcmp(buf, text, SECTOR) != 0) {
		printk("blkhot: FAIL vbd %u: sector 1 read back differs\n", devid);
		return 1;
	}
	printk("blkhot: vbd %u: wrote and read back sector 1\n", devid);
	return 0;
}

int main(const struct hvm_start_info *si)
{
	unsigned long rounds = DEFAULT_ROUNDS, r;
	struct blkfront_info info;
	unsigned int devid;
	int rc;

	rc = cmdline_get_ulong(start_info_cmdline(si), "rounds", &rounds);
	if (rc < 0 && rc != -XEN_ENOENT)
		FAIL_RC("rounds=", rc);
	if ((rc = init_events()) < 0)
		FAIL_RC("init_events", rc);
	if ((rc = init_time()) < 0)
		FAIL_RC("init_time", rc);
	if ((rc = init_xenbus()) < 0)
		FAIL_RC("init_xenbus", rc);
	if ((rc = xenbus_watch("device/vbd", "blkhot", xenbus_watch_count, &vbd_watch)) < 0)
		FAIL_RC("xenbus_watch", rc);

	for (r = 1; r <= rounds; r++) {
		printk("blkhot: round %lu: waiting for a disk\n", r);
		if ((rc = wait_for_vbd(&devid)) < 0)
			FAIL_RC("waiting for a disk", rc);
		if ((rc = blkfront_init(devid)) < 0)
			FAIL_RC("blkfront_init", rc);
		blkfront_info(&info);
		printk("blkhot: attached vbd %u: %llu sectors, backend %u, %s\n", devid,
		       (unsigned long long)info.sectors, (unsigned int)info.backend_id,
		       info.read_only ? "ro" : "rw");
		if ((rc = blkfront_read(0, buf, 1)) < 0)
			FAIL_RC("blkfront_read", rc);
		print_start(devid, buf);
		if (!info.read_only && round_trip(r, devid) != 0)
			return 1;
		if ((rc = blkfront_wait_detach(WAIT_NS)) < 0)
			FAIL_RC("waiting for the detach", rc);
		printk("blkhot: vbd %u: detached\n", devid);
	}
	xenbus_unwatch("device/vbd", "blkhot");
	printk("blkhot: done\n");
	return 0;
}
