/*
 * mapper - the mapping end of the grant-table test (see granter).
 *
 * Command line: remote_domid=<d> gref=<g> remote_port=<p>.
 * Binds to port p of domain d (retried every 10 ms for up to 10 s while
 * the granter has not offered it), maps d's grant g read-write at
 * guest-physical MAP_ADDR (outside RAM) and prints
 *   mapper: mapped gref <g> of domain <d> at 0x<addr>
 * It checks pattern A (byte i = (i * 7 + 1) & 0xff), writes pattern B
 * (byte i = (i * 13 + 5) & 0xff) and notifies. Then it maps gref g+100,
 * which the granter never filled in, and prints Xen's status
 *   mapping gref <g+100> failed with GNTST <n>
 * (GNTST_general_error, -1, is required), maps g again read-only (must
 * work; it must show pattern B) and unmaps that. It waits for the
 * granter's reply event (sent once it has seen end_access refused while
 * the page is mapped), unmaps the first mapping, notifies again and prints
 *   mapper: ok
 * Any failure prints "mapper: FAIL ..." and crashes.
 */
#include <guestlib/guestlib.h>

#define MAP_ADDR	GUESTLIB_GRANT_MAP_GPA
#define MAP_ADDR_RO	(GUESTLIB_GRANT_MAP_GPA + XEN_PAGE_SIZE)
#define WRONG_GREF_DELTA 100
#define BIND_TIMEOUT_NS (10 * NS_PER_SEC)
#define WAIT_NS		(30 * NS_PER_SEC)

static volatile unsigned long events; /* written by on_event (vCPU 0) */

static uint8_t pattern_a(unsigned int i) { return (uint8_t)((i * 7 + 1) & 0xff); }
static uint8_t pattern_b(unsigned int i) { return (uint8_t)((i * 13 + 5) & 0xff); }

static void on_event(evtchn_port_t port, void *data)
{
	(void)port;
	(void)data;
	events++;
}

static int got_event(void *arg)
{
	(void)arg;
	return events > 0;
}

static int bind(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port)
{
	unsigned long flags;
	int rc;

	rc = evtchn_bind_interdomain_retry(remote, remote_port, on_event, NULL, port,
					   BIND_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	/* bind_interdomain marks the new port pending: drop that event. */
	flags = arch_irq_save();
	evtchn_mask(*port);
	evtchn_clear(*port);
	events = 0;
	arch_irq_restore(flags);
	return evtchn_unmask(*port);
}

/* First byte of the page at addr that differs from pattern b (0 = A, 1 = B), or -1. */
static int check_page(uintptr_t addr, int b)
{
	const volatile uint8_t *p = (const volatile uint8_t *)addr;
	unsigned int i;

	for (i = 0; i < XEN_PAGE_SIZE; i++)
		if (p[i] != (b ? pattern_b(i) : pattern_a(i)))
			return (int)i;
	return -1;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long remote, gref, remote_port;
	grant_handle_t handle, handle_ro, wrong_handle;
	volatile uint8_t *p = (volatile uint8_t *)MAP_ADDR;
	evtchn_port_t port;
	int16_t st;
	unsigned int i;
	int rc, bad;

	if (cmdline_get_ulong(cmdline, "remote_domid", &remote) < 0 ||
	    remote >= DOMID_FIRST_RESERVED ||
	    cmdline_get_ulong(cmdline, "gref", &gref) < 0 || gref > UINT32_MAX - WRONG_GREF_DELTA ||
	    cmdline_get_ulong(cmdline, "remote_port", &remote_port) < 0 ||
	    remote_port > UINT32_MAX) {
		printk("mapper: FAIL usage: remote_domid=<domid> gref=<ref> remote_port=<port> (cmdline \"%s\")\n",
		       cmdline);
		return 1;
	}
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc < 0) {
		printk("mapper: FAIL set-up: %d\n", rc);
		return 1;
	}
	rc = bind((domid_t)remote, (evtchn_port_t)remote_port, &port);
	if (rc < 0) {
		printk("mapper: FAIL bind to domain %lu port %lu: %d\n", remote, remote_port, rc);
		return 1;
	}

	rc = gnttab_map((domid_t)remote, (grant_ref_t)gref, MAP_ADDR, 0, &handle, &st);
	if (rc < 0) {
		printk("mapper: FAIL mapping gref %lu of domain %lu: %d (GNTST %d, %s)\n", gref,
		       remote, rc, st, gnttab_status_str(st));
		return 1;
	}
	printk("mapper: mapped gref %lu of domain %lu at 0x%lx\n", gref, remote,
	       (unsigned long)MAP_ADDR);
	bad = check_page(MAP_ADDR, 0);
	if (bad >= 0) {
		printk("mapper: FAIL byte %d is 0x%02x, pattern A has 0x%02x\n", bad, p[bad],
		       pattern_a(bad));
		return 1;
	}
	for (i = 0; i < XEN_PAGE_SIZE; i++)
		p[i] = pattern_b(i);
	rc = evtchn_notify(port);
	if (rc < 0) {
		printk("mapper: FAIL notify: %d\n", rc);
		return 1;
	}

	rc = gnttab_map((domid_t)remote, (grant_ref_t)(gref + WRONG_GREF_DELTA), MAP_ADDR_RO, 0,
			&wrong_handle, &st);
	if (rc == 0 || st != GNTST_general_error) {
		printk("mapper: FAIL mapping gref %lu gave %d (GNTST %d), want GNTST %d\n",
		       gref + WRONG_GREF_DELTA, rc, st, GNTST_general_error);
		return 1;
	}
	printk("mapper: mapping gref %lu failed with GNTST %d\n", gref + WRONG_GREF_DELTA, st);

	rc = gnttab_map((domid_t)remote, (grant_ref_t)gref, MAP_ADDR_RO, 1, &handle_ro, &st);
	if (rc < 0) {
		printk("mapper: FAIL read-only map of gref %lu: %d (GNTST %d)\n", gref, rc, st);
		return 1;
	}
	bad = check_page(MAP_ADDR_RO, 1);
	if (bad >= 0) {
		printk("mapper: FAIL read-only mapping: byte %d is not pattern B\n", bad);
		return 1;
	}
	rc = gnttab_unmap(handle_ro, MAP_ADDR_RO, &st);
	if (rc < 0) {
		printk("mapper: FAIL unmapping the read-only mapping: %d (GNTST %d)\n", rc, st);
		return 1;
	}

	/* The granter checks end_access is refused before we unmap. */
	rc = wait_until_ns(got_event, NULL, monotonic_ns() + WAIT_NS);
	if (rc < 0) {
		printk("mapper: FAIL no reply from the granter: %d\n", rc);
		return 1;
	}
	rc = gnttab_unmap(handle, MAP_ADDR, &st);
	if (rc < 0) {
		printk("mapper: FAIL unmap: %d (GNTST %d)\n", rc, st);
		return 1;
	}
	rc = evtchn_notify(port);
	if (rc < 0) {
		printk("mapper: FAIL second notify: %d\n", rc);
		return 1;
	}
	printk("mapper: ok\n");
	return 0;
}
