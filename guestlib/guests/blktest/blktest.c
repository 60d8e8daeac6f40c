/*
 * blktest - data integrity over the PV block front end (<guestlib/blkfront.h>).
 *
 * Command line: devid=<n> (default 51712 = xvda) mib=<n> (default 8)
 * segs=<n> (blkfront_max_indirect_segments(): default 32, 11 for direct
 * requests only).
 *
 * Pattern: the byte at disk offset o (bytes from the start of the disk,
 * 0 <= o < mib * 1 MiB) is
 *	(o*31 + (o>>12)*7 + 1) & 0xff
 * so after a run the first mib MiB of the image have a known sha256; in Go:
 *	for o := range img { img[o] = byte(o*31 + (o>>12)*7 + 1) }
 * (the rest of the image is untouched).
 *
 * Steps: connect (blkfront_init), print
 *	blktest: vbd <devid>: <sectors> sectors of <size> bytes, backend <domid>, flush-cache <0|1> barrier <0|1> discard <0|1> persistent <0|1> segments <s>
 * write the pattern over the first mib MiB from start to end in calls of
 * 1, 8, 9, 88, 265 and 4097 sectors in turn (512 B, 4 KiB, 4.5 KiB,
 * 44 KiB = one full 11-segment request, 132.5 KiB = just over one full
 * 32-segment indirect request, 2 MiB + 512 B = more direct requests than the
 * 32-entry ring holds), so most calls start at sectors
 * that are not 4 KiB aligned, from buffers misaligned by 0, 1, 8 and 513
 * bytes in turn; flush; read it all back with the lengths shifted by two
 * places (9, 88, 265, 4097, 1, 8, ...), so read and write boundaries
 * differ, and verify each call's data; print
 *	blktest: wrote and verified <n> MiB in <k> requests (<j> indirect); flush ok
 * where k counts the blkif read and write requests on the ring (not the
 * flush) and j those that were BLKIF_OP_INDIRECT; disconnect (blkfront_fini) and power off. Any failure prints
 * one line and crashes:
 *	blktest: FAIL <function>: <errno>
 *	blktest: FAIL verify at offset <o>: got 0x<b> want 0x<b>
 *	blktest: FAIL disk has <s> sectors, need <t>
 */
#include <guestlib/guestlib.h>

#define DEFAULT_DEVID 51712 /* xvda: 202 << 8 */
#define DEFAULT_MIB   8
#define SECTOR	      BLKFRONT_SECTOR_SIZE
#define SECTORS_PER_MIB (1024 * 1024 / SECTOR)

static const unsigned int lengths[] = { 1, 8, 9, 88, 265, 4097 }; /* sectors */
static const unsigned int misalign[] = { 0, 1, 8, 513 };	  /* buffer offset, bytes */
#define NR_LENGTHS  (sizeof(lengths) / sizeof(lengths[0]))
#define NR_MISALIGN (sizeof(misalign) / sizeof(misalign[0]))
#define MAX_LENGTH  4097
#define BUF_SIZE    (MAX_LENGTH * SECTOR + 1024)

static uint8_t buf[BUF_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));

/*
 * The pattern, 8 bytes at a time (guest code is emulated): within 4 KiB
 * block p the byte at offset i is (i*31 + p*7 + 1) & 0xff (4096*31 is a
 * multiple of 256), which repeats every 256 bytes. row[] holds those 256
 * bytes for the block last asked for.
 */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_unaligned;

#define BYTES_01 0x0101010101010101ULL
#define BYTES_7F 0x7f7f7f7f7f7f7f7fULL
#define BYTES_80 0x8080808080808080ULL

static uint64_t row[32];
static uint64_t row_block = UINT64_MAX;

static const uint64_t *pattern_row(uint64_t block)
{
	uint64_t add = ((block * 7 + 1) & 0xff) * BYTES_01, base;
	unsigned int w, j;

	if (block == row_block)
		return row;
	for (w = 0; w < 32; w++) {
		base = 0;
		for (j = 0; j < 8; j++)
			base |= (uint64_t)(((w * 8 + j) * 31) & 0xff) << (8 * j);
		/* bytewise add without carries between bytes */
		row[w] = ((base & BYTES_7F) + (add & BYTES_7F)) ^ ((base ^ add) & BYTES_80);
	}
	row_block = block;
	return row;
}

static uint8_t pattern_byte(uint64_t o)
{
	return (uint8_t)((o * 31 + (o >> 12) * 7 + 1) & 0xff);
}

/* Fill p with the pattern of disk bytes [off, off + len); both multiples of 8. */
static void fill(void *p, uint64_t off, uint64_t len)
{
	u64_unaligned *d = p;
	uint64_t end = off + len, stop;
	const uint64_t *r;

	while (off < end) {
		r = pattern_row(off >> 12);
		stop = ((off >> 12) + 1) << 12;
		if (stop > end)
			stop = end;
		for (; off < stop; off += 8)
			*d++ = r[(off >> 3) & 31];
	}
}

