/*
 * control.c - shutdown requests from the toolstack (<guestlib/control.h>).
 *
 * State and who writes it:
 *   watch.events   watch events on control/shutdown: bumped by
 *		    xenbus_watch_count (xenbus's event handler, vCPU 0), read by
 *		    the main flow;
 *   watch.seen,    the main flow only (control_shutdown_requested());
 *   requested,
 *   reason
 *   control_on	    init_control() / fini_control().
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/sched.h>

#include <guestlib/console.h> /* printk */
#include <guestlib/control.h>
#include <guestlib/sched.h>
#include <guestlib/string.h>
#include <guestlib/xenbus.h>

#define SHUTDOWN_NODE "control/shutdown"
#define VALUE_MAX     32 /* longest value we read, with its NUL; longer is unknown */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The values we accept, as Linux's shutdown_handlers (minus suspend). */
static const struct {
	const char *value;
	unsigned int reason;
} commands[] = {
	{ "poweroff", SHUTDOWN_poweroff },
	{ "halt", SHUTDOWN_poweroff },
	{ "reboot", SHUTDOWN_reboot },
};

static struct xenbus_watch_counter watch;
static int requested;
static unsigned int reason;
static int control_on;

/* One read of the node. */
struct request {
	char value[VALUE_MAX];
	int accepted; /* a command: acknowledged, reason set */
	unsigned int reason;
};

/* Read control/shutdown in t and, for a command we handle, write "". */
static int read_and_ack(xenbus_transaction_t t, void *arg)
{
	struct request *q = arg;
	unsigned int i;
	int rc;

	q->accepted = 0;
	q->value[0] = '\0';
	rc = xenbus_read(t, SHUTDOWN_NODE, q->value, sizeof(q->value));
	if (rc == 0 || rc == -XEN_ENOENT || rc == -XEN_E2BIG)
		return 0; /* no request, or none of ours (too long) */
	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(q->value, commands[i].value)) {
			q->accepted = 1;
			q->reason = commands[i].reason;
			return xenbus_write(t, SHUTDOWN_NODE, "");
		}
	}
	return 0; /* "suspend" or other: not ours, left unacknowledged */
}

int init_control(void)
{
	int rc;

	if (control_on)
		return 0;
	if (!xenbus_ready())
		return -XEN_ENODEV;
	rc = xenbus_write(XBT_NIL, "control/feature-poweroff", "1");
	if (rc == 0)
		rc = xenbus_write(XBT_NIL, "control/feature-reboot", "1");
	if (rc == 0)
		rc = xenbus_watch(SHUTDOWN_NODE, GUESTLIB_CONTROL_TOKEN, xenbus_watch_count, &watch);
	if (rc < 0)
		return rc;
	control_on = 1;
	return 0;
}

int fini_control(void)
{
	if (!control_on)
		return 0;
	control_on = 0;
	return xenbus_unwatch(SHUTDOWN_NODE, GUESTLIB_CONTROL_TOKEN);
}

int control_ready(void)
{
	return control_on;
}

int control_shutdown_requested(unsigned int *why)
{
	struct request q;
	unsigned long seen;
	int rc;

	if (!control_on)
		return -XEN_ENODEV;
	seen = watch.events;
	if (seen != watch.seen) {
		/* Not marked seen on error: the next call reads again. */
		rc = xenbus_transaction_retry(read_and_ack, &q);
		if (rc < 0)
			return rc;
		watch.seen = seen;
		if (q.accepted) {
			requested = 1;
			reason = q.reason;
		}
	}
	if (!requested)
		return 0;
	*why = reason;
	return 1;
}

int control_poll_shutdown(const char *name)
{
	unsigned int why;
	int rc = control_shutdown_requested(&why);

	if (rc <= 0)
		return rc;
	printk("%s: shutdown requested: %s\n", name,
	       why == SHUTDOWN_reboot ? "reboot" : "poweroff");
	shutdown(why);
}
