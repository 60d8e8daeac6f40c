/*
 * pong - the passive end of the interdomain event-channel test (see ping).
 *
 * Command line: remote_domid=<d> count=<n>.
 * Offers a port to domain d (EVTCHNOP_alloc_unbound), prints
 *   pong: offering port <p> to domain <d>
 * and answers every event on it with a send, from the handler. After n
 * events it prints
 *   pong: received <n> sent <n>
 * and powers off. If nothing arrives for 30 s it prints the counts with
 * "timed out" and crashes.
 */
#include <guestlib/guestlib.h>

#define IDLE_TIMEOUT_NS (30 * NS_PER_SEC)

struct pong {
	evtchn_port_t port;
	unsigned long count;
	volatile unsigned long received; /* written by on_event (vCPU 0) */
	volatile unsigned long sent;
	volatile int send_error;
};

static struct pong st;

static void on_event(evtchn_port_t port, void *data)
{
	struct pong *p = data;
	int rc;

	p->received++;
	rc = evtchn_notify(port);
	if (rc == 0)
		p->sent++;
	else
		p->send_error = rc;
}

static int all_received(void *arg)
{
	const struct pong *p = arg;

	return p->received >= p->count;
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long remote, seen;
	int rc;

	if (cmdline_get_ulong(cmdline, "remote_domid", &remote) < 0 ||
	    remote >= DOMID_FIRST_RESERVED ||
	    cmdline_get_ulong(cmdline, "count", &st.count) < 0) {
		printk("pong: usage: remote_domid=<domid> count=<n> (cmdline \"%s\")\n",
		       cmdline);
		return 1;
	}
	rc = init_events();
	if (rc < 0) {
		printk("pong: event set-up failed: %d\n", rc);
		return 1;
	}
	/* Before init_time(), so a fresh domain offers port 3 (lowest free first;
	 * ports 1 and 2 are the xenstore and console ports). */
	rc = evtchn_alloc_unbound((domid_t)remote, on_event, &st, &st.port);
	if (rc < 0) {
		printk("pong: alloc_unbound for domain %lu failed: %d\n", remote, rc);
		return 1;
	}
	printk("pong: offering port %u to domain %lu\n", st.port, remote);
	rc = init_time();
	if (rc < 0) {
		printk("pong: time set-up failed: %d\n", rc);
		return 1;
	}

	do {
		seen = st.received;
		rc = wait_until_ns(all_received, &st, monotonic_ns() + IDLE_TIMEOUT_NS);
	} while (rc == -XEN_ETIMEDOUT && st.received != seen);

	if (rc < 0 || st.send_error) {
		printk("pong: received %lu sent %lu: %s (%d, send %d)\n", st.received,
		       st.sent, rc == -XEN_ETIMEDOUT ? "timed out" : "FAIL", rc,
		       st.send_error);
		return 1;
	}
	printk("pong: received %lu sent %lu\n", st.received, st.sent);
	return 0;
}
