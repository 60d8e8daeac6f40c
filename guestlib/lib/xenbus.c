/*
 * xenbus.c - xenstore client over the ring page (<guestlib/xenbus.h>).
 *
 * State and who writes it:
 *   intf, port	    set by init_xenbus(), cleared by fini_xenbus();
 *   req_lock	    serialises requests (thread context only: callers block
 *		    holding it); guards next_req_id and the req ring's writes;
 *   want_req_id    req_id of the request waiting for its reply, 0 if none:
 *		    written by the requester, read by the event handler;
 *   reply_*	    the reply: written by the event handler, which sets
 *		    reply_ready last; read by the requester once it is set;
 *   rx, event_body the message being received: event handler only (vCPU 0,
 *		    interrupts disabled);
 *   watches[]	    guarded by watch_lock (irqsave; the handler calls the
 *		    callbacks holding it, so an unwatch returns only when no
 *		    callback of that watch runs any more);
 *   broken	    set once the ring cannot be trusted; never cleared.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>

/*
 * xs_wire.h defines its xsd_errors[] table (errno name -> value) only when
 * EINVAL is defined, using whatever the E* macros expand to. Defining them
 * as Xen's errno values gives a table of Xen's numbers under the wire's
 * names, straight from the header. Before any other include of xs_wire.h.
 */
#define EINVAL	  XEN_EINVAL
#define EACCES	  XEN_EACCES
#define EEXIST	  XEN_EEXIST
#define EISDIR	  XEN_EISDIR
#define ENOENT	  XEN_ENOENT
#define ENOMEM	  XEN_ENOMEM
#define ENOSPC	  XEN_ENOSPC
#define EIO	  XEN_EIO
#define ENOTEMPTY XEN_ENOTEMPTY
#define ENOSYS	  XEN_ENOSYS
#define EROFS	  XEN_EROFS
#define EBUSY	  XEN_EBUSY
#define EAGAIN	  XEN_EAGAIN
#define EISCONN	  XEN_EISCONN
#define E2BIG	  XEN_E2BIG
#define EPERM	  XEN_EPERM
#include <xen/io/xs_wire.h>
#undef EINVAL
#undef EACCES
#undef EEXIST
#undef EISDIR
#undef ENOENT
#undef ENOMEM
#undef ENOSPC
#undef EIO
#undef ENOTEMPTY
#undef ENOSYS
#undef EROFS
#undef EBUSY
#undef EAGAIN
#undef EISCONN
#undef E2BIG
#undef EPERM

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#include <arch.h>
#include <guestlib/events.h>
#include <guestlib/xen.h>
#include <guestlib/hypervisor.h>
#include <guestlib/smp.h>
#include <guestlib/spinlock.h>
#include <guestlib/string.h>
#include <guestlib/time.h>
#include <guestlib/xenbus.h>

#define XB_TIMEOUT_NS	 (30 * NS_PER_SEC)
#define XB_POLL_NS	 NS_PER_MSEC
#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))

struct iov {
	const void *base;
	uint32_t len;
};

struct watch {
	char token[XENBUS_TOKEN_MAX];
	xenbus_watch_fn fn;
	void *data;
	int used;
};

/* The message being received from the rsp ring. */
struct rx {
	struct xsd_sockmsg hdr;
	uint32_t hdr_got;  /* header bytes received (sizeof(hdr): payload next) */
	uint32_t body_got; /* payload bytes received */
	char *body;	   /* reply_body, event_body, or NULL to drop the payload */
};

static volatile struct xenstore_domain_interface *intf;
static evtchn_port_t port;
static volatile int broken;

static spinlock_t req_lock = SPINLOCK_INIT;
static uint32_t next_req_id;

static volatile uint32_t want_req_id;
static volatile int reply_ready;
static struct xsd_sockmsg reply_hdr;
static char reply_body[XENSTORE_PAYLOAD_MAX + 1];

static struct rx rx;
static char event_body[XENSTORE_PAYLOAD_MAX + 1];

static spinlock_t watch_lock = SPINLOCK_INIT;
static struct watch watches[XENBUS_MAX_WATCHES];

/* ---- receiving (event handler) ---- */

