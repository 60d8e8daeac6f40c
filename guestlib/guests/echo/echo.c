/*
 * echo - an interactive guest on the primary console ring.
 *
 * Needs xenstore and a console back end serving the ring. Sets up events,
 * time, xenbus, the console ring and control/shutdown; if any step fails
 * it prints "echo: FAIL <function>: <errno>", e.g.
 * "echo: FAIL init_console: -19" (through console_io while the ring is not
 * up), and crashes. Then it prints
 *   echo: Xenolith echo guest (type a line; "poweroff" powers off)
 * and loops: prints the prompt "echo> ", reads a line with echo and
 * editing (console_getline(): backspace, ^U; CR or LF ends the line and is
 * echoed as "\r\n"), and prints
 *   echo: <line>
 * After the line "poweroff" it prints "echo: powering off" and powers
 * off; after "reboot", "echo: rebooting" and reboots. While it waits for
 * input it checks every 100 ms for a toolstack request on
 * control/shutdown (<guestlib/control.h>); on one it ends the prompt line
 * with "\n", prints
 *   echo: shutdown requested: <poweroff|reboot>
 * and shuts down with that reason.
 */
#include <guestlib/guestlib.h>

#define CHECK_NS (100 * NS_PER_MSEC) /* longest wait for input between shutdown checks */

/* Call the set-up function fn; on failure print "echo: FAIL <fn>: <errno>" and crash. */
#define TRY(fn)                                              \
	do {                                                 \
		int rc_ = fn();                              \
		if (rc_ < 0) {                               \
			printk("echo: FAIL %s: %d\n", #fn, rc_); \
			return 1;                            \
		}                                            \
	} while (0)

int main(const struct hvm_start_info *si)
{
	char line[CONSOLE_LINE_MAX];
	unsigned int why;
	int rc;

	(void)si;
	TRY(init_events);
	TRY(init_time);
	TRY(init_xenbus);
	TRY(init_console);
	TRY(init_control);
	printk("echo: Xenolith echo guest (type a line; \"poweroff\" powers off)\n");
	for (;;) {
		printk("echo> ");
		for (;;) {
			rc = console_getline(line, sizeof(line), monotonic_ns() + CHECK_NS);
			if (rc != -XEN_ETIMEDOUT)
				break;
			rc = control_shutdown_requested(&why);
			if (rc < 0) {
				printk("\necho: FAIL control_shutdown_requested: %d\n", rc);
				return 1;
			}
			if (rc == 1) {
				printk("\n"); /* end the prompt line */
				control_poll_shutdown("echo"); /* prints, shuts down */
			}
		}
		if (rc < 0) {
			printk("echo: FAIL console_getline: %d\n", rc);
			return 1;
		}
		printk("echo: %s\n", line);
		if (!strcmp(line, "poweroff")) {
			printk("echo: powering off\n");
			shutdown(SHUTDOWN_poweroff);
		}
		if (!strcmp(line, "reboot")) {
			printk("echo: rebooting\n");
			shutdown(SHUTDOWN_reboot);
		}
	}
}
