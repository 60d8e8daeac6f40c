/*
 * xen.c - portable part of Xen detection: runs the arch hooks once and keeps
 * the result for xen_get_info() and xen_ready().
 */
#include <guestlib/xen.h>
#include <guestlib/events.h>
#include <guestlib/hypervisor.h>

#include <xen/errno.h>
#include <xen/hvm/hvm_op.h>

static struct xen_info xen_info;

int init_xen(void)
{
	int rc;

	if (xen_info.ready)
		return 0;
	rc = arch_xen_detect(&xen_info);
	if (rc < 0)
		return rc;
	rc = arch_init_hypercall_page(&xen_info);
	if (rc < 0)
		return rc;
	xen_info.ready = 1;
	return 0;
}

const struct xen_info *xen_get_info(void)
{
	return &xen_info;
}

int xen_ready(void)
{
	return xen_info.ready;
}

int xen_domid(domid_t *domid)
{
	if (!xen_info.ready || !xen_info.domid_present)
		return -XEN_ENOSYS;
	*domid = xen_info.domid;
	return 0;
}

int xen_ring_params(uint32_t pfn_param, uint32_t evtchn_param, void **page, uint32_t *port)
{
	struct xen_hvm_param pfn = { .domid = DOMID_SELF, .index = pfn_param };
	struct xen_hvm_param evtchn = { .domid = DOMID_SELF, .index = evtchn_param };
	long rc = HYPERVISOR_hvm_op(HVMOP_get_param, &pfn);

	if (rc == 0)
		rc = HYPERVISOR_hvm_op(HVMOP_get_param, &evtchn);
	if (rc < 0)
		return (int)rc;
	if (pfn.value == 0 || evtchn.value == 0 || evtchn.value >= GUESTLIB_NR_EVTCHN ||
	    pfn.value >= (1ULL << (32 - XEN_PAGE_SHIFT)))
		return -XEN_ENODEV;
	*page = (void *)(uintptr_t)(pfn.value << XEN_PAGE_SHIFT);
	*port = (uint32_t)evtchn.value;
	return 0;
}
