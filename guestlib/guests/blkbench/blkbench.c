/*
 * blkbench - PV block throughput from a guest, timed with pvclock:
 * sequential writes then reads of mib MiB in 128 KiB calls (one full
 * 32-segment indirect request each, or three direct ones with segs=11),
 * then count random 4 KiB reads and writes at page-aligned offsets in
 * that range. Prints
 *   blkbench: segments <S>
 *   blkbench: seq-write <bytes> bytes in <ns> ns
 *   blkbench: seq-read <bytes> bytes in <ns> ns
 *   blkbench: rand-read <n> x 4096 in <ns> ns
 *   blkbench: rand-write <n> x 4096 in <ns> ns
 * Command line: devid=<n> (default 51712, xvda) mib=<n> (default 4)
 * count=<n> (default 500) segs=<n> (blkfront_max_indirect_segments(),
 * default 32; 11 for direct requests only).
 */
#include <guestlib/guestlib.h>

#define SEQ_SECTORS 256 /* 128 KiB: 32 segments of 4 KiB */

static uint8_t buf[SEQ_SECTORS * 512] __attribute__((aligned(XEN_PAGE_SIZE)));

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long devid = 51712, mib = 4, count = 500, segs = 32, i;
	struct blkfront_info info;
	uint64_t sectors, s, seed = 1, t0;
	int rc;

	cmdline_get_ulong(cmdline, "devid", &devid);
	cmdline_get_ulong(cmdline, "mib", &mib);
	cmdline_get_ulong(cmdline, "count", &count);
	cmdline_get_ulong(cmdline, "segs", &segs);
	if ((rc = blkfront_max_indirect_segments((unsigned int)segs)) < 0 || (rc = init_events()) < 0 ||
	    (rc = init_time()) < 0 || (rc = init_xenbus()) < 0 ||
	    (rc = blkfront_init((unsigned int)devid)) < 0) {
		printk("blkbench: FAIL set-up: %d\n", rc);
		return 1;
	}
	blkfront_info(&info);
	printk("blkbench: segments %u\n", info.segments_per_request);
	sectors = (uint64_t)mib << 11;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;

	t0 = monotonic_ns();
	for (s = 0; s + SEQ_SECTORS <= sectors; s += SEQ_SECTORS)
		if ((rc = blkfront_write(s, buf, SEQ_SECTORS)) < 0)
			goto fail;
	if ((rc = blkfront_flush()) < 0 && rc != -XEN_EOPNOTSUPP)
		goto fail;
	printk("blkbench: seq-write %lu bytes in %lu ns\n", (unsigned long)(s * 512),
	       (unsigned long)(monotonic_ns() - t0));

	t0 = monotonic_ns();
	for (s = 0; s + SEQ_SECTORS <= sectors; s += SEQ_SECTORS)
		if ((rc = blkfront_read(s, buf, SEQ_SECTORS)) < 0)
			goto fail;
	printk("blkbench: seq-read %lu bytes in %lu ns\n", (unsigned long)(s * 512),
	       (unsigned long)(monotonic_ns() - t0));

	t0 = monotonic_ns();
	for (i = 0; i < count; i++)
		if ((rc = blkfront_read((lcg(&seed) % (sectors / 8)) * 8, buf, 8)) < 0)
			goto fail;
	printk("blkbench: rand-read %lu x 4096 in %lu ns\n", count, (unsigned long)(monotonic_ns() - t0));

	t0 = monotonic_ns();
	for (i = 0; i < count; i++)
		if ((rc = blkfront_write((lcg(&seed) % (sectors / 8)) * 8, buf, 8)) < 0)
			goto fail;
	printk("blkbench: rand-write %lu x 4096 in %lu ns\n", count, (unsigned long)(monotonic_ns() - t0));
	return blkfront_fini() < 0;
fail:
	printk("blkbench: FAIL I/O: %d\n", rc);
	return 1;
}
