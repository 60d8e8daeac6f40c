/*
 * smp - brings up vCPU 1 and ping-pongs IPIs (EVTCHNOP_bind_ipi ports)
 * between vCPU 0 and vCPU 1.
 *
 * Command line: ipis=<n> (default 1000).
 * vCPU 0 binds an IPI port on itself and starts vCPU 1 (VCPUOP_initialise,
 * VCPUOP_up), which binds an IPI port on itself and signals vCPU 0's port;
 * vCPU 0 then prints
 *   smp: vcpu 1 up
 * and sends n IPIs to vCPU 1, each time waiting (1 s timeout) for the
 * acknowledging IPI that vCPU 1's handler sends back, so n IPIs flow each
 * way. Prints
 *   smp: <n> IPIs 0->1 and <n> 1->0: ok
 * (the counts each side's handler saw) and powers off; on a mismatch,
 * timeout or error, the same line ends in "FAIL (...)" and the domain
 * crashes.
 */
#include <guestlib/guestlib.h>

#define DEFAULT_IPIS	 1000
#define UP_TIMEOUT_NS	 (5 * NS_PER_SEC)
#define ACK_TIMEOUT_NS	 NS_PER_SEC

struct smp_test {
	evtchn_port_t port0;		/* IPI port on vCPU 0 */
	evtchn_port_t port1;		/* IPI port on vCPU 1, set by vCPU 1 */
	volatile int vcpu1_status;	/* 1 ready, negative errno: bind failed */
	volatile unsigned long rx0;	/* IPIs vCPU 0's handler saw */
	volatile unsigned long rx1;	/* IPIs vCPU 1's handler saw */
	volatile unsigned long tx1;	/* acknowledgements vCPU 1 sent */
	volatile int tx1_error;
};

static struct smp_test t;

static void on_ipi0(evtchn_port_t port, void *data)
{
	struct smp_test *s = data;

	(void)port;
	s->rx0++;
}

static void on_ipi1(evtchn_port_t port, void *data)
{
	struct smp_test *s = data;
	int rc;

	(void)port;
	s->rx1++;
	rc = evtchn_notify(s->port0);
	if (rc == 0)
		s->tx1++;
	else
		s->tx1_error = rc;
}

static int rx0_reached(void *arg)
{
	return t.rx0 >= *(const unsigned long *)arg;
}

/* vCPU 1: bind, report, then serve IPIs from the handler forever. */
static void vcpu1_main(void *arg)
{
	struct smp_test *s = arg;
	evtchn_port_t port;
	int rc;

	rc = evtchn_bind_ipi(smp_cpu_id(), on_ipi1, s, &port);
	if (rc == 0)
		s->port1 = port;
	wmb();
	s->vcpu1_status = rc == 0 ? 1 : rc;
	evtchn_notify(s->port0);
	for (;;)
		events_wait(NULL, NULL);
}

int main(const struct hvm_start_info *si)
{
	unsigned long n = DEFAULT_IPIS, i, one = 1;
	int rc, failed = 0;

	rc = cmdline_get_ulong(start_info_cmdline(si), "ipis", &n);
	if (rc < 0 && rc != -XEN_ENOENT) {
		printk("smp: usage: ipis=<n>\n");
		return 1;
	}
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc == 0)
		rc = evtchn_bind_ipi(0, on_ipi0, &t, &t.port0);
	if (rc < 0) {
		printk("smp: event set-up failed: %d\n", rc);
		return 1;
	}

	rc = smp_start_vcpu(1, vcpu1_main, &t);
	if (rc < 0) {
		printk("smp: starting vcpu 1 failed: %d\n", rc);
		return 1;
	}
	rc = wait_until_ns(rx0_reached, &one, monotonic_ns() + UP_TIMEOUT_NS);
	if (rc < 0 || t.vcpu1_status != 1) {
		printk("smp: vcpu 1 did not come up: wait %d, vcpu 1 status %d\n", rc,
		       t.vcpu1_status);
		return 1;
	}
	t.rx0 = 0; /* vCPU 1 sends nothing more until it gets an IPI */
	printk("smp: vcpu 1 up\n");

	for (i = 1; i <= n; i++) {
		rc = evtchn_notify(t.port1);
		if (rc == 0)
			rc = wait_until_ns(rx0_reached, &i, monotonic_ns() + ACK_TIMEOUT_NS);
		if (rc < 0) {
			failed = 1;
			break;
		}
	}
	if (failed || t.rx1 != n || t.tx1 != n || t.rx0 != n || t.tx1_error) {
		printk("smp: %lu IPIs 0->1 and %lu 1->0: FAIL (want %lu each way; "
		       "round %lu: %d, vcpu 1 sent %lu, send error %d)\n",
		       t.rx1, t.rx0, n, i, rc, t.tx1, t.tx1_error);
		return 1;
	}
	printk("smp: %lu IPIs 0->1 and %lu 1->0: ok\n", t.rx1, t.rx0);
	return 0;
}
