/*
 * grant.h - grant tables (v1): sharing pages with other domains, mapping
 * and copying theirs.
 *
 * Our own table (what we grant): init_grant() asks GNTTABOP_query_size how
 * many frames the table has (nr_frames, 1 at boot) and may have
 * (max_nr_frames), then maps frame i with XENMEM_add_to_physmap
 * (XENMAPSPACE_grant_table, idx i) at guest-physical
 * GUESTLIB_GRANT_TABLE_GPA + i * 4 KiB, outside RAM (RAM ends at 3 GiB at
 * most) and inside the boot identity map. Frames are added, and the
 * hypervisor grows the table, when every mapped entry is in use.
 *
 * Entries are struct grant_entry_v1 {flags, domid, frame}, 512 per frame.
 * Refs 0..GNTTAB_NR_RESERVED_ENTRIES-1 belong to the toolstack (ref 1
 * grants the xenstore page to dom0) and are never handed out; refs are
 * allocated lowest free first, so a fresh guest's first grant is ref 8.
 * Granting writes domid and frame, then (write barrier) flags =
 * GTF_permit_access [| GTF_readonly]. Revoking compare-and-swaps flags to
 * 0 only while the hypervisor's GTF_reading/GTF_writing bits are clear
 * (Linux's gnttab_end_foreign_access_ref), else -XEN_EBUSY.
 *
 * Others' grants (mapping, copying) need no init_grant(). A mapping with
 * GNTMAP_host_map appears at host_addr, a page-aligned guest-physical
 * address outside RAM and outside the special pages below 4 GiB
 * (GUESTLIB_GRANT_MAP_GPA is a free window for it).
 *
 * Per-operation results are Xen's GNTST_* codes (int16_t, 0 = GNTST_okay,
 * negative on failure). Functions return 0 or a negative Xen errno; a
 * failed GNTST is turned into an errno by gnttab_status_errno() (the table
 * there), and the map/unmap/copy calls also hand back the raw GNTST code so
 * a caller can report Xen's own value.
 *
 * Locking: the ref allocator takes a spinlock with interrupts disabled, so
 * granting and revoking work from any vCPU and from event handlers.
 */
#ifndef GUESTLIB_GRANT_H
#define GUESTLIB_GRANT_H

#include <stdint.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

/* Where our own grant-table frames are mapped (frame i at + i * 4 KiB). */
#define GUESTLIB_GRANT_TABLE_GPA   0xF0000000UL
/* Most frames init_grant() will use (Xen's and xl's default maximum). */
#define GUESTLIB_GRANT_MAX_FRAMES  64
/* A free window for mapping others' grants (host_addr), 64 MiB. */
#define GUESTLIB_GRANT_MAP_GPA	   0xE0000000UL
#define GUESTLIB_GRANT_MAP_SIZE	   0x04000000UL

/*
 * Query the table size and map its current frames (at least one). Returns
 * 0, -XEN_ENODEV if the hypervisor has no grant table for us, or the
 * query/map error. A second call does nothing.
 */
int init_grant(void);

/*
 * Stop granting: -XEN_EBUSY while any ref we handed out is still granted
 * (gnttab_end_access() them first). The frames stay mapped (the
 * hypervisor owns them), like shared_info after fini_events().
 */
int fini_grant(void);

/* 1 once init_grant() has succeeded. */
int grant_ready(void);

/*
 * Grant domid access to our frame gfn (read-only if readonly != 0) and
 * store the ref in *ref. Returns 0, -XEN_ENODEV before init_grant(),
 * -XEN_EINVAL if gfn does not fit the entry's 32-bit frame field,
 * -XEN_ENOSPC when all max_nr_frames frames are in use, or the error from
 * mapping another frame.
 */
int gnttab_grant_access(domid_t domid, xen_pfn_t gfn, int readonly, grant_ref_t *ref);