/* Check p against the pattern; the first bad disk offset, or UINT64_MAX. */
static uint64_t verify(const void *p, uint64_t off, uint64_t len)
{
	const u64_unaligned *s = p;
	uint64_t end = off + len, stop, got, want;
	const uint64_t *r;
	unsigned int j;

	while (off < end) {
		r = pattern_row(off >> 12);
		stop = ((off >> 12) + 1) << 12;
		if (stop > end)
			stop = end;
		for (; off < stop; off += 8, s++) {
			got = *s;
			want = r[(off >> 3) & 31];
			if (got == want)
				continue;
			for (j = 0; j < 8; j++)
				if (((got ^ want) >> (8 * j)) & 0xff)
					return off + j;
		}
	}
	return UINT64_MAX;
}

#define FAIL_RC(fn, rc)                                         \
	do {                                                    \
		printk("blktest: FAIL %s: %d\n", fn, (int)(rc)); \
		return 1;                                       \
	} while (0)

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long devid = DEFAULT_DEVID, mib = DEFAULT_MIB, segs;
	struct blkfront_info info;
	uint64_t total, sector, n, bad, r0, r1, r2;
	unsigned int i;
	uint8_t *p;
	int rc;

	rc = cmdline_get_ulong(cmdline, "devid", &devid);
	if (rc < 0 && rc != -XEN_ENOENT)
		FAIL_RC("devid=", rc);
	rc = cmdline_get_ulong(cmdline, "mib", &mib);
	if (rc < 0 && rc != -XEN_ENOENT)
		FAIL_RC("mib=", rc);
	rc = cmdline_get_ulong(cmdline, "segs", &segs);
	if (rc == 0)
		rc = blkfront_max_indirect_segments((unsigned int)segs);
	if (rc < 0 && rc != -XEN_ENOENT)
		FAIL_RC("segs=", rc);

	if ((rc = init_events()) < 0)
		FAIL_RC("init_events", rc);
	if ((rc = init_time()) < 0)
		FAIL_RC("init_time", rc);
	if ((rc = init_xenbus()) < 0)
		FAIL_RC("init_xenbus", rc);
	if ((rc = blkfront_init((unsigned int)devid)) < 0)
		FAIL_RC("blkfront_init", rc);
	if ((rc = blkfront_info(&info)) < 0)
		FAIL_RC("blkfront_info", rc);
	printk("blktest: vbd %u: %llu sectors of %u bytes, backend %u, flush-cache %d barrier %d "
	       "discard %d persistent %d segments %u\n",
	       info.devid, (unsigned long long)info.sectors, info.sector_size,
	       (unsigned int)info.backend_id, info.feature_flush_cache, info.feature_barrier,
	       info.feature_discard, info.feature_persistent, info.segments_per_request);

	total = (uint64_t)mib * SECTORS_PER_MIB;
	if (info.sectors < total) {
		printk("blktest: FAIL disk has %llu sectors, need %llu\n",
		       (unsigned long long)info.sectors, (unsigned long long)total);
		return 1;
	}

	r0 = info.requests;
	for (sector = 0, i = 0; sector < total; sector += n, i++) {
		n = lengths[i % NR_LENGTHS];
		if (n > total - sector)
			n = total - sector;
		p = buf + misalign[i % NR_MISALIGN];
		fill(p, sector * SECTOR, n * SECTOR);
		rc = blkfront_write(sector, p, n);
		if (rc < 0)
			FAIL_RC("blkfront_write", rc);
	}
	blkfront_info(&info);
	r1 = info.requests;

	rc = blkfront_flush();
	if (rc < 0)
		FAIL_RC("blkfront_flush", rc);
	blkfront_info(&info);
	r2 = info.requests;

	for (sector = 0, i = 0; sector < total; sector += n, i++) {
		n = lengths[(i + 2) % NR_LENGTHS];
		if (n > total - sector)
			n = total - sector;
		p = buf + misalign[i % NR_MISALIGN];
		rc = blkfront_read(sector, p, n);
		if (rc < 0)
			FAIL_RC("blkfront_read", rc);
		bad = verify(p, sector * SECTOR, n * SECTOR);
		if (bad != UINT64_MAX) {
			printk("blktest: FAIL verify at offset %llu: got 0x%02x want 0x%02x\n",
			       (unsigned long long)bad, p[bad - sector * SECTOR], pattern_byte(bad));
			return 1;
		}
	}
	blkfront_info(&info);

	printk("blktest: wrote and verified %lu MiB in %llu requests (%llu indirect); flush ok\n", mib,
	       (unsigned long long)((r1 - r0) + (info.requests - r2)),
	       (unsigned long long)info.indirect_requests);
	rc = blkfront_fini();
	if (rc < 0)
		FAIL_RC("blkfront_fini", rc);
	return 0;
}
