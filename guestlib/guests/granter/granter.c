/*
 * granter - the granting end of the grant-table test (see mapper).
 *
 * Command line: remote_domid=<d>.
 * Fills a page of its BSS with pattern A (byte i = (i * 7 + 1) & 0xff),
 * grants it read-write to domain d (the first grant of a fresh domain:
 * ref 8), offers d a port (alloc_unbound before anything else binds one:
 * port 3), and prints
 *   granter: granted gref <ref> on port <port> to domain <d>
 * The mapper maps the page, writes pattern B (byte i = (i * 13 + 5) & 0xff)
 * and notifies. The granter then checks pattern B, checks that
 * gnttab_end_access() answers -EBUSY while the page is mapped, and
 * notifies back (the mapper unmaps only after that, so the check cannot
 * race with the unmap). After the mapper's second event (everything
 * unmapped) gnttab_end_access() must succeed. It prints
 *   granter: mapper wrote pattern B; end_access busy while mapped, ok after unmap
 *   granter: ok
 * and powers off; any failure prints "granter: FAIL ..." and crashes.
 * Each wait gives up after 30 s.
 */
#include <guestlib/guestlib.h>

#define WAIT_NS	   (30 * NS_PER_SEC)

static uint8_t page[XEN_PAGE_SIZE] __attribute__((aligned(XEN_PAGE_SIZE)));
static volatile unsigned long events; /* written by on_event (vCPU 0) */

static uint8_t pattern_a(unsigned int i) { return (uint8_t)((i * 7 + 1) & 0xff); }
static uint8_t pattern_b(unsigned int i) { return (uint8_t)((i * 13 + 5) & 0xff); }

static void on_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	events++;
}

static int got_events(void *arg)
{
	return events >= *(const unsigned long *)arg;
}

static int wait_events(unsigned long n)
{
	return wait_until_ns(got_events, &n, monotonic_ns() + WAIT_NS);
}

/* First byte that differs from pattern b (0 = A, 1 = B), or -1. */
static int check_page(int b)
{
	unsigned int i;

	for (i = 0; i < XEN_PAGE_SIZE; i++)
		if (((volatile uint8_t *)page)[i] != (b ? pattern_b(i) : pattern_a(i)))
			return (int)i;
	return -1;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long remote;
	evtchn_port_t port;
	grant_ref_t ref;
	unsigned int i;
	int rc, bad;

	if (cmdline_get_ulong(cmdline, "remote_domid", &remote) < 0 ||
	    remote >= DOMID_FIRST_RESERVED) {
		printk("granter: FAIL usage: remote_domid=<domid> (cmdline \"%s\")\n", cmdline);
		return 1;
	}
	for (i = 0; i < XEN_PAGE_SIZE; i++)
		page[i] = pattern_a(i);

	rc = init_events();
	if (rc == 0)
		rc = init_grant();
	if (rc < 0) {
		printk("granter: FAIL set-up: %d\n", rc);
		return 1;
	}
	rc = gnttab_grant_access((domid_t)remote, (uintptr_t)page >> XEN_PAGE_SHIFT, 0, &ref);
	if (rc < 0) {
		printk("granter: FAIL grant_access: %d\n", rc);
		return 1;
	}
	/* Before init_time(), so a fresh domain offers port 3 (1 and 2 are the
	 * xenstore and console ports). */
	rc = evtchn_alloc_unbound((domid_t)remote, on_event, NULL, &port);
	if (rc == 0)
		rc = init_time();
	if (rc < 0) {
		printk("granter: FAIL port or timer: %d\n", rc);
		return 1;
	}
	printk("granter: granted gref %u on port %u to domain %lu\n", ref, port, remote);

	rc = wait_events(1);
	if (rc < 0) {
		printk("granter: FAIL no event from the mapper: %d\n", rc);
		return 1;
	}
	bad = check_page(1);
	if (bad >= 0) {
		printk("granter: FAIL byte %d is 0x%02x, pattern B has 0x%02x\n", bad,
		       page[bad], pattern_b(bad));
		return 1;
	}
	rc = gnttab_end_access(ref);
	if (rc != -XEN_EBUSY) {
		printk("granter: FAIL end_access while mapped gave %d, want %d (EBUSY)\n", rc,
		       -XEN_EBUSY);
		return 1;
	}
	rc = evtchn_notify(port); /* the mapper may unmap now */
	if (rc == 0)
		rc = wait_events(2);
	if (rc < 0) {
		printk("granter: FAIL no second event from the mapper: %d\n", rc);
		return 1;
	}
	rc = gnttab_end_access(ref);
	if (rc < 0) {
		printk("granter: FAIL end_access after unmap: %d\n", rc);
		return 1;
	}
	printk("granter: mapper wrote pattern B; end_access busy while mapped, ok after unmap\n");
	printk("granter: ok\n");
	return 0;
}
