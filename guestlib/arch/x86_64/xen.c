/*
 * xen.c (x86_64) - find Xen through CPUID and install the hypercall page.
 *
 * Detection (digest 1.4): the signature "XenVMMXenVMM" sits in EBX/ECX/EDX of
 * leaf base + 0, where base is one of 0x40000000..0x4000ff00 in steps of
 * 0x100 (0x40000100 when Viridian leaves come first). Leaf base + 1 gives
 * the version, leaf base + 2 the number of hypercall pages (EAX) and the MSR
 * that installs one (EBX).
 *
 * Installation (digest 1.5): write (GFN << 12) | page index, i.e. the page's
 * guest-physical address with index 0, to that MSR.
 *
 * Leaf base + 4 (HVM features) gives the domid in ECX when EAX has
 * XEN_HVM_CPUID_DOMID_PRESENT. We run identity mapped,
 * so &hypercall_page is its physical address.
 */
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/arch-x86/cpuid.h>

#include <arch.h>
#include <hypercall.h>
#include <guestlib/string.h>
#include <guestlib/xen.h>

#define XEN_CPUID_SCAN_LAST 0x4000ff00u
#define XEN_CPUID_SCAN_STEP 0x100u

int arch_xen_detect(struct xen_info *xi)
{
	uint32_t base, eax, ebx, ecx, edx;

	for (base = XEN_CPUID_FIRST_LEAF; base <= XEN_CPUID_SCAN_LAST;
	     base += XEN_CPUID_SCAN_STEP) {
		cpuid(base, 0, &eax, &ebx, &ecx, &edx);
		if (ebx == XEN_CPUID_SIGNATURE_EBX &&
		    ecx == XEN_CPUID_SIGNATURE_ECX &&
		    edx == XEN_CPUID_SIGNATURE_EDX)
			break;
	}
	if (base > XEN_CPUID_SCAN_LAST)
		return -XEN_ENODEV;

	xi->cpuid_base = base;
	xi->cpuid_max_leaf = eax;
	memcpy(&xi->signature[0], &ebx, 4);
	memcpy(&xi->signature[4], &ecx, 4);
	memcpy(&xi->signature[8], &edx, 4);
	xi->signature[12] = '\0';

	/* Leaves base+1 (version) and base+2 (hypercall page) must exist. */
	if (eax < base + 2)
		return -XEN_ENOSYS;

	cpuid(base + 1, 0, &eax, &ebx, &ecx, &edx);
	xi->cpuid_major = eax >> 16;
	xi->cpuid_minor = eax & 0xffff;

	cpuid(base + 2, 0, &eax, &ebx, &ecx, &edx);
	xi->hypercall_pages = eax;
	xi->hypercall_msr = ebx;
	if (xi->hypercall_pages < 1)
		return -XEN_ENOSYS;

	/* Leaf base+4 (HVM features) carries the domid when EAX says so. */
	if (xi->cpuid_max_leaf >= base + 4) {
		cpuid(base + 4, 0, &eax, &ebx, &ecx, &edx);
		if (eax & XEN_HVM_CPUID_DOMID_PRESENT) {
			xi->domid_present = 1;
			xi->domid = (uint16_t)ecx;
		}
	}
	return 0;
}

int arch_init_hypercall_page(const struct xen_info *xi)
{
	/* Page index 0 in the low 12 bits; any other value would #GP. */
	wrmsr(xi->hypercall_msr, (uint64_t)(uintptr_t)hypercall_page);
	return 0;
}
