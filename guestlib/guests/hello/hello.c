/*
 * hello - the smallest useful guestlib guest: prints what the hypervisor
 * tells a PVH domain about itself, checks two answers, and powers off.
 *
 * Fails (returns nonzero, so guest_start crashes the domain) when a query
 * fails, when XENMEM_memory_map disagrees with the start_info memory map, or
 * when the unassigned hypercall 11 does not answer -ENOSYS.
 */
#include <guestlib/guestlib.h>
#include <xen/version.h>
#include <xen/memory.h>

#define UNASSIGNED_HYPERCALL 11	/* no hypercall has this number (xen.h) */
#define MAX_E820		16

/*
 * The BIOS E820 entry XENMEM_memory_map fills in (20 bytes, packed); Xen's
 * public headers do not define it.
 */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct e820_entry) == 20, "e820 entry is 20 bytes");

static struct e820_entry e820[MAX_E820];

/* Compare XENMEM_memory_map with the start_info map. Returns 0 if they match. */
static int check_memory_map(const struct hvm_memmap_table_entry *mm,
			    unsigned int nr)
{
	struct xen_memory_map map = { .nr_entries = MAX_E820 };
	unsigned int i;
	long rc;

	set_xen_guest_handle(map.buffer, e820);
	rc = HYPERVISOR_memory_op(XENMEM_memory_map, &map);
	if (rc < 0) {
		printk("hello: XENMEM_memory_map failed: %ld\n", rc);
		return -1;
	}
	rc = map.nr_entries == nr ? 0 : -1;
	for (i = 0; rc == 0 && i < nr; i++)
		if (e820[i].addr != mm[i].addr || e820[i].size != mm[i].size ||
		    e820[i].type != mm[i].type)
			rc = -1;
	printk("hello: XENMEM_memory_map %u entries (%s)\n", map.nr_entries,
	       rc == 0 ? "matches start_info" : "MISMATCH");
	if (rc < 0) /* show what the hypervisor said, for the bug report */
		for (i = 0; i < map.nr_entries && i < MAX_E820; i++)
			printk("hello:   xen[%u] base 0x%016lx size 0x%016lx type %u\n",
			       i, (unsigned long)e820[i].addr,
			       (unsigned long)e820[i].size, e820[i].type);
	return rc;
}

int main(const struct hvm_start_info *si)
{
	const struct xen_info *xi = xen_get_info();
	const struct hvm_memmap_table_entry *mm;
	xen_feature_info_t features = { .submap_idx = 0 };
	char extra[XEN_EXTRAVERSION_LEN + 1];
	unsigned int nr, i;
	int version, pagesize, rc, failed = 0;
	long r;

	printk("hello: Xenolith PVH guest booted\n");

	version = HYPERVISOR_xen_version(XENVER_version, NULL);
	rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
	if (version < 0 || rc < 0) {
		printk("hello: XENVER_version %d, XENVER_extraversion %d: FAIL\n",
		       version, rc);
		return 1;
	}
	extra[XEN_EXTRAVERSION_LEN] = '\0';
	printk("hello: hypervisor %s at cpuid 0x%08x, Xen %d.%d%s\n",
	       xi->signature, xi->cpuid_base, version >> 16, version & 0xffff,
	       extra);

	rc = HYPERVISOR_xen_version(XENVER_get_features, &features);
	if (rc < 0) {
		printk("hello: XENVER_get_features failed: %d\n", rc);
		return 1;
	}
	printk("hello: xen features 0x%08x\n", features.submap);

	pagesize = HYPERVISOR_xen_version(XENVER_pagesize, NULL);
	printk("hello: pagesize %d\n", pagesize);
	if (pagesize < 0)
		failed = 1;

	printk("hello: cmdline \"%s\"\n", start_info_cmdline(si));

	mm = start_info_memmap(si, &nr);
	printk("hello: start_info memmap %u entries\n", nr);
	for (i = 0; i < nr; i++)
		printk("hello:   [%u] base 0x%016lx size 0x%016lx type %u\n", i,
		       (unsigned long)mm[i].addr, (unsigned long)mm[i].size,
		       mm[i].type);
	if (check_memory_map(mm, nr) < 0)
		failed = 1;

	/* Modules (the ramdisk) are listed only when there are any. */
	if (si->version >= 1 && si->nr_modules && si->modlist_paddr) {
		const struct hvm_modlist_entry *mod =
			(const void *)(uintptr_t)si->modlist_paddr;

		for (i = 0; i < si->nr_modules; i++) {
			const char *p = (const void *)(uintptr_t)mod[i].paddr;
			char head[17];
			unsigned int k;

			for (k = 0; k < 16 && k < mod[i].size; k++)
				head[k] = p[k] >= 0x20 && p[k] < 0x7f ? p[k] : '.';
			head[k] = '\0';
			printk("hello: module %u at 0x%lx size %lu starts \"%s\"\n", i,
			       (unsigned long)mod[i].paddr, (unsigned long)mod[i].size, head);
		}
	}

	r = hypercall_raw(UNASSIGNED_HYPERCALL, 0, 0, 0, 0, 0);
	printk("hello: unknown hypercall %d returned %ld (%s)\n",
	       UNASSIGNED_HYPERCALL, r, r == -XEN_ENOSYS ? "ok" : "FAIL");
	if (r != -XEN_ENOSYS)
		failed = 1;

	if (failed)
		return 1;
	printk("hello: powering off\n");
	return 0;
}
