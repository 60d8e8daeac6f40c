/*
 * copier - GNTTABOP_copy against a page dom0 granted (a Go test sets it up).
 *
 * Command line: gref=<g> len=<n> (1 <= n <= 4096).
 * Dom0 granted this domain (domid 0, gref g) one page holding pattern A
 * (byte i = (i * 7 + 1) & 0xff). The copier copies its first n bytes into
 * a page of its own (source gref, dest gmfn), checks pattern A, fills its
 * page with pattern B (byte i = (i * 13 + 5) & 0xff), copies n bytes back
 * to offset 0 of dom0's page (source gmfn, dest gref), then submits a copy
 * from dom0's page at offset 4000 with length 200, which crosses the page
 * end and must fail with GNTST_bad_copy_arg. It prints
 *   copier: copied <n> bytes in and out; crossing copy gave GNTST -10
 *   copier: ok
 * and powers off; any failure prints "copier: FAIL ..." (with Xen's GNTST
 * code) and crashes.
 */
#include <guestlib/guestlib.h>

#define CROSS_OFFSET  4000
#define CROSS_LEN     200

static uint8_t page[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));

static uint8_t pattern_a(unsigned int i) { return (uint8_t)((i * 7 + 1) & 0xff); }
static uint8_t pattern_b(unsigned int i) { return (uint8_t)((i * 13 + 5) & 0xff); }

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	xen_pfn_t gmfn = (uintptr_t)page >> XEN_PAGE_SHIFT;
	struct gnttab_copy op;
	unsigned long gref, len;
	unsigned int i;
	int rc;

	if (cmdline_get_ulong(cmdline, "gref", &gref) < 0 || gref > UINT32_MAX ||
	    cmdline_get_ulong(cmdline, "len", &len) < 0 || len < 1 || len > XEN_PAGE_SIZE) {
		printk("copier: FAIL usage: gref=<ref> len=<1..4096> (cmdline \"%s\")\n", cmdline);
		return 1;
	}

	gnttab_copy_from_gref(&op, 0, (grant_ref_t)gref, 0, gmfn, 0, (uint16_t)len);
	rc = gnttab_copy(&op, 1);
	if (rc < 0) {
		printk("copier: FAIL copy in from dom0 gref %lu: %d (GNTST %d, %s)\n", gref, rc,
		       op.status, gnttab_status_str(op.status));
		return 1;
	}
	for (i = 0; i < len; i++) {
		if (page[i] != pattern_a(i)) {
			printk("copier: FAIL byte %u is 0x%02x, pattern A has 0x%02x\n", i, page[i],
			       pattern_a(i));
			return 1;
		}
	}

	for (i = 0; i < XEN_PAGE_SIZE; i++)
		page[i] = pattern_b(i);
	gnttab_copy_to_gref(&op, gmfn, 0, 0, (grant_ref_t)gref, 0, (uint16_t)len);
	rc = gnttab_copy(&op, 1);
	if (rc < 0) {
		printk("copier: FAIL copy out to dom0 gref %lu: %d (GNTST %d, %s)\n", gref, rc,
		       op.status, gnttab_status_str(op.status));
		return 1;
	}

	gnttab_copy_from_gref(&op, 0, (grant_ref_t)gref, CROSS_OFFSET, gmfn, 0, CROSS_LEN);
	rc = gnttab_copy(&op, 1);
	if (op.status != GNTST_bad_copy_arg) {
		printk("copier: FAIL crossing copy gave %d (GNTST %d), want GNTST %d\n", rc,
		       op.status, GNTST_bad_copy_arg);
		return 1;
	}
	printk("copier: copied %lu bytes in and out; crossing copy gave GNTST %d\n", len,
	       op.status);
	printk("copier: ok\n");
	return 0;
}
