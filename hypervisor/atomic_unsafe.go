package hypervisor

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Atomic read-modify-write on guest memory, for structures the guest
// shares with the hypervisor (shared_info's pending and mask words,
// vcpu_info's selector and upcall flag). They are locked x86 operations
// on the shared mapping, so they are atomic with respect to the guest's
// own locked operations on the same words.

// word64 returns the aligned u64 at gpa.
//
// Safety: Slice returns a subslice of an mmap'd region, which the GC never
// moves and which stays mapped until the VM is closed; the 8-byte
// alignment check makes the pointer valid for sync/atomic. The pointer is
// used only within the calling function.
func (m *Memory) word64(gpa uint64) (*uint64, error) {
	if gpa%8 != 0 {
		return nil, fmt.Errorf("%w: unaligned u64 at %#x", ErrBadGPA, gpa)
	}
	b, err := m.Slice(gpa, 8)
	if err != nil {
		return nil, err
	}
	return (*uint64)(unsafe.Pointer(unsafe.SliceData(b))), nil
}

// word32 returns the aligned u32 at gpa.
//
// Safety: as word64, with 4-byte alignment.
func (m *Memory) word32(gpa uint64) (*uint32, error) {
	if gpa%4 != 0 {
		return nil, fmt.Errorf("%w: unaligned u32 at %#x", ErrBadGPA, gpa)
	}
	b, err := m.Slice(gpa, 4)
	if err != nil {
		return nil, err
	}
	return (*uint32)(unsafe.Pointer(unsafe.SliceData(b))), nil
}

// Or64 atomically ORs mask into the u64 at gpa and returns the old value.
func (m *Memory) Or64(gpa, mask uint64) (uint64, error) {
	p, err := m.word64(gpa)
	if err != nil {
		return 0, err
	}
	return atomic.OrUint64(p, mask), nil
}

// And64 atomically ANDs mask into the u64 at gpa and returns the old value.
func (m *Memory) And64(gpa, mask uint64) (uint64, error) {
	p, err := m.word64(gpa)
	if err != nil {
		return 0, err
	}
	return atomic.AndUint64(p, mask), nil
}

// Load64 atomically loads the u64 at gpa.
func (m *Memory) Load64(gpa uint64) (uint64, error) {
	p, err := m.word64(gpa)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint64(p), nil
}

// Or32 atomically ORs mask into the u32 at gpa and returns the old value.
func (m *Memory) Or32(gpa uint64, mask uint32) (uint32, error) {
	p, err := m.word32(gpa)
	if err != nil {
		return 0, err
	}
	return atomic.OrUint32(p, mask), nil
}

// Load32 atomically loads the u32 at gpa.
func (m *Memory) Load32(gpa uint64) (uint32, error) {
	p, err := m.word32(gpa)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint32(p), nil
}

// Store32 atomically stores v at gpa.
func (m *Memory) Store32(gpa uint64, v uint32) error {
	p, err := m.word32(gpa)
	if err != nil {
		return err
	}
	atomic.StoreUint32(p, v)
	return nil
}

// kvmMSRs mirrors struct kvm_msrs with one struct kvm_msr_entry.
type kvmMSRs struct {
	NMSRs uint32
	_     uint32
	Index uint32
	_     uint32
	Data  uint64
}

// Safety: m has the layout of struct kvm_msrs followed by one
// kvm_msr_entry (pinned by TestKVMConstants); KVM writes Data during the
// call.
func getMSR(fd int, m *kvmMSRs) (uintptr, error) {
	return ioctlPtr(fd, KVM_GET_MSRS, unsafe.Pointer(m))
}

// word32At returns the aligned u32 at the start of b.
//
// Safety: b is a subslice of an mmap'd region (never moved by the GC) that
// stays mapped for the duration of the caller's use; the length and
// alignment checks make the pointer valid for sync/atomic.
func word32At(b []byte) *uint32 {
	if len(b) < 4 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 != 0 {
		panic("hypervisor: unaligned or short u32 in shared memory") // a caller bug, not guest input
	}
	return (*uint32)(unsafe.Pointer(unsafe.SliceData(b)))
}

// LoadU32 atomically loads the u32 at the start of b (4-byte aligned
// shared memory, e.g. a grant entry's flags and domid).
func LoadU32(b []byte) uint32 { return atomic.LoadUint32(word32At(b)) }

// CASU32 atomically replaces old with new at the start of b.
func CASU32(b []byte, old, new uint32) bool {
	return atomic.CompareAndSwapUint32(word32At(b), old, new)
}

// AndU32 atomically ANDs mask into the u32 at the start of b.
func AndU32(b []byte, mask uint32) uint32 { return atomic.AndUint32(word32At(b), mask) }
