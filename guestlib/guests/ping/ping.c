/*
 * ping - the active end of the interdomain event-channel test (see pong).
 *
 * Command line: remote_domid=<d> remote_port=<p> count=<n>.
 * Binds to port p offered by domain d (EVTCHNOP_bind_interdomain; retried
 * every 10 ms for up to 10 s while it answers -EINVAL or -ESRCH), prints
 *   ping: bound local port <l> to domain <d> port <p>
 * then makes n round trips: send, block until the reply event (1 s timeout
 * on the one-shot timer: a timeout counts as lost), RTT from pvclock (send
 * to the reply handler). Replies beyond one per send are duplicates.
 * Percentiles come from a histogram of 1 us buckets up to 20 ms plus an
 * overflow count (sorting 10,000 values under an instruction emulator is
 * too slow); p50/p99 report the lower edge of their bucket, clamped to
 * [min, max], or max when they fall in the overflow. Prints
 *   ping: <n> round trips, <lost> lost, <dup> duplicated, rtt_ns p50 <a> p99 <b> min <c> max <d>
 * and powers off, or crashes if anything was lost or duplicated.
 */
#include <guestlib/guestlib.h>

#define BIND_TIMEOUT_NS (10 * NS_PER_SEC)
#define RTT_TIMEOUT_NS	NS_PER_SEC
#define BUCKET_NS	NS_PER_USEC
#define NR_BUCKETS	20000 /* 1 us buckets: 0 .. 20 ms */

struct ping {
	evtchn_port_t port;
	volatile unsigned long replies;	   /* written by on_reply (vCPU 0) */
	volatile uint64_t last_reply_ns;
};

struct rtt_stats {
	uint32_t bucket[NR_BUCKETS];
	unsigned long overflow, samples;
	uint64_t min, max;
};

static struct ping st;
static struct rtt_stats rtt = { .min = UINT64_MAX };

static void on_reply(evtchn_port_t port, void *data)
{
	struct ping *p = data;

	(void)port;
	p->last_reply_ns = monotonic_ns();
	p->replies++;
}

static int replied(void *arg)
{
	return st.replies >= *(const unsigned long *)arg;
}

static void rtt_add(uint64_t ns)
{
	uint64_t b = ns / BUCKET_NS;

	if (b < NR_BUCKETS)
		rtt.bucket[b]++;
	else
		rtt.overflow++;
	rtt.samples++;
	if (ns < rtt.min)
		rtt.min = ns;
	if (ns > rtt.max)
		rtt.max = ns;
}

/* Value of the sample with 1-based rank `rank` (see the header comment). */
static uint64_t rtt_rank(unsigned long rank)
{
	unsigned long seen = 0;
	uint64_t v;
	unsigned int b;

	for (b = 0; b < NR_BUCKETS; b++) {
		seen += rtt.bucket[b];
		if (seen >= rank) {
			v = (uint64_t)b * BUCKET_NS;
			return v < rtt.min ? rtt.min : v > rtt.max ? rtt.max : v;
		}
	}
	return rtt.max;
}

/* ceil(samples * pct / 100), at least 1. */
static unsigned long rank_of(unsigned long samples, unsigned int pct)
{
	unsigned long r = (samples * pct + 99) / 100;

	return r ? r : 1;
}

static int bind(domid_t remote, evtchn_port_t remote_port)
{
	unsigned long flags;
	int rc;

	rc = evtchn_bind_interdomain_retry(remote, remote_port, on_reply, &st, &st.port,
					   BIND_TIMEOUT_NS);
	if (rc < 0)
		return rc;
	/*
	 * bind_interdomain marks the new port pending (so an early send is not
	 * lost); pong never sends first, so drop that event before counting.
	 */
	flags = arch_irq_save();
	evtchn_mask(st.port);
	evtchn_clear(st.port);
	st.replies = 0;
	arch_irq_restore(flags);
	return evtchn_unmask(st.port);
}

int main(const struct hvm_start_info *si)
{
	const char *cmdline = start_info_cmdline(si);
	unsigned long remote, remote_port, count, i, target, consumed = 0;
	unsigned long lost = 0, dup = 0;
	uint64_t t0;
	int rc;

	if (cmdline_get_ulong(cmdline, "remote_domid", &remote) < 0 ||
	    remote >= DOMID_FIRST_RESERVED ||
	    cmdline_get_ulong(cmdline, "remote_port", &remote_port) < 0 ||
	    remote_port > UINT32_MAX ||
	    cmdline_get_ulong(cmdline, "count", &count) < 0) {
		printk("ping: usage: remote_domid=<domid> remote_port=<port> count=<n> (cmdline \"%s\")\n",
		       cmdline);
		return 1;
	}
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc < 0) {
		printk("ping: event/time set-up failed: %d\n", rc);
		return 1;
	}
	rc = bind((domid_t)remote, (evtchn_port_t)remote_port);
	if (rc < 0) {
		printk("ping: bind_interdomain to domain %lu port %lu failed: %d\n",
		       remote, remote_port, rc);
		return 1;
	}
	printk("ping: bound local port %u to domain %lu port %lu\n", st.port, remote,
	       remote_port);

	for (i = 0; i < count; i++) {
		if (st.replies > consumed) { /* late or extra replies */
			dup += st.replies - consumed;
			consumed = st.replies;
		}
		target = consumed + 1;
		t0 = monotonic_ns();
		rc = evtchn_notify(st.port);
		if (rc < 0) {
			printk("ping: send %lu failed: %d\n", i, rc);
			return 1;
		}
		rc = wait_until_ns(replied, &target, t0 + RTT_TIMEOUT_NS);
		if (rc == -XEN_ETIMEDOUT) {
			lost++;
			continue;
		}
		if (rc < 0) {
			printk("ping: wait %lu failed: %d\n", i, rc);
			return 1;
		}
		consumed = target;
		rtt_add(st.last_reply_ns - t0);
	}
	if (st.replies > consumed)
		dup += st.replies - consumed;

	if (!rtt.samples)
		rtt.min = 0;
	printk("ping: %lu round trips, %lu lost, %lu duplicated, rtt_ns p50 %lu p99 %lu min %lu max %lu\n",
	       count, lost, dup,
	       rtt.samples ? (unsigned long)rtt_rank(rank_of(rtt.samples, 50)) : 0UL,
	       rtt.samples ? (unsigned long)rtt_rank(rank_of(rtt.samples, 99)) : 0UL,
	       (unsigned long)rtt.min, (unsigned long)rtt.max);
	return lost || dup ? 1 : 0;
}
