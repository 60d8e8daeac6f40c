/*
 * start.c - from the PVH entry to the guest's main().
 *
 * entry.S switches to long mode and calls guest_start() with the physical
 * address of struct hvm_start_info (identity mapped, so usable as a pointer).
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/arch-x86/hvm/start_info.h>

#include <arch.h>
#include <guestlib/console.h>
#include <guestlib/guest.h>
#include <guestlib/sched.h>
#include <guestlib/smp.h>
#include <guestlib/xen.h>

void guest_start(struct hvm_start_info *si)
{
	int rc;

	/* vCPU 0's per-vCPU data first: printk uses smp_cpu_id(). */
	init_smp();

	/* Until the hypercall page is installed there is no way to report anything. */
	rc = init_xen();
	if (rc < 0)
		arch_crash();

	if (si->magic != XEN_HVM_START_MAGIC_VALUE) {
		printk("guestlib: bad hvm_start_info magic 0x%08x at %p (want 0x%08x)\n",
		       si->magic, (void *)si, XEN_HVM_START_MAGIC_VALUE);
		shutdown(SHUTDOWN_crash);
	}

	rc = main(si);
	if (rc == 0)
		shutdown(SHUTDOWN_poweroff);
	printk("guestlib: main returned %d, crashing the domain\n", rc);
	shutdown(SHUTDOWN_crash);
}

const char *start_info_cmdline(const struct hvm_start_info *si)
{
	if (!si->cmdline_paddr)
		return "";
	return (const char *)(uintptr_t)si->cmdline_paddr;
}

const struct hvm_memmap_table_entry *
start_info_memmap(const struct hvm_start_info *si, unsigned int *nr)
{
	/* memmap_paddr and memmap_entries exist from version 1 on. */
	if (si->version < 1 || !si->memmap_paddr) {
		*nr = 0;
		return NULL;
	}
	*nr = si->memmap_entries;
	return (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
}