static void fire_watches(uint32_t len)
{
	const char *path = event_body, *token;
	size_t plen;
	unsigned int i;

	event_body[len] = '\0';
	plen = strnlen(path, len);
	if (plen + 1 >= len)
		return; /* no token */
	token = path + plen + 1;
	spin_lock(&watch_lock);
	for (i = 0; i < XENBUS_MAX_WATCHES; i++) {
		if (watches[i].used && !strcmp(watches[i].token, token)) {
			if (watches[i].fn)
				watches[i].fn(path, token, watches[i].data);
			break;
		}
	}
	spin_unlock(&watch_lock);
}

/* Header complete: decide where the payload goes. */
static int rx_header(void)
{
	if (rx.hdr.len > XENSTORE_PAYLOAD_MAX)
		return -XEN_EIO;
	if (rx.hdr.type == XS_WATCH_EVENT)
		rx.body = event_body;
	else if (want_req_id && rx.hdr.req_id == want_req_id && !reply_ready)
		rx.body = reply_body;
	else
		rx.body = NULL; /* a reply nobody waits for (timed out) */
	return 0;
}

/* Message complete: hand it over and get ready for the next. */
static void rx_done(void)
{
	if (rx.body == event_body) {
		fire_watches(rx.hdr.len);
	} else if (rx.body == reply_body && rx.hdr.req_id == want_req_id) {
		reply_body[rx.hdr.len] = '\0';
		reply_hdr = rx.hdr;
		wmb(); /* the reply before the flag */
		reply_ready = 1;
	}
	rx.hdr_got = 0;
	rx.body_got = 0;
	rx.body = NULL;
}

/* Drain the rsp ring. Interrupts disabled, vCPU 0. */
static void rx_ring(void)
{
	volatile struct xenstore_domain_interface *x = intf;
	XENSTORE_RING_IDX cons, prod;
	uint32_t n, off, need;
	int moved = 0;

	if (!x || broken)
		return;
	while (!broken) {
		cons = x->rsp_cons;
		prod = x->rsp_prod;
		rmb(); /* the index before the bytes it covers */
		if (prod - cons > XENSTORE_RING_SIZE) {
			broken = 1;
			break;
		}
		if (prod == cons)
			break;
		off = MASK_XENSTORE_IDX(cons);
		n = prod - cons;
		if (n > XENSTORE_RING_SIZE - off)
			n = XENSTORE_RING_SIZE - off;
		if (rx.hdr_got < sizeof(rx.hdr)) {
			need = sizeof(rx.hdr) - rx.hdr_got;
			if (n > need)
				n = need;
			memcpy((char *)&rx.hdr + rx.hdr_got, (const char *)x->rsp + off, n);
			rx.hdr_got += n;
			if (rx.hdr_got == sizeof(rx.hdr) && rx_header() < 0)
				broken = 1;
		} else {
			need = rx.hdr.len - rx.body_got;
			if (n > need)
				n = need;
			if (rx.body)
				memcpy(rx.body + rx.body_got, (const char *)x->rsp + off, n);
			rx.body_got += n;
		}
		mb(); /* done with the bytes before the daemon may reuse them */
		x->rsp_cons = cons + n;
		moved = 1;
		if (!broken && rx.hdr_got == sizeof(rx.hdr) && rx.body_got == rx.hdr.len)
			rx_done();
	}
	if (moved)
		evtchn_notify(port);
}

static void xb_event(evtchn_port_t p, void *data)
{
	(void)p;
	(void)data;
	rx_ring();
}

/* ---- sending and waiting (thread context) ---- */

/* Block until cond(arg) or the deadline (see the header: vCPU 0 sleeps on events). */
static int xb_wait(int (*cond)(void *), void *arg, uint64_t deadline)
{
	if (!time_ready())
		deadline = TIME_FOREVER;
	if (smp_cpu_id() == 0)
		return wait_until_ns(cond, arg, deadline);
	while (!cond(arg)) {
		if (deadline != TIME_FOREVER && monotonic_ns() >= deadline)
			return -XEN_ETIMEDOUT;
		if (sleep_ns(XB_POLL_NS) < 0)
			arch_cpu_relax();
	}
	return 0;
}

static int req_space(void *arg)
{
	(void)arg;
	return broken || intf->req_prod - intf->req_cons < XENSTORE_RING_SIZE;
}

static int reply_in(void *arg)
{
	(void)arg;
	return broken || reply_ready;
}