/*
 * Revoke a grant made by gnttab_grant_access() and free its ref. Returns
 * 0, -XEN_EBUSY while the grantee has it mapped or a copy is using it
 * (GTF_reading or GTF_writing set; the grant stays), -XEN_EINVAL for a
 * ref we did not hand out.
 */
int gnttab_end_access(grant_ref_t ref);

/*
 * GNTTABOP_map_grant_ref with GNTMAP_host_map (| GNTMAP_readonly): map
 * domain dom's grant ref at guest-physical host_addr. On success stores
 * the handle for gnttab_unmap(). *status (may be NULL) receives the GNTST
 * code (GNTST_okay on success; GNTST_general_error when the hypercall
 * itself failed, whose errno is then returned). Returns 0 or
 * gnttab_status_errno(status), e.g. -XEN_EINVAL for GNTST_general_error
 * (ref not granted to us, or a write map of a read-only grant).
 */
int gnttab_map(domid_t dom, grant_ref_t ref, uint64_t host_addr, int readonly,
	       grant_handle_t *handle, int16_t *status);

/* GNTTABOP_unmap_grant_ref of a gnttab_map() mapping; *status as for gnttab_map. */
int gnttab_unmap(grant_handle_t handle, uint64_t host_addr, int16_t *status);

/*
 * GNTTABOP_copy of n operations (filled with the helpers below, or by
 * hand). Each ops[i].status receives its GNTST code. Returns 0 when all
 * are GNTST_okay, else the hypercall's errno or gnttab_status_errno() of
 * the first failed operation (the others may still have been done).
 */
int gnttab_copy(struct gnttab_copy *ops, unsigned int n);

/*
 * Fill *op to copy len bytes from domain dom's grant ref (at ref_off) to
 * our own frame gmfn (at gmfn_off). No checks: the hypervisor answers
 * GNTST_bad_copy_arg for a range that crosses a page.
 */
static inline void gnttab_copy_from_gref(struct gnttab_copy *op, domid_t dom,
					 grant_ref_t ref, uint16_t ref_off,
					 xen_pfn_t gmfn, uint16_t gmfn_off, uint16_t len)
{
	op->source.u.ref = ref;
	op->source.domid = dom;
	op->source.offset = ref_off;
	op->dest.u.gmfn = gmfn;
	op->dest.domid = DOMID_SELF;
	op->dest.offset = gmfn_off;
	op->len = len;
	op->flags = GNTCOPY_source_gref;
	op->status = GNTST_okay;
}

/* Fill *op to copy len bytes from our frame gmfn to domain dom's grant ref. */
static inline void gnttab_copy_to_gref(struct gnttab_copy *op, xen_pfn_t gmfn,
				       uint16_t gmfn_off, domid_t dom, grant_ref_t ref,
				       uint16_t ref_off, uint16_t len)
{
	op->source.u.gmfn = gmfn;
	op->source.domid = DOMID_SELF;
	op->source.offset = gmfn_off;
	op->dest.u.ref = ref;
	op->dest.domid = dom;
	op->dest.offset = ref_off;
	op->len = len;
	op->flags = GNTCOPY_dest_gref;
	op->status = GNTST_okay;
}

/*
 * Negative Xen errno for a GNTST code (0 for GNTST_okay):
 *   general_error -EINVAL, bad_domain -ESRCH, bad_gntref -ENOENT,
 *   bad_handle -EBADF, bad_virt_addr / bad_dev_addr / bad_page -EFAULT,
 *   no_device_space / no_space -ENOSPC, permission_denied -EPERM,
 *   bad_copy_arg -EINVAL, address_too_big -ERANGE, eagain -EAGAIN,
 *   anything else -EIO.
 */
int gnttab_status_errno(int16_t status);

/* Xen's message for a GNTST code (GNTTABOP_error_msgs), "unknown status" otherwise. */
const char *gnttab_status_str(int16_t status);

#endif /* GUESTLIB_GRANT_H */
