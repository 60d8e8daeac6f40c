/*
 * grant.c - grant tables v1 (<guestlib/grant.h>).
 *
 * State (all guarded by lock, taken with interrupts disabled, except the
 * entries' contents):
 *   table	  our grant entries: frame i of the table is mapped at
 *		  GUESTLIB_GRANT_TABLE_GPA + i * 4 KiB; NULL before init_grant();
 *   nr_mapped	  frames mapped so far (refs 0 .. nr_mapped * 512 - 1 usable);
 *   max_frames	  min(max_nr_frames from GNTTABOP_query_size, GUESTLIB_GRANT_MAX_FRAMES);
 *   used	  bitmap of refs handed out (and the reserved refs 0..7);
 *   nr_granted	  refs handed out and not yet revoked.
 * An entry's domid and frame are written by the granting caller before
 * its flags (write barrier); its flags are revoked with LOCK CMPXCHG since
 * the hypervisor sets GTF_reading/GTF_writing in them concurrently.
 */
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include <arch.h>
#include <guestlib/grant.h>
#include <guestlib/hypervisor.h>
#include <guestlib/spinlock.h>
#include <guestlib/xen.h>

#define ENTRIES_PER_FRAME (XEN_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define MAX_REFS	  (GUESTLIB_GRANT_MAX_FRAMES * ENTRIES_PER_FRAME)
#define BITS_PER_WORD	  64
#define NR_WORDS	  (MAX_REFS / BITS_PER_WORD)

_Static_assert(sizeof(grant_entry_v1_t) == 8, "v1 entries are 8 bytes");
_Static_assert(ENTRIES_PER_FRAME % BITS_PER_WORD == 0, "whole bitmap words per frame");
_Static_assert(GNTTAB_NR_RESERVED_ENTRIES <= BITS_PER_WORD, "reserved refs in word 0");

static volatile grant_entry_v1_t *table;
static unsigned int nr_mapped, max_frames;
static unsigned long used[NR_WORDS];
static unsigned int nr_granted;
static spinlock_t lock = SPINLOCK_INIT;

/* ---- our table ---- */

static int map_frame(unsigned int i)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_grant_table,
		.idx = i,
		.gpfn = (GUESTLIB_GRANT_TABLE_GPA >> XEN_PAGE_SHIFT) + i,
	};
	long rc = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);

	return rc < 0 ? (int)rc : 0;
}

int init_grant(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	unsigned int i, n;
	unsigned long flags;
	int rc;

	if (table)
		return 0;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (rc < 0)
		return rc;
	if (q.status != GNTST_okay)
		return gnttab_status_errno(q.status);
	if (q.max_nr_frames == 0)
		return -XEN_ENODEV;
	n = q.nr_frames ? q.nr_frames : 1;
	if (n > GUESTLIB_GRANT_MAX_FRAMES)
		n = GUESTLIB_GRANT_MAX_FRAMES;
	for (i = 0; i < n; i++) {
		rc = map_frame(i);
		if (rc < 0)
			return rc;
	}
	flags = spin_lock_irqsave(&lock);
	max_frames = q.max_nr_frames < GUESTLIB_GRANT_MAX_FRAMES ? q.max_nr_frames
								 : GUESTLIB_GRANT_MAX_FRAMES;
	nr_mapped = n;
	used[0] = (1UL << GNTTAB_NR_RESERVED_ENTRIES) - 1;
	table = (volatile grant_entry_v1_t *)GUESTLIB_GRANT_TABLE_GPA;
	spin_unlock_irqrestore(&lock, flags);
	return 0;
}

int fini_grant(void)
{
	unsigned long flags;
	int rc = 0;

	flags = spin_lock_irqsave(&lock);
	if (nr_granted)
		rc = -XEN_EBUSY;
	else
		table = NULL;
	spin_unlock_irqrestore(&lock, flags);
	return rc;
}

int grant_ready(void)
{
	return table != NULL;
}

/* Lowest free ref below nr_mapped frames, marked used; -XEN_ENOSPC if none. Under lock. */
static int alloc_ref_locked(grant_ref_t *ref)
{
	unsigned int w, words = nr_mapped * (ENTRIES_PER_FRAME / BITS_PER_WORD);
	unsigned long free;

	for (w = 0; w < words; w++) {
		free = ~used[w];
		if (free) {
			unsigned int b = arch_ffs(free);

			used[w] |= 1UL << b;
			*ref = w * BITS_PER_WORD + b;
			return 0;
		}
	}
	return -XEN_ENOSPC;
}