/* Stream len bytes into the req ring. Under req_lock. */
static int tx_bytes(const void *data, uint32_t len, uint64_t deadline)
{
	volatile struct xenstore_domain_interface *x = intf;
	const char *p = data;
	XENSTORE_RING_IDX cons, prod;
	uint32_t n, off;
	int rc;

	while (len) {
		rc = xb_wait(req_space, NULL, deadline);
		if (rc < 0)
			return rc;
		if (broken)
			return -XEN_EIO;
		cons = x->req_cons;
		prod = x->req_prod;
		mb(); /* read the consumer index before writing the space it frees */
		if (prod - cons > XENSTORE_RING_SIZE)
			return -XEN_EIO;
		off = MASK_XENSTORE_IDX(prod);
		n = XENSTORE_RING_SIZE - (prod - cons);
		if (n > XENSTORE_RING_SIZE - off)
			n = XENSTORE_RING_SIZE - off;
		if (n > len)
			n = len;
		memcpy((char *)x->req + off, p, n);
		wmb(); /* the bytes before the index that publishes them */
		x->req_prod = prod + n;
		evtchn_notify(port);
		p += n;
		len -= n;
	}
	return 0;
}

/* Map an XS_ERROR payload ("ENOENT") to -XEN_E*; libxenstore's default EINVAL. */
static int error_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(name, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -XEN_EINVAL;
}

/*
 * Send one request (header, then the n pieces of payload) and wait for its
 * reply. Copies up to out_size bytes of the reply payload to out (may be
 * NULL) and returns the payload's full length, or a negative errno.
 */
static int talk(enum xsd_sockmsg_type type, xenbus_transaction_t t,
		const struct iov *iov, unsigned int n, void *out, size_t out_size)
{
	struct xsd_sockmsg hdr = { .type = type, .tx_id = t };
	unsigned long flags;
	uint64_t deadline;
	unsigned int i;
	uint32_t len;
	int rc;

	if (!intf)
		return -XEN_ENODEV;
	if (!arch_irq_enabled())
		return -XEN_EDEADLK; /* an event handler (a watch callback) */
	for (i = 0; i < n; i++) {
		if (iov[i].len > XENSTORE_PAYLOAD_MAX - hdr.len)
			return -XEN_E2BIG;
		hdr.len += iov[i].len;
	}

	spin_lock(&req_lock);
	if (broken) {
		rc = -XEN_EIO;
		goto out;
	}
	if (++next_req_id == 0)
		next_req_id = 1;
	hdr.req_id = next_req_id;
	flags = arch_irq_save();
	reply_ready = 0;
	want_req_id = hdr.req_id;
	arch_irq_restore(flags);

	deadline = monotonic_ns() + XB_TIMEOUT_NS;
	rc = tx_bytes(&hdr, sizeof(hdr), deadline);
	for (i = 0; rc == 0 && i < n; i++)
		rc = tx_bytes(iov[i].base, iov[i].len, deadline);
	if (rc < 0) {
		broken = 1; /* part of a message may be in the ring */
		goto done;
	}
	rc = xb_wait(reply_in, NULL, deadline);
	if (rc < 0)
		goto done;
	if (!reply_ready) {
		rc = -XEN_EIO;
		goto done;
	}
	rmb(); /* the flag before the reply */
	if (reply_hdr.type == XS_ERROR) {
		rc = error_of(reply_body);
		goto done;
	}
	if (reply_hdr.type != (uint32_t)type) {
		rc = -XEN_EIO;
		goto done;
	}
	len = reply_hdr.len;
	if (out)
		memcpy(out, reply_body, len < out_size ? len : out_size);
	rc = (int)len;
done:
	flags = arch_irq_save();
	want_req_id = 0;
	arch_irq_restore(flags);
out:
	spin_unlock(&req_lock);
	return rc;
}

static struct iov str_iov(const char *s)
{
	struct iov v = { s, (uint32_t)strnlen(s, XENSTORE_PAYLOAD_MAX) + 1 };

	return v;
}

/* ---- set-up ---- */

