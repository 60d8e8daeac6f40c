/*
 * xen.c - portable part of Xen detection: runs the arch hooks once and keeps
 * the result for xen_get_info() and xen_ready().
 */
#include <xen/errno.h>

#include <guestlib/xen.h>

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
