package hypervisor

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// DevKVM is the KVM device node.
const DevKVM = "/dev/kvm"

// Errors reported when the host cannot run guests.
var (
	ErrNoKVM         = errors.New("hypervisor: /dev/kvm is not available")
	ErrAPIVersion    = errors.New("hypervisor: unsupported KVM API version")
	ErrMissingCap    = errors.New("hypervisor: KVM lacks a required capability")
	ErrCPUIDTooLarge = errors.New("hypervisor: KVM reports more CPUID leaves than supported")
)

// requiredCaps are the capabilities the code depends on, with their C names
// so that an error can say exactly what the host kernel lacks.
var requiredCaps = []struct {
	cap  uintptr
	name string
}{
	{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	{KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR"},
	{KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER"},
	{KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ"},
}

// System is an open /dev/kvm.
type System struct {
	fd           int
	vcpuMmapSize int
	supported    []CPUIDEntry
}

// Open opens /dev/kvm, checks the API version and every capability
// Xenolith uses, and caches the supported CPUID leaves. Errors wrap
// ErrNoKVM, ErrAPIVersion or ErrMissingCap and say how to fix the host.
func Open() (*System, error) {
	fd, err := unix.Open(DevKVM, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("%w: %s does not exist: load kvm_intel or kvm_amd (modprobe) or enable virtualization", ErrNoKVM, DevKVM)
		}
		return nil, fmt.Errorf("%w: open %s: %v (run as root or join the kvm group)", ErrNoKVM, DevKVM, err)
	}
	s := &System{fd: fd}
	if err := s.check(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return s, nil
}

func (s *System) check() error {
	v, err := ioctlVal(s.fd, KVM_GET_API_VERSION, 0)
	if err != nil {
		return fmt.Errorf("%w: KVM_GET_API_VERSION: %v", ErrAPIVersion, err)
	}
	if v != KVM_API_VERSION {
		return fmt.Errorf("%w: got %d, want %d", ErrAPIVersion, v, KVM_API_VERSION)
	}
	for _, c := range requiredCaps {
		if n, err := s.CheckExtension(c.cap); err != nil || n == 0 {
			return fmt.Errorf("%w: %s (host kernel %s is too old or KVM is built without it)", ErrMissingCap, c.name, kernelRelease())
		}
	}
	size, err := ioctlVal(s.fd, KVM_GET_VCPU_MMAP_SIZE, 0)
	if err != nil {
		return fmt.Errorf("hypervisor: KVM_GET_VCPU_MMAP_SIZE: %w", err)
	}
	s.vcpuMmapSize = int(size)
	var c cpuid2
	c.Nent = maxCPUIDEntries
	if err := getSupportedCPUID(s.fd, &c); err != nil {
		if errors.Is(err, unix.E2BIG) {
			return ErrCPUIDTooLarge
		}
		return fmt.Errorf("hypervisor: KVM_GET_SUPPORTED_CPUID: %w", err)
	}
	s.supported = append([]CPUIDEntry(nil), c.Entries[:c.Nent]...)
	return nil
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// CheckExtension returns KVM_CHECK_EXTENSION's answer for cap (0 = absent).
func (s *System) CheckExtension(cap uintptr) (int, error) {
	n, err := ioctlVal(s.fd, KVM_CHECK_EXTENSION, cap)
	return int(n), err
}

// SupportedCPUID returns a copy of the CPUID leaves KVM can expose.
func (s *System) SupportedCPUID() []CPUIDEntry {
	return append([]CPUIDEntry(nil), s.supported...)
}

// Close releases /dev/kvm. VMs created from s stay valid.
func (s *System) Close() error { return unix.Close(s.fd) }

// Available reports whether /dev/kvm exists, for tests deciding whether to
// fail or skip (see tests/kvmtest).
func Available() bool {
	_, err := os.Stat(DevKVM)
	return err == nil
}
