/*
 * gntbench - grant-table costs from a guest, timed with pvclock: count
 * GNTTABOP_copy calls of 4 KiB from a grant of its own into another of
 * its pages (the same path a copy from a peer takes), and count map+unmap
 * pairs of that grant at a frame outside RAM. Prints
 *   gntbench: copy <n> x 4096 bytes in <ns> ns
 *   gntbench: map+unmap <n> pairs in <ns> ns
 * Command line: count=<n> (default 2000).
 */
#include <guestlib/guestlib.h>

#define MAP_ADDR 0xE0100000UL

static uint8_t src[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));
static uint8_t dst[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));

int main(const struct hvm_start_info *si)
{
	unsigned long count = 2000, i;
	struct gnttab_copy op;
	grant_handle_t handle;
	grant_ref_t ref;
	domid_t self;
	uint64_t t0, t1;
	int rc;

	cmdline_get_ulong(start_info_cmdline(si), "count", &count);
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc == 0)
		rc = init_grant();
	if (rc == 0)
		rc = xen_domid(&self);
	if (rc == 0)
		rc = gnttab_grant_access(self, (uintptr_t)src >> XEN_PAGE_SHIFT, 0, &ref);
	if (rc < 0) {
		printk("gntbench: FAIL set-up: %d\n", rc);
		return 1;
	}
	for (i = 0; i < XEN_PAGE_SIZE; i++)
		src[i] = (uint8_t)i;
	t0 = monotonic_ns();
	for (i = 0; i < count; i++) {
		gnttab_copy_from_gref(&op, self, ref, 0, (uintptr_t)dst >> XEN_PAGE_SHIFT, 0, XEN_PAGE_SIZE);
		rc = gnttab_copy(&op, 1);
		if (rc < 0 || op.status != GNTST_okay) {
			printk("gntbench: FAIL copy %lu: %d status %d\n", i, rc, op.status);
			return 1;
		}
	}
	t1 = monotonic_ns();
	if (memcmp(src, dst, XEN_PAGE_SIZE)) {
		printk("gntbench: FAIL copied data differs\n");
		return 1;
	}
	printk("gntbench: copy %lu x 4096 bytes in %lu ns\n", count, (unsigned long)(t1 - t0));
	t0 = monotonic_ns();
	for (i = 0; i < count; i++) {
		int16_t st;

		rc = gnttab_map(self, ref, MAP_ADDR, 1, &handle, &st);
		if (rc == 0)
			rc = gnttab_unmap(handle, MAP_ADDR, &st);
		if (rc < 0) {
			printk("gntbench: FAIL map/unmap %lu: %d (GNTST %d)\n", i, rc, st);
			return 1;
		}
	}
	t1 = monotonic_ns();
	printk("gntbench: map+unmap %lu pairs in %lu ns\n", count, (unsigned long)(t1 - t0));
	return gnttab_end_access(ref) < 0;
}
