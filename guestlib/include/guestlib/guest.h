/*
 * guest.h - the contract between guestlib and a guest program.
 *
 * Boot flow: pvh_start (arch/<arch>/entry.S) -> guest_start(si) -> init_xen()
 * -> main(si) -> shutdown(). A guest defines main():
 *
 *   int main(const struct hvm_start_info *si);
 *
 * It runs on vCPU 0 with a 16 KiB stack, interrupts disabled, no IDT, and
 * the first 4 GiB identity mapped, so every physical address in *si can be
 * dereferenced as a pointer. Returning 0 powers the domain off
 * (SHUTDOWN_poweroff); any other value is printed and crashes it
 * (SHUTDOWN_crash).
 */
#ifndef GUESTLIB_GUEST_H
#define GUESTLIB_GUEST_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

/* Defined by the guest. */
int main(const struct hvm_start_info *si);

/* Called by entry.S with ebx from the PVH entry; does not return. */
__attribute__((noreturn)) void guest_start(struct hvm_start_info *si);

/* Command line from start_info, or "" when there is none. */
const char *start_info_cmdline(const struct hvm_start_info *si);

/*
 * Memory map from start_info (version 1 and later); stores the entry count
 * in *nr (0 when absent, in which case use XENMEM_memory_map).
 */
const struct hvm_memmap_table_entry *
start_info_memmap(const struct hvm_start_info *si, unsigned int *nr);

#endif /* GUESTLIB_GUEST_H */
