// Package hypervisor is Xenolith's thin layer over Linux KVM: the VM, guest
// memory (memfd regions registered as memslots), vCPU threads and their run
// loop, typed exits, CPUID and MSR-filter setup, and guest page-table walks
// (gva to gpa).
//
// It knows nothing of Xen, domains or configuration. The domain layer
// implements ExitHandler to give exits a meaning; every guest-memory access
// goes through Memory, the one bounds-checked accessor.
//
// Raw KVM lives in three files, one per KVM object: system.go (/dev/kvm),
// vm.go (the VM fd) and vcpu.go (the vCPU fd and its kvm_run mapping).
// Constants carry their C names (kvm_const.go) and are pinned against
// <linux/kvm.h> by a test; unsafe is confined to *_unsafe.go files.
package hypervisor
