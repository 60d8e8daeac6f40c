/*
 * control.h - the toolstack's shutdown requests (~/control/shutdown).
 *
 * `xl shutdown` / `xl reboot` write "poweroff" or "reboot" to
 * /local/domain/<domid>/control/shutdown (digest 9.2); the guest watches
 * the node, acknowledges a request by writing "" to it, and shuts down with
 * that reason. A guest advertises that it does this by writing
 * control/feature-poweroff = "1" and control/feature-reboot = "1" at start,
 * as Linux does.
 *
 * init_control() (after init_xenbus()) writes the two feature nodes and
 * watches control/shutdown (token GUESTLIB_CONTROL_TOKEN). The watch
 * callback only counts events; control_shutdown_requested(), called from
 * the main flow, reads the node when the count moved, in a transaction
 * that also writes "" for a value it accepts, as Linux's shutdown_handler
 * does: "poweroff" and "halt" mean SHUTDOWN_poweroff, "reboot"
 * SHUTDOWN_reboot. An empty or missing node is no request; any other value
 * ("suspend", ...) is silently neither acknowledged nor acted on (Linux
 * logs "Ignoring shutdown request"; a library printing into a guest's
 * console would garble its output). An accepted request stays requested
 * (a later one replaces its reason).
 *
 * Functions return 0 (or 1 where stated) or a negative Xen errno:
 * -XEN_ENODEV before init_xenbus() / init_control(), or xenbus's errors.
 * They call xenbus, so not from event handlers.
 */
#ifndef GUESTLIB_CONTROL_H
#define GUESTLIB_CONTROL_H

#define GUESTLIB_CONTROL_TOKEN "guestlib-control-shutdown" /* our watch's token */

/* Write the feature-poweroff and feature-reboot nodes, watch control/shutdown. */
int init_control(void);

/* Remove the watch (the feature nodes stay). */
int fini_control(void);

/* 1 once init_control() has succeeded. */
int control_ready(void);

/*
 * Has the toolstack asked us to shut down? Returns 1 and the reason
 * (SHUTDOWN_poweroff or SHUTDOWN_reboot; poweroff is 0, hence the out
 * parameter) in *reason once a request has been read and acknowledged, 0
 * if none, or a negative errno. Costs nothing while no watch event came.
 */
int control_shutdown_requested(unsigned int *reason);

/*
 * If a request is pending, print "<name>: shutdown requested: <poweroff|reboot>"
 * and shutdown() with its reason (does not return). Else returns 0, or the
 * negative errno of control_shutdown_requested().
 */
int control_poll_shutdown(const char *name);

#endif /* GUESTLIB_CONTROL_H */
