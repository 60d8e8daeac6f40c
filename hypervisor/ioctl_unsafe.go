package hypervisor

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl issues an ioctl whose argument is a pointer, retrying EINTR
// (Go's preemption signal interrupts long ioctls).
//
// Safety: arg points to a Go value that stays live for the call (the
// unsafe.Pointer argument keeps it reachable) and that KVM reads or writes
// only during the call.
func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) (uintptr, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return r, errno
		}
		return r, nil
	}
}

// ioctlVal issues an ioctl whose argument is a plain integer, retrying EINTR.
func ioctlVal(fd int, req, arg uintptr) (uintptr, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return r, errno
		}
		return r, nil
	}
}

// kvmRun issues KVM_RUN once. EINTR is returned, not retried: it is how a
// kick (or Go's own preemption signal) reaches the run loop.
func kvmRun(fd int) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), KVM_RUN, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// Safety: regs/sregs are Go structs with the exact kvm_regs/kvm_sregs layout
// (pinned by TestKVMStructLayout); KVM copies them during the call.
func getRegs(fd int, r *Regs) error {
	_, err := ioctlPtr(fd, KVM_GET_REGS, unsafe.Pointer(r))
	return err
}

// Safety: as getRegs.
func setRegs(fd int, r *Regs) error {
	_, err := ioctlPtr(fd, KVM_SET_REGS, unsafe.Pointer(r))
	return err
}

// Safety: as getRegs.
func getSregs(fd int, s *Sregs) error {
	_, err := ioctlPtr(fd, KVM_GET_SREGS, unsafe.Pointer(s))
	return err
}

// Safety: as getRegs.
func setSregs(fd int, s *Sregs) error {
	_, err := ioctlPtr(fd, KVM_SET_SREGS, unsafe.Pointer(s))
	return err
}

// Safety: c has the kvm_cpuid2 layout with room for maxCPUIDEntries; KVM
// writes at most Nent entries during the call.
func getSupportedCPUID(fd int, c *cpuid2) error {
	_, err := ioctlPtr(fd, KVM_GET_SUPPORTED_CPUID, unsafe.Pointer(c))
	return err
}

// Safety: as getSupportedCPUID; KVM reads Nent entries during the call.
func setCPUID2(fd int, c *cpuid2) error {
	_, err := ioctlPtr(fd, KVM_SET_CPUID2, unsafe.Pointer(c))
	return err
}

// Safety: r has the kvm_userspace_memory_region layout; KVM copies it.
// The host memory it names must stay mapped while the memslot exists,
// which Memory guarantees by unmapping only after deleting the slot.
func setUserMemoryRegion(fd int, r *userspaceMemoryRegion) error {
	_, err := ioctlPtr(fd, KVM_SET_USER_MEMORY_REGION, unsafe.Pointer(r))
	return err
}

// hostAddr returns the host virtual address of b's first byte for a
// memslot.
//
// Safety: b is an mmap'd region (never moved by the Go GC) that outlives
// the memslot using its address.
func hostAddr(b []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// Safety: c has the kvm_enable_cap layout; KVM copies it during the call.
func enableCapability(fd int, c *enableCap) error {
	_, err := ioctlPtr(fd, KVM_ENABLE_CAP, unsafe.Pointer(c))
	return err
}

// setMSRFilter installs f, whose ranges point at the given bitmaps.
//
// Safety: the bitmaps are Go heap slices (the GC does not move heap
// objects) kept alive until the ioctl returns by runtime.KeepAlive; KVM
// copies them into the kernel during the call.
func setMSRFilter(fd int, f *msrFilter, bitmaps [][]byte) error {
	for i, b := range bitmaps {
		f.Ranges[i].Bitmap = uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	}
	_, err := ioctlPtr(fd, KVM_X86_SET_MSR_FILTER, unsafe.Pointer(f))
	runtime.KeepAlive(bitmaps)
	for i := range bitmaps {
		f.Ranges[i].Bitmap = 0
	}
	return err
}

// Safety: m has the kvm_msi layout; KVM copies it.
func signalMSI(fd int, m *kvmMSI) (uintptr, error) {
	return ioctlPtr(fd, KVM_SIGNAL_MSI, unsafe.Pointer(m))
}

// Safety: vector is a Go uint32 (struct kvm_interrupt is one __u32) that
// KVM copies during the call.
func interrupt(fd int, vector uint32) error {
	_, err := ioctlPtr(fd, KVM_INTERRUPT, unsafe.Pointer(&vector))
	return err
}