int init_xenbus(void)
{
	void *page;
	uint32_t evtchn;
	unsigned long flags;
	int rc;

	if (intf)
		return 0;
	if (!events_ready())
		return -XEN_ENODEV;
	if (smp_cpu_id() != 0)
		return -XEN_EINVAL;
	rc = xen_ring_params(HVM_PARAM_STORE_PFN, HVM_PARAM_STORE_EVTCHN, &page, &evtchn);
	if (rc < 0)
		return rc;

	flags = arch_irq_save();
	intf = (volatile struct xenstore_domain_interface *)page;
	port = (evtchn_port_t)evtchn;
	rx.hdr_got = rx.body_got = 0;
	rx.body = NULL;
	rc = evtchn_bind_existing(port, xb_event, NULL);
	if (rc == -XEN_EEXIST) { /* init_xenbus() after fini_xenbus() */
		rc = evtchn_set_handler(port, xb_event, NULL);
		if (rc == 0)
			rc = evtchn_unmask(port);
	}
	if (rc < 0) {
		intf = NULL;
	} else if ((intf->server_features & XENSTORE_SERVER_FEATURE_ERROR) &&
		   intf->error != XENSTORE_ERROR_NONE) {
		broken = 1;
	} else {
		rx_ring(); /* anything that came before we listened */
	}
	arch_irq_restore(flags);
	if (rc < 0)
		return rc;
	return broken ? -XEN_EIO : 0;
}

int fini_xenbus(void)
{
	struct iov none = { "", 1 };
	unsigned long flags;
	unsigned int i;
	int rc;

	if (!intf)
		return 0;
	/* XS_RESET_WATCHES drops all our watches (and open transactions). */
	rc = talk(XS_RESET_WATCHES, XBT_NIL, &none, 1, NULL, 0);
	flags = spin_lock_irqsave(&watch_lock);
	for (i = 0; i < XENBUS_MAX_WATCHES; i++)
		watches[i].used = 0;
	spin_unlock_irqrestore(&watch_lock, flags);
	flags = arch_irq_save();
	evtchn_mask(port);
	evtchn_set_handler(port, NULL, NULL);
	intf = NULL;
	arch_irq_restore(flags);
	return rc < 0 ? rc : 0;
}

int xenbus_ready(void)
{
	return intf != NULL;
}

/* ---- requests ---- */

int xenbus_read(xenbus_transaction_t t, const char *path, char *buf, size_t size)
{
	struct iov v = str_iov(path);
	int rc;

	if (!size)
		return -XEN_EINVAL;
	rc = talk(XS_READ, t, &v, 1, buf, size - 1);
	if (rc < 0)
		return rc;
	if ((size_t)rc > size - 1) {
		buf[size - 1] = '\0';
		return -XEN_E2BIG;
	}
	buf[rc] = '\0';
	return rc;
}

int xenbus_read_ulong(xenbus_transaction_t t, const char *path, unsigned long *val)
{
	char buf[24]; /* ULONG_MAX has 20 digits */
	unsigned long v = 0, d;
	const char *p;
	int rc;

	rc = xenbus_read(t, path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	for (p = buf; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned long)(*p - '0');
		if (v > (~0UL - d) / 10)
			return -XEN_EINVAL;
		v = v * 10 + d;
	}
	if (p == buf || *p)
		return -XEN_EINVAL;
	*val = v;
	return 0;
}

int xenbus_write(xenbus_transaction_t t, const char *path, const char *value)
{
	struct iov v[2] = { str_iov(path), str_iov(value) };
	int rc;

	v[1].len--; /* the value goes without its NUL */
	rc = talk(XS_WRITE, t, v, 2, NULL, 0);
	return rc < 0 ? rc : 0;
}

int xenbus_mkdir(xenbus_transaction_t t, const char *path)
{
	struct iov v = str_iov(path);
	int rc = talk(XS_MKDIR, t, &v, 1, NULL, 0);

	return rc < 0 ? rc : 0;
}

int xenbus_rm(xenbus_transaction_t t, const char *path)
{
	struct iov v = str_iov(path);
	int rc = talk(XS_RM, t, &v, 1, NULL, 0);

	return rc < 0 ? rc : 0;
}

int xenbus_directory(xenbus_transaction_t t, const char *path, char *buf, size_t size)
{
	struct iov v = str_iov(path);
	int rc, i, count = 0;

	rc = talk(XS_DIRECTORY, t, &v, 1, buf, size);
	if (rc < 0)
		return rc;
	if ((size_t)rc > size)
		return -XEN_E2BIG;
	for (i = 0; i < rc; i++)
		if (buf[i] == '\0')
			count++;
	if (rc && buf[rc - 1] != '\0')
		return -XEN_EIO; /* the last name has no terminator */
	return count;
}

/* Slot of token, or -1. Under watch_lock. */
static int find_watch(const char *token)
{
	unsigned int i;

	for (i = 0; i < XENBUS_MAX_WATCHES; i++)
		if (watches[i].used && !strcmp(watches[i].token, token))
			return (int)i;
	return -1;
}

