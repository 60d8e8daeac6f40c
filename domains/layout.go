package domains

// Guest-physical memory layout of a PVH domain.
//
// RAM starts at gpa 0 and is MemoryMiB long. Above it, just below 4 GiB,
// sits the special-page region, the same window libxc uses for HVM/PVH
// special pages (X86_HVM_END_SPECIAL_REGION 0xff000, 8 pages). It is a
// separate memslot, reported to the guest as reserved in the memory map, and
// holds the pages the domain builder writes for the guest.
const (
	// PageSize is Xen's ABI page size in bytes.
	PageSize = 4096

	// SpecialBase is the gpa of the first special page.
	SpecialBase = 0xFEFF8000
	// SpecialPages is the number of pages in the special region.
	SpecialPages = 8
	// SpecialEnd is one past the last byte of the special region.
	SpecialEnd = SpecialBase + SpecialPages*PageSize

	// StartInfoGPA holds hvm_start_info (56 bytes), followed at
	// MemmapGPA by the hvm_memmap_table_entry array.
	StartInfoGPA = SpecialBase
	// ModlistGPA holds the hvm_modlist_entry array (one entry: the
	// ramdisk), right after hvm_start_info.
	ModlistGPA = SpecialBase + 0x40
	// MemmapGPA is the gpa of the memory map array (at most MaxMemmapEntries).
	MemmapGPA = SpecialBase + 0x100
	// MaxMemmapEntries bounds the memory map so it stays in its page.
	MaxMemmapEntries = (PageSize - 0x100) / 24
	// CmdlineGPA is the page holding the NUL-terminated kernel command line.
	CmdlineGPA = SpecialBase + PageSize
	// MaxCmdlineBytes is Xen's MAX_GUEST_CMDLINE, terminator included.
	MaxCmdlineBytes = 1024

	// StoreGPA is the xenstore ring page (xenstore_domain_interface),
	// named by HVM_PARAM_STORE_PFN and granted to dom0 as reserved
	// grant ref 1.
	StoreGPA = SpecialBase + 3*PageSize
	// ConsoleGPA is the primary console ring page (xencons_interface),
	// named by HVM_PARAM_CONSOLE_PFN and granted to dom0 as ref 0.
	ConsoleGPA = SpecialBase + 4*PageSize

	// MaxMemoryMiB keeps RAM below the special region (no RAM above 4 GiB yet).
	MaxMemoryMiB = 3072
)
