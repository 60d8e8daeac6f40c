/*
 * xsguest - the xenstore client test: reads, writes, directories,
 * permissions, transactions and watches over the domain's ring.
 *
 * Command line: other=<domid> (another domain, whose home it may not touch).
 * Prints, in order (relative paths are under /local/domain/<own domid>):
 *   xsguest: wrote and read data/hello = world
 *   xsguest: data has 2 entries                        (after writing data/second)
 *   xsguest: writing /local/domain/<other>/data/x refused: EACCES
 *   xsguest: reading /local/domain/<other>/name refused: EACCES
 *   xsguest: transaction retried after EAGAIN: ok
 *   xsguest: retry helper committed on attempt <n>, data/counter = <v>
 *   xsguest: waiting for dom0 on data/trigger
 *   xsguest: dom0 wrote data/trigger = <value>
 *   xsguest: ok
 * After the EACCES lines it silently writes, reads back
 * and removes a 2000-byte data/big (longer than the 1024-byte rings), and
 * makes and removes data/dir.
 * The transaction step writes data/counter = 0, starts a transaction,
 * reads data/counter in it, writes data/counter = 1 outside it (a
 * conflict), writes data/counter = tx inside it and commits, which must
 * fail with EAGAIN; then xenbus_transaction_retry() increments the counter
 * (read, write value + 1), which must commit (attempt 1, counter 2).
 * The watch step registers a watch on data/trigger (token "trigger"),
 * prints the waiting line, and waits (up to 60 s) until data/trigger has a
 * non-empty value: the watch's first event (fired on registration) finds
 * it missing, so it waits for the next. Any failure prints
 * "xsguest: FAIL ..." and crashes.
 */
#include <guestlib/guestlib.h>

#define TRIGGER_WAIT_NS (60 * NS_PER_SEC)
#define VALUE_MAX	128
#define PATH_MAX	128
#define BIG_LEN		2000 /* bytes: > XENSTORE_RING_SIZE */

static struct xenbus_watch_counter trigger; /* watch events on data/trigger */

static const char *errname(int rc)
{
	switch (rc) {
	case -XEN_EACCES: return "EACCES";
	case -XEN_ENOENT: return "ENOENT";
	case -XEN_EAGAIN: return "EAGAIN";
	case -XEN_EINVAL: return "EINVAL";
	case -XEN_EEXIST: return "EEXIST";
	case -XEN_E2BIG:  return "E2BIG";
	case -XEN_ENOSPC: return "ENOSPC";
	case -XEN_EIO:    return "EIO";
	case 0:		  return "no error";
	default:	  return "other error";
	}
}

#define FAIL(...)                                 \
	do {                                      \
		printk("xsguest: FAIL " __VA_ARGS__); \
		return 1;                         \
	} while (0)

struct counter_tx {
	unsigned int attempts;
	unsigned long value; /* written */
};

/* data/counter += 1 inside transaction t. */
static int bump_counter(xenbus_transaction_t t, void *arg)
{
	struct counter_tx *c = arg;
	char buf[VALUE_MAX];
	unsigned long v;
	int rc;

	c->attempts++;
	rc = xenbus_read_ulong(t, "data/counter", &v);
	if (rc < 0)
		return rc;
	c->value = v + 1;
	snprintf(buf, sizeof(buf), "%lu", c->value);
	return xenbus_write(t, "data/counter", buf);
}

/*
 * Silent checks: a value longer than the 1024-byte rings (sent and received
 * in several rounds; under the 2048-byte node-size quota), mkdir and rm.
 */
static char big[BIG_LEN + 1], back[BIG_LEN + 1];

static int step_big_value(void)
{
	unsigned int i;
	int rc;

	for (i = 0; i < BIG_LEN; i++)
		big[i] = (char)('a' + i % 26);
	big[BIG_LEN] = '\0';
	rc = xenbus_write(XBT_NIL, "data/big", big);
	if (rc < 0)
		FAIL("writing %u bytes to data/big: %d (%s)\n", BIG_LEN, rc, errname(rc));
	rc = xenbus_read(XBT_NIL, "data/big", back, sizeof(back));
	if (rc != BIG_LEN || memcmp(big, back, BIG_LEN + 1))
		FAIL("reading data/big back gave %d bytes (want %u) or other bytes\n", rc, BIG_LEN);
	rc = xenbus_read(XBT_NIL, "data/big", back, 16);
	if (rc != -XEN_E2BIG || strlen(back) != 15)
		FAIL("reading data/big into 16 bytes gave %d, want E2BIG\n", rc);
	rc = xenbus_mkdir(XBT_NIL, "data/dir");
	if (rc == 0)
		rc = xenbus_rm(XBT_NIL, "data/dir");
	if (rc == 0)
		rc = xenbus_rm(XBT_NIL, "data/big");
	if (rc < 0)
		FAIL("mkdir/rm under data: %d (%s)\n", rc, errname(rc));
	rc = xenbus_read(XBT_NIL, "data/big", back, sizeof(back));
	if (rc != -XEN_ENOENT)
		FAIL("data/big still readable after rm: %d\n", rc);
	return 0;
}

