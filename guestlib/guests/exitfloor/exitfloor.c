/*
 * exitfloor - the cost floor for anything that leaves the guest: times
 * count port-I/O writes to a port with no device (one exit each, nothing
 * behind it) and count null hypercalls (XENVER_version: one exit plus
 * dispatch) with pvclock, and prints
 *   exitfloor: <n> port-I/O exits <ns> ns each, <n> hypercalls <ns> ns each
 * Command line: count=<n> (default 10000).
 */
#include <guestlib/guestlib.h>
#include <xen/version.h>

#define NO_DEVICE_PORT 0xE1

int main(const struct hvm_start_info *si)
{
	unsigned long count = 10000, i;
	uint64_t t0, t1, t2;
	int rc;

	cmdline_get_ulong(start_info_cmdline(si), "count", &count);
	if (count == 0)
		count = 1;
	rc = init_events();
	if (rc == 0)
		rc = init_time();
	if (rc < 0) {
		printk("exitfloor: set-up failed: %d\n", rc);
		return 1;
	}
	t0 = monotonic_ns();
	for (i = 0; i < count; i++)
		asm volatile("outb %%al, %0" : : "i"(NO_DEVICE_PORT), "a"(0) : "memory");
	t1 = monotonic_ns();
	for (i = 0; i < count; i++)
		HYPERVISOR_xen_version(XENVER_version, NULL);
	t2 = monotonic_ns();
	printk("exitfloor: %lu port-I/O exits %lu ns each, %lu hypercalls %lu ns each\n",
	       count, (unsigned long)((t1 - t0) / count), count,
	       (unsigned long)((t2 - t1) / count));
	return 0;
}
