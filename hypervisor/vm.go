package hypervisor

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// tssAddr is the 3-page region KVM needs on Intel hosts for real-mode
// emulation (KVM_SET_TSS_ADDR). It sits above the special pages and below
// the 4 GiB boundary, outside every memslot, as in Firecracker.
const tssAddr = 0xFFFBD000

// VM is one KVM virtual machine: its fd, guest memory and vCPUs.
type VM struct {
	sys *System
	fd  int
	Mem *Memory
}

// NewVM creates a VM with user-space MSR exits enabled for filtered MSRs.
func (s *System) NewVM() (*VM, error) {
	fd, err := ioctlVal(s.fd, KVM_CREATE_VM, 0)
	if err != nil {
		return nil, fmt.Errorf("hypervisor: KVM_CREATE_VM: %w", err)
	}
	vm := &VM{sys: s, fd: int(fd)}
	vm.Mem = newMemory(vm)
	if n, _ := s.CheckExtension(KVM_CAP_SET_TSS_ADDR); n > 0 {
		if _, err := ioctlVal(vm.fd, KVM_SET_TSS_ADDR, tssAddr); err != nil {
			vm.Close()
			return nil, fmt.Errorf("hypervisor: KVM_SET_TSS_ADDR: %w", err)
		}
	}
	c := enableCap{Cap: KVM_CAP_X86_USER_SPACE_MSR, Args: [4]uint64{KVM_MSR_EXIT_REASON_FILTER}}
	if err := enableCapability(vm.fd, &c); err != nil {
		vm.Close()
		return nil, fmt.Errorf("hypervisor: enable KVM_CAP_X86_USER_SPACE_MSR: %w", err)
	}
	return vm, nil
}

// TrapMSRs makes every guest RDMSR and WRMSR of the listed MSRs exit to
// user space (ExitHandler.RDMSR/WRMSR); all other MSRs stay with KVM.
func (vm *VM) TrapMSRs(msrs []uint32) error {
	if len(msrs) > KVM_MSR_FILTER_MAX_RANGES {
		return fmt.Errorf("hypervisor: %d trapped MSRs, at most %d", len(msrs), KVM_MSR_FILTER_MAX_RANGES)
	}
	f := msrFilter{Flags: KVM_MSR_FILTER_DEFAULT_ALLOW}
	bitmaps := make([][]byte, len(msrs))
	for i, msr := range msrs {
		bitmaps[i] = []byte{0} // a 0 bit denies in-kernel handling: exit to us
		f.Ranges[i] = msrFilterRange{Flags: KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, NMSRs: 1, Base: msr}
	}
	if err := setMSRFilter(vm.fd, &f, bitmaps); err != nil {
		return fmt.Errorf("hypervisor: KVM_X86_SET_MSR_FILTER: %w", err)
	}
	return nil
}

// SupportedCPUID returns the CPUID leaves KVM can expose to this VM's vCPUs.
func (vm *VM) SupportedCPUID() []CPUIDEntry { return vm.sys.SupportedCPUID() }

// Close destroys the VM and releases guest memory. vCPUs must be closed
// first.
func (vm *VM) Close() error {
	err := unix.Close(vm.fd)
	vm.Mem.close()
	return err
}