int xenbus_watch(const char *path, const char *token, xenbus_watch_fn fn, void *data)
{
	struct iov v[2] = { str_iov(path), str_iov(token) };
	unsigned long flags;
	int slot = -1, rc = 0;
	unsigned int i;

	if (!intf)
		return -XEN_ENODEV;
	if (strnlen(token, XENBUS_TOKEN_MAX) >= XENBUS_TOKEN_MAX)
		return -XEN_E2BIG;
	/* Registered before XS_WATCH: its first event may beat the reply. */
	flags = spin_lock_irqsave(&watch_lock);
	if (find_watch(token) >= 0) {
		rc = -XEN_EEXIST;
	} else {
		for (i = 0; i < XENBUS_MAX_WATCHES && slot < 0; i++)
			if (!watches[i].used)
				slot = (int)i;
		if (slot < 0) {
			rc = -XEN_ENOSPC;
		} else {
			memcpy(watches[slot].token, token, v[1].len);
			watches[slot].fn = fn;
			watches[slot].data = data;
			watches[slot].used = 1;
		}
	}
	spin_unlock_irqrestore(&watch_lock, flags);
	if (rc < 0)
		return rc;

	rc = talk(XS_WATCH, XBT_NIL, v, 2, NULL, 0);
	if (rc < 0) {
		flags = spin_lock_irqsave(&watch_lock);
		watches[slot].used = 0;
		spin_unlock_irqrestore(&watch_lock, flags);
		return rc;
	}
	return 0;
}

int xenbus_unwatch(const char *path, const char *token)
{
	struct iov v[2] = { str_iov(path), str_iov(token) };
	unsigned long flags;
	int slot, rc;

	rc = talk(XS_UNWATCH, XBT_NIL, v, 2, NULL, 0);
	flags = spin_lock_irqsave(&watch_lock);
	slot = find_watch(token);
	if (slot >= 0)
		watches[slot].used = 0;
	spin_unlock_irqrestore(&watch_lock, flags);
	if (rc < 0)
		return rc;
	return slot < 0 ? -XEN_ENOENT : 0;
}

void xenbus_watch_count(const char *path, const char *token, void *data)
{
	struct xenbus_watch_counter *c = data;

	(void)path;
	(void)token;
	c->events++;
}

int xenbus_watch_counter_changed(void *arg)
{
	const struct xenbus_watch_counter *c = arg;

	return c->events != c->seen;
}

int xenbus_transaction_start(xenbus_transaction_t *t)
{
	struct iov none = { "", 1 };
	char buf[16];
	uint32_t id = 0;
	int rc, i;

	rc = talk(XS_TRANSACTION_START, XBT_NIL, &none, 1, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	/* A decimal id, NUL terminated. */
	for (i = 0; i < rc && i < (int)sizeof(buf) && buf[i]; i++) {
		if (buf[i] < '0' || buf[i] > '9' || id > (UINT32_MAX - 9) / 10)
			return -XEN_EIO;
		id = id * 10 + (uint32_t)(buf[i] - '0');
	}
	if (i == 0 || id == XBT_NIL)
		return -XEN_EIO;
	*t = id;
	return 0;
}

int xenbus_transaction_end(xenbus_transaction_t t, int abort)
{
	struct iov v = { abort ? "F" : "T", 2 };
	int rc;

	if (t == XBT_NIL)
		return -XEN_EINVAL;
	rc = talk(XS_TRANSACTION_END, t, &v, 1, NULL, 0);
	return rc < 0 ? rc : 0;
}

int xenbus_transaction_retry(int (*fn)(xenbus_transaction_t t, void *arg), void *arg)
{
	xenbus_transaction_t t;
	unsigned int attempt;
	int rc, ret;

	for (attempt = 0; attempt < XENBUS_TX_ATTEMPTS; attempt++) {
		rc = xenbus_transaction_start(&t);
		if (rc < 0)
			return rc;
		ret = fn(t, arg);
		if (ret < 0) {
			xenbus_transaction_end(t, 1);
			if (ret == -XEN_EAGAIN)
				continue;
			return ret;
		}
		rc = xenbus_transaction_end(t, 0);
		if (rc == -XEN_EAGAIN)
			continue;
		return rc < 0 ? rc : ret;
	}
	return -XEN_EAGAIN;
}
