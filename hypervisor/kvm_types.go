package hypervisor

// Regs is the general-purpose register file of an x86-64 vCPU.
// Layout mirrors struct kvm_regs (<asm/kvm.h>), 144 bytes.
type Regs struct {
	RAX, RBX, RCX, RDX uint64
	RSI, RDI, RSP, RBP uint64
	R8, R9, R10, R11   uint64
	R12, R13, R14, R15 uint64
	RIP, RFLAGS        uint64
}

// Segment is a segment register with its hidden descriptor cache.
// Layout mirrors struct kvm_segment, 24 bytes.
type Segment struct {
	Base     uint64
	Limit    uint32
	Selector uint16
	Type     uint8
	Present  uint8
	DPL      uint8
	DB       uint8
	S        uint8
	L        uint8
	G        uint8
	AVL      uint8
	Unusable uint8
	_        uint8
}

// DTable is a descriptor-table register (GDTR, IDTR).
// Layout mirrors struct kvm_dtable, 16 bytes.
type DTable struct {
	Base  uint64
	Limit uint16
	_     [3]uint16
}

// Sregs holds segment, control and descriptor-table registers.
// Layout mirrors struct kvm_sregs, 312 bytes.
type Sregs struct {
	CS, DS, ES, FS, GS, SS Segment
	TR, LDT                Segment
	GDT, IDT               DTable
	CR0, CR2, CR3, CR4     uint64
	CR8                    uint64
	EFER                   uint64
	APICBase               uint64
	InterruptBitmap        [4]uint64
}

// CPL is the current privilege level (SS.DPL, as KVM itself computes it).
func (s *Sregs) CPL() int { return int(s.SS.DPL) }

// LongMode64 reports whether the vCPU executes 64-bit code (EFER.LMA and CS.L).
func (s *Sregs) LongMode64() bool { return s.EFER&EFER_LMA != 0 && s.CS.L != 0 }

// userspaceMemoryRegion mirrors struct kvm_userspace_memory_region, 32 bytes.
type userspaceMemoryRegion struct {
	Slot          uint32
	Flags         uint32
	GuestPhysAddr uint64
	MemorySize    uint64
	UserspaceAddr uint64
}

// CPUIDEntry is one CPUID leaf (function, sub-leaf index) and its outputs.
// Layout mirrors struct kvm_cpuid_entry2, 40 bytes.
type CPUIDEntry struct {
	Function uint32
	Index    uint32
	Flags    uint32
	EAX      uint32
	EBX      uint32
	ECX      uint32
	EDX      uint32
	_        [3]uint32
}

// KVM_CPUID_FLAG_SIGNIFCANT_INDEX marks a leaf whose sub-leaf index matters
// (spelled as in <asm/kvm.h>).
const KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1

// maxCPUIDEntries bounds KVM_GET_SUPPORTED_CPUID's answer.
const maxCPUIDEntries = 256

// cpuid2 mirrors struct kvm_cpuid2 with a fixed-size entry array.
type cpuid2 struct {
	Nent    uint32
	_       uint32
	Entries [maxCPUIDEntries]CPUIDEntry
}

// msrFilterRange mirrors struct kvm_msr_filter_range, 24 bytes.
type msrFilterRange struct {
	Flags  uint32
	NMSRs  uint32
	Base   uint32
	_      uint32
	Bitmap uintptr // *__u8; valid only for the duration of the ioctl
}

// msrFilter mirrors struct kvm_msr_filter, 392 bytes.
type msrFilter struct {
	Flags  uint32
	_      uint32
	Ranges [KVM_MSR_FILTER_MAX_RANGES]msrFilterRange
}

// enableCap mirrors struct kvm_enable_cap, 104 bytes.
type enableCap struct {
	Cap   uint32
	Flags uint32
	Args  [4]uint64
	_     [64]uint8
}

// kvmMSI mirrors struct kvm_msi, 32 bytes.
type kvmMSI struct {
	AddressLo uint32
	AddressHi uint32
	Data      uint32
	Flags     uint32
	DevID     uint32
	_         [12]uint8
}
