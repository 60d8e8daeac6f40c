/*
 * console.c - the console device under printk: console_io, and the
 * primary console ring (<guestlib/console.h>, digest 9.6).
 *
 * State and who writes it:
 *   console_lock   serialises output: CONSOLEIO_write calls and the out
 *		    ring's producer side (out_prod, the out bytes); taken with
 *		    interrupts disabled, since upcall handlers printk too;
 *   ring, port	    set by init_console(), cleared by fini_console(), under
 *		    console_lock; port is written before ring;
 *   broken	    set once the ring's indexes cannot be trusted; cleared
 *		    only by init_console();
 *   in_lock	    serialises the in ring's consumer side (in_cons) and the
 *		    lookahead bytes (read from the ring, not consumed yet);
 *   ed		    console_getline()'s line being edited: its one reader;
 *   ring_events    console port events, counted by the handler (vCPU 0).
 *
 * Waiting never relies on the event alone: conditions read the ring
 * indexes, and the event only wakes the waiter.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/events.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>
#include <guestlib/spinlock.h>
#include <guestlib/string.h>
#include <guestlib/time.h>
#include <guestlib/xen.h>

#define CONSOLE_WRITE_CHUNK 1024 /* bytes per CONSOLEIO_write hypercall */
#define LOOKAHEAD	    64	 /* input bytes taken from the ring at once */
#define ECHO_MAX	    64	 /* echo bytes console_getline() batches per write */

/* console_getline()'s line being edited, kept across calls that time out. */
struct editor {
	char line[CONSOLE_LINE_MAX];
	size_t len;
	int after_cr; /* the last character was CR: skip an LF next */
};

static spinlock_t console_lock = SPINLOCK_INIT;
static volatile struct xencons_interface *volatile ring;
static evtchn_port_t port;
static volatile int broken;
static volatile unsigned long ring_events;

static spinlock_t in_lock = SPINLOCK_INIT;
static char lookahead[LOOKAHEAD];
static unsigned int la_pos, la_len;

static struct editor ed;

/*
 * memcpy 8 bytes at a time: guest code runs in KVM's instruction emulator
 * on the hosts Xenolith is developed on, where the byte loop of memcpy()
 * costs about 5 instructions a byte. x86 allows unaligned 8-byte accesses;
 * __builtin_memcpy with a constant 8 is one load or store.
 */
static void copy_words(char *dst, const char *src, size_t n)
{
	uint64_t w;

	for (; n >= 8; n -= 8, dst += 8, src += 8) {
		__builtin_memcpy(&w, src, 8);
		__builtin_memcpy(dst, &w, 8);
	}
	while (n--)
		*dst++ = *src++;
}

/* ---- console_io ---- */

