/*
 * xen.h - finding the hypervisor and installing the hypercall page.
 *
 * init_xen() runs once, from guest_start(), before main(). Until it succeeds
 * no hypercall may be made: the hypercall page still holds INT3 bytes.
 * There is no fini_xen(): Xen's hypercall-page MSR cannot be unset.
 */
#ifndef GUESTLIB_XEN_H
#define GUESTLIB_XEN_H

#include <stdint.h>
#include <xen/xen.h>

/*
 * Xen's page: 4 KiB on every architecture for hypercall arguments, grant
 * tables, shared rings and frame numbers (guest memory is identity mapped,
 * so a page's gfn is its address >> XEN_PAGE_SHIFT). <xen/io/ring.h>
 * defines the same XEN_PAGE_SHIFT unless it is already defined; Xen's
 * public headers have no XEN_PAGE_SIZE.
 */
#define XEN_PAGE_SHIFT 12
#define XEN_PAGE_SIZE  (1UL << XEN_PAGE_SHIFT)

/* What detection found. Filled by init_xen(); read-only afterwards. */
struct xen_info {
	uint32_t cpuid_base;	  /* leaf holding the signature: 0x40000000, or 0x40000100 etc. */
	uint32_t cpuid_max_leaf;  /* EAX of cpuid_base: highest Xen leaf (absolute) */
	char signature[13];	  /* "XenVMMXenVMM", NUL terminated */
	uint16_t cpuid_major;	  /* version from leaf base+1 (EAX >> 16) */
	uint16_t cpuid_minor;	  /* version from leaf base+1 (EAX & 0xffff) */
	uint32_t hypercall_pages; /* leaf base+2 EAX: number of hypercall pages (1) */
	uint32_t hypercall_msr;	  /* leaf base+2 EBX: MSR that installs the page */
	int domid_present;	  /* leaf base+4 EAX has XEN_HVM_CPUID_DOMID_PRESENT */
	uint16_t domid;		  /* leaf base+4 ECX: this domain's id, if present */
	int ready;		  /* 1 once the hypercall page is installed */
};

/*
 * init_xen - detect Xen and install the hypercall page.
 * Returns 0, -XEN_ENODEV when no Xen signature is found, -XEN_ENOSYS when the
 * Xen leaves are too few or offer no hypercall page.
 */
int init_xen(void);

/* xen_get_info - detection results (all zero before init_xen()). */
const struct xen_info *xen_get_info(void);

/* xen_ready - 1 when hypercalls may be made, else 0. */
int xen_ready(void);

/*
 * xen_domid - this domain's id (CPUID leaf base+4, ECX) into *domid.
 * Returns 0, or -XEN_ENOSYS when the hypervisor does not report it.
 */
int xen_domid(domid_t *domid);

/*
 * xen_ring_params reads the HVM params naming a page the toolstack shares
 * with the guest and its event channel (HVM_PARAM_STORE_PFN/EVTCHN,
 * HVM_PARAM_CONSOLE_PFN/EVTCHN) and returns the page's address (identity
 * mapped) and the port. -XEN_ENODEV when either is unset, the port is not
 * one guestlib can bind, or the page is not below 4 GiB (unmapped).
 */
int xen_ring_params(uint32_t pfn_param, uint32_t evtchn_param, void **page, uint32_t *port);

/*
 * Architecture hooks, implemented in arch/<arch>/xen.c:
 * arch_xen_detect fills the cpuid_* / signature / hypercall_* fields and
 * returns 0 or a negative errno; arch_init_hypercall_page asks the hypervisor
 * to write its stubs into hypercall_page and returns 0 or a negative errno.
 */
int arch_xen_detect(struct xen_info *xi);
int arch_init_hypercall_page(const struct xen_info *xi);

#endif /* GUESTLIB_XEN_H */
