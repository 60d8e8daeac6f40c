package hypervisor

// ioctl number encoding from <asm-generic/ioctl.h>.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	iocNrShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
)

func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<iocDirShift | typ<<iocTypeShift | nr<<iocNrShift | size<<iocSizeShift
}
func io(nr uintptr) uintptr         { return ioc(iocNone, kvmio, nr, 0) }
func ior(nr, size uintptr) uintptr  { return ioc(iocRead, kvmio, nr, size) }
func iow(nr, size uintptr) uintptr  { return ioc(iocWrite, kvmio, nr, size) }
func iowr(nr, size uintptr) uintptr { return ioc(iocRead|iocWrite, kvmio, nr, size) }

const kvmio = 0xAE

// KVM ioctls (<linux/kvm.h>). Sizes are those of the C argument structs,
// mirrored in kvm_types.go.
var (
	KVM_GET_API_VERSION        = io(0x00)
	KVM_CREATE_VM              = io(0x01)
	KVM_CHECK_EXTENSION        = io(0x03)
	KVM_GET_VCPU_MMAP_SIZE     = io(0x04)
	KVM_GET_SUPPORTED_CPUID    = iowr(0x05, 8)
	KVM_CREATE_VCPU            = io(0x41)
	KVM_SET_USER_MEMORY_REGION = iow(0x46, 32)
	KVM_SET_TSS_ADDR           = io(0x47)
	KVM_SET_IDENTITY_MAP_ADDR  = iow(0x48, 8)
	KVM_CREATE_IRQCHIP         = io(0x60)
	KVM_RUN                    = io(0x80)
	KVM_GET_REGS               = ior(0x81, 144)
	KVM_SET_REGS               = iow(0x82, 144)
	KVM_GET_SREGS              = ior(0x83, 312)
	KVM_SET_SREGS              = iow(0x84, 312)
	KVM_INTERRUPT              = iow(0x86, 4)
	KVM_GET_MSRS               = iowr(0x88, 8)
	KVM_SET_CPUID2             = iow(0x90, 8)
	KVM_ENABLE_CAP             = iow(0xa3, 104)
	KVM_GET_TSC_KHZ            = io(0xa3)
	KVM_SIGNAL_MSI             = iow(0xa5, 32)
	KVM_X86_SET_MSR_FILTER     = iow(0xc6, 392)
)

// KVM_API_VERSION is the only API version KVM has ever reported.
const KVM_API_VERSION = 12

// Capabilities (KVM_CAP_*) the code uses.
const (
	KVM_CAP_IRQCHIP               = 0
	KVM_CAP_USER_MEMORY           = 3
	KVM_CAP_SET_TSS_ADDR          = 4
	KVM_CAP_EXT_CPUID             = 7
	KVM_CAP_SET_IDENTITY_MAP_ADDR = 37
	KVM_CAP_GET_TSC_KHZ           = 61
	KVM_CAP_MAX_VCPUS             = 66
	KVM_CAP_IMMEDIATE_EXIT        = 136
	KVM_CAP_X86_USER_SPACE_MSR    = 188
	KVM_CAP_X86_MSR_FILTER        = 189
)

// Exit reasons (kvm_run.exit_reason).
const (
	KVM_EXIT_UNKNOWN         = 0
	KVM_EXIT_EXCEPTION       = 1
	KVM_EXIT_IO              = 2
	KVM_EXIT_HYPERCALL       = 3
	KVM_EXIT_DEBUG           = 4
	KVM_EXIT_HLT             = 5
	KVM_EXIT_MMIO            = 6
	KVM_EXIT_IRQ_WINDOW_OPEN = 7
	KVM_EXIT_SHUTDOWN        = 8
	KVM_EXIT_FAIL_ENTRY      = 9
	KVM_EXIT_INTR            = 10
	KVM_EXIT_INTERNAL_ERROR  = 17
	KVM_EXIT_SYSTEM_EVENT    = 24
	KVM_EXIT_X86_RDMSR       = 29
	KVM_EXIT_X86_WRMSR       = 30

	// NumExitReasons bounds the per-reason exit counters.
	NumExitReasons = 64
)

// KVM_EXIT_IO directions.
const (
	KVM_EXIT_IO_IN  = 0
	KVM_EXIT_IO_OUT = 1
)

// User-space MSR exits and filters.
const (
	KVM_MSR_EXIT_REASON_INVAL   = 1 << 0
	KVM_MSR_EXIT_REASON_UNKNOWN = 1 << 1
	KVM_MSR_EXIT_REASON_FILTER  = 1 << 2

	KVM_MSR_FILTER_READ          = 1 << 0
	KVM_MSR_FILTER_WRITE         = 1 << 1
	KVM_MSR_FILTER_DEFAULT_ALLOW = 0
	KVM_MSR_FILTER_MAX_RANGES    = 16
)

// KVM_MEM_* memslot flags.
const (
	KVM_MEM_LOG_DIRTY_PAGES = 1 << 0
	KVM_MEM_READONLY        = 1 << 1
)

// kvm_run field offsets (x86; the union starts at 32).
const (
	runRequestInterruptWindow = 0
	runImmediateExit          = 1
	runExitReason             = 8
	runReadyForInjection      = 12
	runIfFlag                 = 13
	runUnion                  = 32

	runIODirection  = runUnion + 0
	runIOSize       = runUnion + 1
	runIOPort       = runUnion + 2
	runIOCount      = runUnion + 4
	runIODataOffset = runUnion + 8

	runMMIOPhysAddr = runUnion + 0
	runMMIOData     = runUnion + 8
	runMMIOLen      = runUnion + 16
	runMMIOIsWrite  = runUnion + 20

	runMSRError  = runUnion + 0
	runMSRReason = runUnion + 8
	runMSRIndex  = runUnion + 12
	runMSRData   = runUnion + 16

	runInternalSuberror = runUnion + 0
	runInternalNdata    = runUnion + 4
	runInternalData     = runUnion + 8

	runFailEntryReason = runUnion + 0
	runFailEntryCPU    = runUnion + 8

	runSystemEventType = runUnion + 0
)

// Architectural x86 constants used for initial state and page walks.
const (
	CR0_PE = 1 << 0
	CR0_ET = 1 << 4
	CR0_WP = 1 << 16
	CR0_PG = 1 << 31

	CR4_PSE  = 1 << 4
	CR4_PAE  = 1 << 5
	CR4_LA57 = 1 << 12
	CR4_SMEP = 1 << 20

	EFER_LME = 1 << 8
	EFER_LMA = 1 << 10
	EFER_NXE = 1 << 11
)
