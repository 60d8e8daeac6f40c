package hypervisor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestKVMConstants pins ioctl numbers, struct layouts and kvm_run offsets
// against <linux/kvm.h> compiled with gcc, like gVisor's kvm_const checks.
func TestKVMConstants(t *testing.T) {
	if _, err := os.Stat("/usr/include/linux/kvm.h"); err != nil {
		t.Fatal("missing /usr/include/linux/kvm.h: install linux-libc-dev and gcc (scripts/deps.sh)")
	}
	checks := []struct {
		name string
		got  uint64
		expr string
	}{
		{"KVM_GET_API_VERSION", uint64(KVM_GET_API_VERSION), "KVM_GET_API_VERSION"},
		{"KVM_CREATE_VM", uint64(KVM_CREATE_VM), "KVM_CREATE_VM"},
		{"KVM_CHECK_EXTENSION", uint64(KVM_CHECK_EXTENSION), "KVM_CHECK_EXTENSION"},
		{"KVM_GET_VCPU_MMAP_SIZE", uint64(KVM_GET_VCPU_MMAP_SIZE), "KVM_GET_VCPU_MMAP_SIZE"},
		{"KVM_GET_SUPPORTED_CPUID", uint64(KVM_GET_SUPPORTED_CPUID), "KVM_GET_SUPPORTED_CPUID"},
		{"KVM_CREATE_VCPU", uint64(KVM_CREATE_VCPU), "KVM_CREATE_VCPU"},
		{"KVM_SET_USER_MEMORY_REGION", uint64(KVM_SET_USER_MEMORY_REGION), "KVM_SET_USER_MEMORY_REGION"},
		{"KVM_SET_TSS_ADDR", uint64(KVM_SET_TSS_ADDR), "KVM_SET_TSS_ADDR"},
		{"KVM_SET_IDENTITY_MAP_ADDR", uint64(KVM_SET_IDENTITY_MAP_ADDR), "KVM_SET_IDENTITY_MAP_ADDR"},
		{"KVM_CREATE_IRQCHIP", uint64(KVM_CREATE_IRQCHIP), "KVM_CREATE_IRQCHIP"},
		{"KVM_RUN", uint64(KVM_RUN), "KVM_RUN"},
		{"KVM_GET_REGS", uint64(KVM_GET_REGS), "KVM_GET_REGS"},
		{"KVM_SET_REGS", uint64(KVM_SET_REGS), "KVM_SET_REGS"},
		{"KVM_GET_SREGS", uint64(KVM_GET_SREGS), "KVM_GET_SREGS"},
		{"KVM_SET_SREGS", uint64(KVM_SET_SREGS), "KVM_SET_SREGS"},
		{"KVM_INTERRUPT", uint64(KVM_INTERRUPT), "KVM_INTERRUPT"},
		{"KVM_GET_MSRS", uint64(KVM_GET_MSRS), "KVM_GET_MSRS"},
		{"KVM_SET_CPUID2", uint64(KVM_SET_CPUID2), "KVM_SET_CPUID2"},
		{"KVM_ENABLE_CAP", uint64(KVM_ENABLE_CAP), "KVM_ENABLE_CAP"},
		{"KVM_GET_TSC_KHZ", uint64(KVM_GET_TSC_KHZ), "KVM_GET_TSC_KHZ"},
		{"KVM_SIGNAL_MSI", uint64(KVM_SIGNAL_MSI), "KVM_SIGNAL_MSI"},
		{"KVM_X86_SET_MSR_FILTER", uint64(KVM_X86_SET_MSR_FILTER), "KVM_X86_SET_MSR_FILTER"},
		{"KVM_API_VERSION", KVM_API_VERSION, "KVM_API_VERSION"},
		{"KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
		{"KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
		{"KVM_CAP_SET_TSS_ADDR", KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
		{"KVM_CAP_EXT_CPUID", KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
		{"KVM_CAP_SET_IDENTITY_MAP_ADDR", KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
		{"KVM_CAP_GET_TSC_KHZ", KVM_CAP_GET_TSC_KHZ, "KVM_CAP_GET_TSC_KHZ"},
		{"KVM_CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS, "KVM_CAP_MAX_VCPUS"},
		{"KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
		{"KVM_CAP_X86_USER_SPACE_MSR", KVM_CAP_X86_USER_SPACE_MSR, "KVM_CAP_X86_USER_SPACE_MSR"},
		{"KVM_CAP_X86_MSR_FILTER", KVM_CAP_X86_MSR_FILTER, "KVM_CAP_X86_MSR_FILTER"},
		{"KVM_EXIT_IO", KVM_EXIT_IO, "KVM_EXIT_IO"},
		{"KVM_EXIT_HLT", KVM_EXIT_HLT, "KVM_EXIT_HLT"},
		{"KVM_EXIT_MMIO", KVM_EXIT_MMIO, "KVM_EXIT_MMIO"},
		{"KVM_EXIT_SHUTDOWN", KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN"},
		{"KVM_EXIT_FAIL_ENTRY", KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY"},
		{"KVM_EXIT_INTR", KVM_EXIT_INTR, "KVM_EXIT_INTR"},
		{"KVM_EXIT_INTERNAL_ERROR", KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR"},
		{"KVM_EXIT_SYSTEM_EVENT", KVM_EXIT_SYSTEM_EVENT, "KVM_EXIT_SYSTEM_EVENT"},
		{"KVM_EXIT_X86_RDMSR", KVM_EXIT_X86_RDMSR, "KVM_EXIT_X86_RDMSR"},
		{"KVM_EXIT_X86_WRMSR", KVM_EXIT_X86_WRMSR, "KVM_EXIT_X86_WRMSR"},
		{"KVM_MSR_EXIT_REASON_FILTER", KVM_MSR_EXIT_REASON_FILTER, "KVM_MSR_EXIT_REASON_FILTER"},
		{"KVM_MSR_FILTER_READ", KVM_MSR_FILTER_READ, "KVM_MSR_FILTER_READ"},
		{"KVM_MSR_FILTER_WRITE", KVM_MSR_FILTER_WRITE, "KVM_MSR_FILTER_WRITE"},
		{"KVM_MSR_FILTER_MAX_RANGES", KVM_MSR_FILTER_MAX_RANGES, "KVM_MSR_FILTER_MAX_RANGES"},
		{"KVM_CPUID_FLAG_SIGNIFCANT_INDEX", KVM_CPUID_FLAG_SIGNIFCANT_INDEX, "KVM_CPUID_FLAG_SIGNIFCANT_INDEX"},
		{"run.immediate_exit", runImmediateExit, "offsetof(struct kvm_run, immediate_exit)"},
		{"run.exit_reason", runExitReason, "offsetof(struct kvm_run, exit_reason)"},
		{"run.if_flag", runIfFlag, "offsetof(struct kvm_run, if_flag)"},
		{"run.request_interrupt_window", runRequestInterruptWindow, "offsetof(struct kvm_run, request_interrupt_window)"},
		{"run.ready_for_interrupt_injection", runReadyForInjection, "offsetof(struct kvm_run, ready_for_interrupt_injection)"},
		{"KVM_EXIT_IRQ_WINDOW_OPEN", KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN"},
		{"run.io.direction", runIODirection, "offsetof(struct kvm_run, io.direction)"},
		{"run.io.size", runIOSize, "offsetof(struct kvm_run, io.size)"},
		{"run.io.port", runIOPort, "offsetof(struct kvm_run, io.port)"},
		{"run.io.count", runIOCount, "offsetof(struct kvm_run, io.count)"},
		{"run.io.data_offset", runIODataOffset, "offsetof(struct kvm_run, io.data_offset)"},
		{"run.mmio.phys_addr", runMMIOPhysAddr, "offsetof(struct kvm_run, mmio.phys_addr)"},
		{"run.mmio.data", runMMIOData, "offsetof(struct kvm_run, mmio.data)"},
		{"run.mmio.len", runMMIOLen, "offsetof(struct kvm_run, mmio.len)"},
		{"run.mmio.is_write", runMMIOIsWrite, "offsetof(struct kvm_run, mmio.is_write)"},
		{"run.msr.error", runMSRError, "offsetof(struct kvm_run, msr.error)"},
		{"run.msr.reason", runMSRReason, "offsetof(struct kvm_run, msr.reason)"},
		{"run.msr.index", runMSRIndex, "offsetof(struct kvm_run, msr.index)"},
		{"run.msr.data", runMSRData, "offsetof(struct kvm_run, msr.data)"},
		{"run.internal.suberror", runInternalSuberror, "offsetof(struct kvm_run, internal.suberror)"},
		{"run.internal.ndata", runInternalNdata, "offsetof(struct kvm_run, internal.ndata)"},
		{"run.internal.data", runInternalData, "offsetof(struct kvm_run, internal.data)"},
		{"run.fail_entry.reason", runFailEntryReason, "offsetof(struct kvm_run, fail_entry.hardware_entry_failure_reason)"},
		{"run.fail_entry.cpu", runFailEntryCPU, "offsetof(struct kvm_run, fail_entry.cpu)"},
		{"run.system_event.type", runSystemEventType, "offsetof(struct kvm_run, system_event.type)"},
	}
	structs := []struct {
		c   string
		go_ reflect.Type
	}{
		{"struct kvm_regs", reflect.TypeOf(Regs{})},
		{"struct kvm_segment", reflect.TypeOf(Segment{})},
		{"struct kvm_dtable", reflect.TypeOf(DTable{})},
		{"struct kvm_sregs", reflect.TypeOf(Sregs{})},
		{"struct kvm_userspace_memory_region", reflect.TypeOf(userspaceMemoryRegion{})},
		{"struct kvm_cpuid_entry2", reflect.TypeOf(CPUIDEntry{})},
		{"struct kvm_msr_filter_range", reflect.TypeOf(msrFilterRange{})},
		{"struct kvm_msr_filter", reflect.TypeOf(msrFilter{})},
		{"struct kvm_enable_cap", reflect.TypeOf(enableCap{})},
		{"struct kvm_msi", reflect.TypeOf(kvmMSI{})},
		{"struct { struct kvm_msrs h; struct kvm_msr_entry e; }", reflect.TypeOf(kvmMSRs{})},
	}
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <linux/kvm.h>\nint main(void){\n")
	for _, c := range checks {
		fmt.Fprintf(&src, "printf(\"%%llu\\n\", (unsigned long long)(%s));\n", c.expr)
	}
	for _, s := range structs {
		fmt.Fprintf(&src, "printf(\"%%zu\\n\", sizeof(%s));\n", s.c)
	}
	src.WriteString("return 0;}\n")
	out := compileAndRun(t, src.String())
	lines := strings.Fields(out)
	if len(lines) != len(checks)+len(structs) {
		t.Fatalf("probe printed %d values, want %d", len(lines), len(checks)+len(structs))
	}
	for i, c := range checks {
		want, _ := strconv.ParseUint(lines[i], 10, 64)
		if c.got != want {
			t.Errorf("%s = %#x, <linux/kvm.h> says %#x", c.name, c.got, want)
		}
	}
	for i, s := range structs {
		want, _ := strconv.ParseUint(lines[len(checks)+i], 10, 64)
		if got := uint64(s.go_.Size()); got != want {
			t.Errorf("%s: Go mirror %s is %d bytes, C is %d", s.c, s.go_, got, want)
		}
	}
}

func compileAndRun(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	c := filepath.Join(dir, "probe.c")
	bin := filepath.Join(dir, "probe")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-o", bin, c).CombinedOutput(); err != nil {
		t.Fatalf("gcc (install it with scripts/deps.sh): %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	return string(out)
}
