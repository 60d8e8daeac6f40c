/*
 * flood - one-way event-channel throughput between two domains.
 *
 *   role=recv remote_domid=<d>            offers port 3 to domain d, counts
 *                                         events on it until none arrive for
 *                                         200 ms, then prints
 *     flood: received <n> upcalls in <ns> ns
 *                                         (n includes the one notification the
 *                                         sender's bind raises)
 *   role=send remote_domid=<d> remote_port=<p> count=<n>
 *                                         binds to d:p and sends n notifications
 *                                         back to back, then prints
 *     flood: sent <n> in <ns> ns
 *
 * Notifications coalesce in the pending bit while the receiver is busy, so
 * the receiver sees at most as many events as were sent. A saturated
 * receiver stays in its upcall handler while the flood lasts, so main()
 * only reads the counters; it never resets them.
 */
#include <guestlib/guestlib.h>

#define QUIET_NS (200 * 1000 * 1000ULL)
#define START_TIMEOUT_NS (30 * NS_PER_SEC)

static volatile unsigned long received;
static volatile uint64_t first_ns, last_ns;

static void on_event(evtchn_port_t port, void *data)
{
	uint64_t now = monotonic_ns();

	(void)port;
	(void)data;
	if (received++ == 0)
		first_ns = now;
	last_ns = now;
}

static int changed(void *arg)
{
	return received != *(unsigned long *)arg;
}

static int receive(unsigned long remote)
{
	evtchn_port_t port;
	unsigned long seen;
	int rc;

	rc = evtchn_alloc_unbound((domid_t)remote, on_event, NULL, &port);
	if (rc == 0)
		rc = init_time();
	if (rc < 0) {
		printk("flood: receiver set-up failed: %d\n", rc);
		return 1;
	}
	printk("flood: offering port %u to domain %lu\n", port, remote);
	do {
		seen = received;
		wait_until_ns(changed, &seen, monotonic_ns() + (seen ? QUIET_NS : START_TIMEOUT_NS));
	} while (received != seen);
	printk("flood: received %lu upcalls in %lu ns\n", received,
	       (unsigned long)(last_ns - first_ns));
	return received ? 0 : 1;
}

static int send(unsigned long remote, unsigned long remote_port, unsigned long count)
{
	evtchn_port_t port;
	uint64_t t0;
	unsigned long i;
	int rc;

	rc = init_time();
	if (rc < 0)
		return 1;
	rc = evtchn_bind_interdomain_retry((domid_t)remote, (evtchn_port_t)remote_port, NULL,
					   NULL, &port, 10 * NS_PER_SEC);
	if (rc < 0) {
		printk("flood: bind to %lu:%lu failed: %d\n", remote, remote_port, rc);
		return 1;
	}
	t0 = monotonic_ns();
	for (i = 0; i < count; i++) {
		rc = evtchn_notify(port);
		if (rc < 0) {
			printk("flood: send %lu failed: %d\n", i, rc);
			return 1;
		}
	}
	printk("flood: sent %lu in %lu ns\n", count, (unsigned long)(monotonic_ns() - t0));
	return 0;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long remote, remote_port = 1, count = 10000;
	char role[8];
	int rc;

	if (cmdline_get(cmdline, "role", role, sizeof(role)) < 0 ||
	    cmdline_get_ulong(cmdline, "remote_domid", &remote) < 0) {
		printk("flood: usage: role=send|recv remote_domid=<d> [remote_port=<p>] [count=<n>]\n");
		return 1;
	}
	cmdline_get_ulong(cmdline, "remote_port", &remote_port);
	cmdline_get_ulong(cmdline, "count", &count);
	rc = init_events();
	if (rc < 0) {
		printk("flood: event set-up failed: %d\n", rc);
		return 1;
	}
	if (!strcmp(role, "recv"))
		return receive(remote);
	return send(remote, remote_port, count);
}