static int step_transaction(void)
{
	struct counter_tx c = { 0, 0 };
	xenbus_transaction_t t;
	char buf[VALUE_MAX];
	int rc;

	rc = xenbus_write(XBT_NIL, "data/counter", "0");
	if (rc < 0)
		FAIL("writing data/counter: %d\n", rc);
	rc = xenbus_transaction_start(&t);
	if (rc < 0)
		FAIL("transaction_start: %d\n", rc);
	rc = xenbus_read(t, "data/counter", buf, sizeof(buf));
	if (rc < 0)
		FAIL("reading data/counter in transaction %u: %d\n", t, rc);
	rc = xenbus_write(XBT_NIL, "data/counter", "1");
	if (rc < 0)
		FAIL("writing data/counter outside the transaction: %d\n", rc);
	rc = xenbus_write(t, "data/counter", "tx");
	if (rc < 0)
		FAIL("writing data/counter in transaction %u: %d\n", t, rc);
	rc = xenbus_transaction_end(t, 0);
	if (rc != -XEN_EAGAIN)
		FAIL("conflicting commit gave %d (%s), want EAGAIN\n", rc, errname(rc));

	rc = xenbus_transaction_retry(bump_counter, &c);
	if (rc < 0)
		FAIL("transaction_retry: %d (%s) after %u attempts\n", rc, errname(rc), c.attempts);
	rc = xenbus_read(XBT_NIL, "data/counter", buf, sizeof(buf));
	if (rc < 0 || c.value != 2 || strcmp(buf, "2"))
		FAIL("data/counter is \"%s\" (%d) after the retry, want 2\n", buf, rc);
	printk("xsguest: transaction retried after EAGAIN: ok\n");
	printk("xsguest: retry helper committed on attempt %u, data/counter = %s\n", c.attempts,
	       buf);
	return 0;
}

static int step_watch(void)
{
	char buf[VALUE_MAX];
	uint64_t deadline;
	int rc;

	rc = xenbus_watch("data/trigger", "trigger", xenbus_watch_count, &trigger);
	if (rc < 0)
		FAIL("watching data/trigger: %d (%s)\n", rc, errname(rc));
	printk("xsguest: waiting for dom0 on data/trigger\n");
	deadline = monotonic_ns() + TRIGGER_WAIT_NS;
	for (;;) {
		trigger.seen = trigger.events; /* before the read: no event slips between */
		rc = xenbus_read(XBT_NIL, "data/trigger", buf, sizeof(buf));
		if (rc > 0)
			break;
		if (rc < 0 && rc != -XEN_ENOENT)
			FAIL("reading data/trigger: %d (%s)\n", rc, errname(rc));
		rc = wait_until_ns(xenbus_watch_counter_changed, &trigger, deadline);
		if (rc < 0)
			FAIL("no value in data/trigger after %llu s (%lu events): %d\n",
			     TRIGGER_WAIT_NS / NS_PER_SEC, trigger.events, rc);
	}
	printk("xsguest: dom0 wrote data/trigger = %s\n", buf);
	rc = xenbus_unwatch("data/trigger", "trigger");
	if (rc < 0)
		FAIL("unwatch: %d\n", rc);
	return 0;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	char buf[VALUE_MAX], path[PATH_MAX];
	unsigned long other;
	domid_t self;
	int rc;

	if (cmdline_get_ulong(cmdline, "other", &other) < 0 || other >= DOMID_FIRST_RESERVED)
		FAIL("usage: other=<domid> (cmdline \"%s\")\n", cmdline);
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc == 0)
		rc = init_xenbus();
	if (rc < 0)
		FAIL("set-up: %d\n", rc);
	rc = xen_domid(&self);
	if (rc < 0)
		FAIL("no domid from CPUID: %d\n", rc);
	if (self == other)
		FAIL("other=%lu is this domain\n", other);

	rc = xenbus_write(XBT_NIL, "data/hello", "world");
	if (rc < 0)
		FAIL("writing data/hello: %d (%s)\n", rc, errname(rc));
	rc = xenbus_read(XBT_NIL, "data/hello", buf, sizeof(buf));
	if (rc < 0 || strcmp(buf, "world"))
		FAIL("reading data/hello gave %d \"%s\"\n", rc, rc < 0 ? "" : buf);
	printk("xsguest: wrote and read data/hello = %s\n", buf);

	rc = xenbus_write(XBT_NIL, "data/second", "2");
	if (rc < 0)
		FAIL("writing data/second: %d (%s)\n", rc, errname(rc));
	rc = xenbus_directory(XBT_NIL, "data", buf, sizeof(buf));
	if (rc != 2)
		FAIL("data has %d entries, want 2\n", rc);
	printk("xsguest: data has %d entries\n", rc);

	snprintf(path, sizeof(path), "/local/domain/%lu/data/x", other);
	rc = xenbus_write(XBT_NIL, path, "1");
	if (rc != -XEN_EACCES)
		FAIL("writing %s gave %d (%s), want EACCES\n", path, rc, errname(rc));
	printk("xsguest: writing %s refused: %s\n", path, errname(rc));

	snprintf(path, sizeof(path), "/local/domain/%lu/name", other);
	rc = xenbus_read(XBT_NIL, path, buf, sizeof(buf));
	if (rc != -XEN_EACCES)
		FAIL("reading %s gave %d (%s), want EACCES\n", path, rc, errname(rc));
	printk("xsguest: reading %s refused: %s\n", path, errname(rc));

	if (step_big_value())
		return 1;
	if (step_transaction())
		return 1;
	if (step_watch())
		return 1;
	printk("xsguest: ok\n");
	return 0;
}
