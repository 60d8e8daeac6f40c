/*
 * lifecycle - ends the way its command line asks, so the toolstack's
 * handling of each shutdown reason can be tested:
 *   end=poweroff|reboot|crash|watchdog|suspend   SCHEDOP_shutdown with it
 *   end=halt                                      sti; hlt forever: blocked until destroyed
 *   end=cli-hlt                                   cli; hlt: Xen takes the vCPU down, and
 *                                                 with no vCPU left the domain powers off
 */
#include <guestlib/guestlib.h>

static const char *param(const char *cmdline, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && !strncmp(p, key, n) && p[n] == '=')
			return p + n + 1;
	}
	return NULL;
}

static int is(const char *v, const char *word)
{
	size_t n = strlen(word);

	return v && !strncmp(v, word, n) && (v[n] == '\0' || v[n] == ' ');
}

int main(const struct hvm_start_info *si)
{
	static const struct { const char *name; unsigned int reason; } ends[] = {
		{ "poweroff", SHUTDOWN_poweroff }, { "reboot", SHUTDOWN_reboot },
		{ "crash", SHUTDOWN_crash }, { "watchdog", SHUTDOWN_watchdog },
		{ "suspend", SHUTDOWN_suspend },
	};
	const char *end = param(start_info_cmdline(si), "end");

	printk("lifecycle: up\n");
	if (is(end, "halt")) {
		printk("lifecycle: halting until destroyed\n");
		for (;;)
			asm volatile("sti; hlt" ::: "memory");
	}
	if (is(end, "cli-hlt")) {
		printk("lifecycle: halting with interrupts disabled\n");
		asm volatile("cli; hlt" ::: "memory");
		printk("lifecycle: ERROR: running after cli; hlt\n");
		return 1;
	}
	for (unsigned int i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		if (is(end, ends[i].name)) {
			struct sched_shutdown s = { .reason = ends[i].reason };
			int rc;

			printk("lifecycle: shutting down with %s\n", ends[i].name);
			rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
			printk("lifecycle: SCHEDOP_shutdown(%s) returned %d\n", ends[i].name, rc);
			return rc ? 1 : 0;
		}
	}
	printk("lifecycle: no end= on the command line, powering off\n");
	return 0;
}