static int io_write(const char *s, size_t len)
{
	int rc;

	if (!xen_ready())
		return -XEN_ENODEV;
	while (len) {
		int chunk = len > CONSOLE_WRITE_CHUNK ? CONSOLE_WRITE_CHUNK
						      : (int)len;

		/* console_io does not write to buf; the cast only drops const. */
		rc = HYPERVISOR_console_io(CONSOLEIO_write, chunk, (char *)s);
		if (rc < 0)
			return rc;
		s += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- waiting for the back end ---- */

static void ring_event(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data;
	ring_events++;
}

/*
 * Wait until cond(arg) or system time reaches deadline, with interrupts in
 * any state and on any vCPU: drop a stale notification (the ring is
 * checked right after, so none is lost), check, then SCHEDOP_poll the
 * console port for at most CONSOLE_POLL_NS.
 */
static int poll_wait(int (*cond)(void *), void *arg, uint64_t deadline)
{
	evtchn_port_t ports[1] = { port };
	struct sched_poll op = { .nr_ports = 1 };
	uint64_t now;
	int rc;

	set_xen_guest_handle(op.ports, ports);
	for (;;) {
		evtchn_clear(ports[0]);
		if (cond(arg))
			return 0;
		now = monotonic_ns();
		if (now >= deadline)
			return -XEN_ETIMEDOUT;
		op.timeout = deadline - now > CONSOLE_POLL_NS ? now + CONSOLE_POLL_NS : deadline;
		rc = HYPERVISOR_sched_op(SCHEDOP_poll, &op);
		if (rc < 0 && HYPERVISOR_sched_op(SCHEDOP_yield, NULL) < 0)
			return rc;
	}
}

/* The out ring has space (or cannot be trusted: the writer finds out). */
static int out_space(void *arg)
{
	volatile struct xencons_interface *r = ring;

	(void)arg;
	return !r || broken || r->out_prod - r->out_cons != sizeof(r->out);
}

/* The back end has read all output (or the ring cannot be trusted). */
static int out_drained(void *arg)
{
	volatile struct xencons_interface *r = ring;
	XENCONS_RING_IDX used;

	(void)arg;
	if (!r || broken)
		return 1;
	used = r->out_prod - r->out_cons;
	return used == 0 || used > sizeof(r->out);
}

/* Input is available (or the ring is gone or cannot be trusted). */
static int in_ready(void *arg)
{
	volatile struct xencons_interface *r = ring;

	(void)arg;
	return !r || broken || la_pos < la_len || r->in_prod != r->in_cons;
}

/* ---- output ---- */

/*
 * Copy *len bytes from *s into the out ring, waiting for space until
 * deadline; advances *s and *len by what went in. The caller serialises
 * producers (console_lock, or a crashing vCPU).
 */
static int ring_put(const char **s, size_t *len, uint64_t deadline)
{
	volatile struct xencons_interface *r = ring;
	XENCONS_RING_IDX cons, prod;
	size_t n, off, first;
	int rc;

	while (*len) {
		if (broken)
			return -XEN_EIO;
		cons = r->out_cons;
		prod = r->out_prod;
		mb(); /* read the consumer index before writing the space it frees */
		if (prod - cons > sizeof(r->out)) {
			broken = 1;
			return -XEN_EIO;
		}
		n = sizeof(r->out) - (prod - cons);
		if (n == 0) {
			rc = poll_wait(out_space, NULL, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n > *len)
			n = *len;
		off = MASK_XENCONS_IDX(prod, r->out);
		first = n < sizeof(r->out) - off ? n : sizeof(r->out) - off;
		copy_words((char *)r->out + off, *s, first);
		copy_words((char *)r->out, *s + first, n - first);
		wmb(); /* the bytes before the index that publishes them */
		r->out_prod = prod + (XENCONS_RING_IDX)n;
		evtchn_notify(port);
		*s += n;
		*len -= n;
	}
	return 0;
}

int console_write(const char *s, size_t len)
{
	unsigned long flags;
	int rc = 0;

	flags = spin_lock_irqsave(&console_lock);
	if (ring && !broken)
		rc = ring_put(&s, &len, TIME_FOREVER);
	if (len && (!ring || rc == -XEN_EIO))
		rc = io_write(s, len); /* no ring, or it broke: keep output visible */
	spin_unlock_irqrestore(&console_lock, flags);
	return rc;
}

int console_write_nolock(const char *s, size_t len)
{
	const char *p = s;
	size_t left = len;
	uint64_t deadline;

	if (ring && !broken) {
		deadline = monotonic_ns() + CONSOLE_CRASH_WAIT_NS;
		if (ring_put(&p, &left, deadline) == 0 && console_drain(deadline) == 0)
			return 0;
	}
	/*
	 * No ring, or no back end read it in time: a crash report must be
	 * seen, so console_io gets all of it (maybe a second copy).
	 */
	return io_write(s, len);
}

int console_ring_write(const char *buf, size_t len)
{
	unsigned long flags;
	int rc;

	if (!ring)
		return -XEN_ENODEV;
	flags = spin_lock_irqsave(&console_lock);
	rc = ring ? ring_put(&buf, &len, TIME_FOREVER) : -XEN_ENODEV;
	spin_unlock_irqrestore(&console_lock, flags);
	return rc;
}

int console_drain(uint64_t deadline_ns)
{
	volatile struct xencons_interface *r = ring;
	int rc;

	if (!r)
		return 0;
	rc = poll_wait(out_drained, NULL, deadline_ns);
	if (rc < 0)
		return rc;
	if (broken || r->out_prod - r->out_cons > sizeof(r->out)) {
		broken = 1;
		return -XEN_EIO;
	}
	return 0;
}

/* ---- input ---- */

/* Take up to size bytes from the in ring. Under in_lock. */
static int ring_take(char *buf, size_t size)
{
	volatile struct xencons_interface *r = ring;
	XENCONS_RING_IDX cons, prod;
	size_t n, off, first;

	if (!r)
		return -XEN_ENODEV;
	if (broken)
		return -XEN_EIO;
	cons = r->in_cons;
	prod = r->in_prod;
	mb(); /* the producer index before the bytes it covers */
	if (prod - cons > sizeof(r->in)) {
		broken = 1;
		return -XEN_EIO;
	}
	n = prod - cons;
	if (n > size)
		n = size;
	if (n == 0)
		return 0;
	off = MASK_XENCONS_IDX(cons, r->in);
	first = n < sizeof(r->in) - off ? n : sizeof(r->in) - off;
	memcpy(buf, (const char *)r->in + off, first);
	memcpy(buf + first, (const char *)r->in, n - first);
	mb(); /* done with the bytes before the back end may reuse them */
	r->in_cons = cons + (XENCONS_RING_IDX)n;
	evtchn_notify(port);
	return (int)n;
}

int console_read(char *buf, size_t size)
{
	unsigned long flags;
	size_t n = 0;
	int rc = 0;

	if (!ring)
		return -XEN_ENODEV;
	flags = spin_lock_irqsave(&in_lock);
	while (n < size && la_pos < la_len)
		buf[n++] = lookahead[la_pos++];
	if (n < size)
		rc = ring_take(buf + n, size - n);
	spin_unlock_irqrestore(&in_lock, flags);
	if (rc < 0 && n == 0)
		return rc;
	return (int)n + (rc > 0 ? rc : 0);
}

/* The next input character into *c: 1, 0 if none is available, or -errno. */
static int next_char(char *c)
{
	unsigned long flags;
	int rc = 1;

	flags = spin_lock_irqsave(&in_lock);
	if (la_pos == la_len) {
		la_pos = la_len = 0;
		rc = ring_take(lookahead, sizeof(lookahead));
		if (rc > 0)
			la_len = (unsigned int)rc;
	}
	if (la_pos < la_len) {
		*c = lookahead[la_pos++];
		rc = 1;
	}
	spin_unlock_irqrestore(&in_lock, flags);
	return rc;
}

int console_wait_input(uint64_t deadline_ns)
{
	int rc;

	if (!ring)
		return -XEN_ENODEV;
	/* vCPU 0 gets the port's upcall: block there, so any event wakes it. */
	if (smp_cpu_id() == 0 && arch_irq_enabled())
		rc = wait_until_ns(in_ready, NULL, deadline_ns);
	else
		rc = poll_wait(in_ready, NULL, deadline_ns);
	if (rc < 0)
		return rc;
	if (!ring)
		return -XEN_ENODEV;
	return broken ? -XEN_EIO : 0;
}

struct echo {
	char buf[ECHO_MAX];
	size_t len;
};

static void echo_flush(struct echo *e)
{
	if (e->len)
		console_write(e->buf, e->len);
	e->len = 0;
}

static void echo_add(struct echo *e, const char *s, size_t n)
{
	if (e->len + n > sizeof(e->buf))
		echo_flush(e);
	memcpy(e->buf + e->len, s, n);
	e->len += n;
}

int console_getline(char *buf, size_t size, uint64_t deadline_ns)
{
	struct echo e = { .len = 0 };
	size_t limit, n;
	char c;
	int rc;

	if (!ring)
		return -XEN_ENODEV;
	if (!size)
		return -XEN_EINVAL;
	limit = size - 1 < CONSOLE_LINE_MAX - 1 ? size - 1 : CONSOLE_LINE_MAX - 1;
	console_flush(); /* the prompt */
	for (;;) {
		rc = next_char(&c);
		if (rc < 0)
			break;
		if (rc == 0) {
			echo_flush(&e); /* show what was typed before sleeping */
			rc = console_wait_input(deadline_ns);
			if (rc < 0)
				break;
			continue;
		}
		if (c == '\n' && ed.after_cr) {
			ed.after_cr = 0; /* CRLF: the line ended at the CR */
			continue;
		}
		ed.after_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			echo_add(&e, "\r\n", 2);
			n = ed.len < size - 1 ? ed.len : size - 1;
			memcpy(buf, ed.line, n);
			buf[n] = '\0';
			ed.len = 0;
			rc = (int)n;
			break;
		}
		if (c == '\b' || c == 0x7f) {
			if (ed.len) {
				ed.len--;
				echo_add(&e, "\b \b", 3);
			}
		} else if (c == 0x15) { /* ^U */
			for (; ed.len; ed.len--)
				echo_add(&e, "\b \b", 3);
		} else if (c >= 0x20 && c < 0x7f && ed.len < limit) {
			ed.line[ed.len++] = c;
			echo_add(&e, &c, 1);
		}
	}
	echo_flush(&e);
	return rc;
}

/* ---- set-up ---- */

int init_console(void)
{
	volatile struct xencons_interface *r;
	void *page;
	uint32_t evtchn;
	unsigned long flags;
	int rc;

	if (ring)
		return 0;
	if (!events_ready())
		return -XEN_ENODEV;
	if (smp_cpu_id() != 0)
		return -XEN_EINVAL;
	rc = xen_ring_params(HVM_PARAM_CONSOLE_PFN, HVM_PARAM_CONSOLE_EVTCHN, &page, &evtchn);
	if (rc < 0)
		return rc;
	r = (volatile struct xencons_interface *)page;
	if (r->out_prod - r->out_cons > sizeof(r->out) ||
	    r->in_prod - r->in_cons > sizeof(r->in))
		return -XEN_EIO;

	rc = evtchn_bind_existing((evtchn_port_t)evtchn, ring_event, NULL);
	if (rc == -XEN_EEXIST) { /* init_console() after fini_console() */
		rc = evtchn_set_handler((evtchn_port_t)evtchn, ring_event, NULL);
		if (rc == 0)
			rc = evtchn_unmask((evtchn_port_t)evtchn);
	}
	if (rc < 0)
		return rc;

	console_flush(); /* a partial line before the switch goes to console_io */
	flags = spin_lock_irqsave(&console_lock);
	port = (evtchn_port_t)evtchn;
	broken = 0;
	la_pos = la_len = 0;
	ed.len = 0;
	ed.after_cr = 0;
	wmb(); /* the port before the ring that makes it used */
	ring = r;
	spin_unlock_irqrestore(&console_lock, flags);
	return 0;
}

int fini_console(void)
{
	unsigned long flags;
	int rc;

	if (!ring)
		return 0;
	console_flush();
	rc = console_drain(monotonic_ns() + CONSOLE_DRAIN_NS);
	flags = spin_lock_irqsave(&console_lock);
	ring = NULL;
	spin_unlock_irqrestore(&console_lock, flags);
	flags = arch_irq_save();
	evtchn_mask(port);
	evtchn_set_handler(port, NULL, NULL);
	arch_irq_restore(flags);
	ed.len = 0;
	ed.after_cr = 0;
	return rc < 0 ? rc : 0;
}

int console_ready(void)
{
	return ring != NULL;
}