int gnttab_grant_access(domid_t domid, xen_pfn_t gfn, int readonly, grant_ref_t *ref)
{
	volatile grant_entry_v1_t *e;
	unsigned long flags;
	grant_ref_t r = 0;
	int rc;

	if (gfn > UINT32_MAX)
		return -XEN_EINVAL;
	flags = spin_lock_irqsave(&lock);
	if (!table) {
		rc = -XEN_ENODEV;
	} else {
		rc = alloc_ref_locked(&r);
		if (rc == -XEN_ENOSPC && nr_mapped < max_frames) {
			/* The hypervisor grows the table to cover the new frame. */
			rc = map_frame(nr_mapped);
			if (rc == 0) {
				nr_mapped++;
				rc = alloc_ref_locked(&r);
			}
		}
		if (rc == 0)
			nr_granted++;
	}
	spin_unlock_irqrestore(&lock, flags);
	if (rc < 0)
		return rc;

	e = &table[r];
	e->domid = domid;
	e->frame = (uint32_t)gfn;
	wmb(); /* domid and frame before the flags that make them valid */
	e->flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
	*ref = r;
	return 0;
}

int gnttab_end_access(grant_ref_t ref)
{
	volatile uint16_t *pflags;
	unsigned long flags;
	uint16_t old, seen;

	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= MAX_REFS)
		return -XEN_EINVAL;
	flags = spin_lock_irqsave(&lock);
	if (!table || ref >= nr_mapped * ENTRIES_PER_FRAME ||
	    !(used[ref / BITS_PER_WORD] & (1UL << (ref % BITS_PER_WORD)))) {
		spin_unlock_irqrestore(&lock, flags);
		return -XEN_EINVAL;
	}
	pflags = &table[ref].flags;
	old = *pflags;
	for (;;) {
		if (old & (GTF_reading | GTF_writing)) {
			spin_unlock_irqrestore(&lock, flags);
			return -XEN_EBUSY;
		}
		seen = arch_cmpxchg16(pflags, old, 0);
		if (seen == old)
			break;
		old = seen; /* the hypervisor changed reading/writing meanwhile */
	}
	used[ref / BITS_PER_WORD] &= ~(1UL << (ref % BITS_PER_WORD));
	nr_granted--;
	spin_unlock_irqrestore(&lock, flags);
	return 0;
}

/* ---- others' grants ---- */

int gnttab_map(domid_t dom, grant_ref_t ref, uint64_t host_addr, int readonly,
	       grant_handle_t *handle, int16_t *status)
{
	struct gnttab_map_grant_ref op = {
		.host_addr = host_addr,
		.flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
		.ref = ref,
		.dom = dom,
		.status = GNTST_general_error,
	};
	int rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &op, 1);

	if (rc < 0)
		op.status = GNTST_general_error;
	if (status)
		*status = op.status;
	if (rc < 0)
		return rc;
	if (op.status != GNTST_okay)
		return gnttab_status_errno(op.status);
	*handle = op.handle;
	return 0;
}

int gnttab_unmap(grant_handle_t handle, uint64_t host_addr, int16_t *status)
{
	struct gnttab_unmap_grant_ref op = {
		.host_addr = host_addr,
		.handle = handle,
		.status = GNTST_general_error,
	};
	int rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &op, 1);

	if (rc < 0)
		op.status = GNTST_general_error;
	if (status)
		*status = op.status;
	if (rc < 0)
		return rc;
	return gnttab_status_errno(op.status);
}

int gnttab_copy(struct gnttab_copy *ops, unsigned int n)
{
	unsigned int i;
	int rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, ops, n);

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (ops[i].status != GNTST_okay)
			return gnttab_status_errno(ops[i].status);
	return 0;
}

/* ---- status codes ---- */

int gnttab_status_errno(int16_t status)
{
	switch (status) {
	case GNTST_okay:
		return 0;
	case GNTST_general_error:
	case GNTST_bad_copy_arg:
		return -XEN_EINVAL;
	case GNTST_bad_domain:
		return -XEN_ESRCH;
	case GNTST_bad_gntref:
		return -XEN_ENOENT;
	case GNTST_bad_handle:
		return -XEN_EBADF;
	case GNTST_bad_virt_addr:
	case GNTST_bad_dev_addr:
	case GNTST_bad_page:
		return -XEN_EFAULT;
	case GNTST_no_device_space:
	case GNTST_no_space:
		return -XEN_ENOSPC;
	case GNTST_permission_denied:
		return -XEN_EPERM;
	case GNTST_address_too_big:
		return -XEN_ERANGE;
	case GNTST_eagain:
		return -XEN_EAGAIN;
	default:
		return -XEN_EIO;
	}
}

const char *gnttab_status_str(int16_t status)
{
	static const char *const msgs[] = GNTTABOP_error_msgs;

	if (status > 0 || -(int)status >= (int)(sizeof(msgs) / sizeof(msgs[0])))
		return "unknown status";
	return msgs[-status];
}
