/*
 * xsbench - xenstore operations over the guest ring, timed with pvclock:
 * count writes then count reads of ~/data/bench. Prints
 *   xsbench: <n> writes in <ns> ns, <n> reads in <ns> ns
 * Command line: count=<n> (default 1000).
 */
#include <guestlib/guestlib.h>

int main(const struct hvm_start_info *si)
{
	unsigned long count = 1000, i;
	char buf[32];
	uint64_t t0, t1, t2;
	int rc;

	cmdline_get_ulong(start_info_cmdline(si), "count", &count);
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc == 0)
		rc = init_xenbus();
	if (rc < 0) {
		printk("xsbench: FAIL set-up: %d\n", rc);
		return 1;
	}
	t0 = monotonic_ns();
	for (i = 0; i < count; i++) {
		rc = xenbus_write(XBT_NIL, "data/bench", "0123456789abcdef");
		if (rc < 0) {
			printk("xsbench: FAIL write %lu: %d\n", i, rc);
			return 1;
		}
	}
	t1 = monotonic_ns();
	for (i = 0; i < count; i++) {
		rc = xenbus_read(XBT_NIL, "data/bench", buf, sizeof(buf));
		if (rc != 16) {
			printk("xsbench: FAIL read %lu: %d\n", i, rc);
			return 1;
		}
	}
	t2 = monotonic_ns();
	printk("xsbench: %lu writes in %lu ns, %lu reads in %lu ns\n", count,
	       (unsigned long)(t1 - t0), count, (unsigned long)(t2 - t1));
	return 0;
}
