package hypercall

// CPUIDLeaf is one CPUID result the hypervisor advertises.
type CPUIDLeaf struct {
	Function, Index    uint32
	EAX, EBX, ECX, EDX uint32
	// Indexed marks leaves whose sub-leaf Index is significant.
	Indexed bool
}

// Version Xenolith reports through CPUID and XENVER_version: the Xen
// interface it implements (the 4.17 public headers).
const (
	VersionMajor = 4
	VersionMinor = 17
)

// HypercallMSR is the MSR a guest writes the hypercall page's address to,
// advertised in CPUID leaf base+2 EBX (Xen msr.c, no Viridian).
const HypercallMSR = 0x40000000

// XenCPUIDBase is where the Xen leaves start (no Viridian leaves below).
const XenCPUIDBase = 0x40000000

// hvmCPUIDFeatures are the CPUID base+4 EAX bits Xenolith honours
// (arch-x86/cpuid.h): the vCPU id and domid are present in EBX/ECX.
const hvmCPUIDFeatures = XenHvmCpuidVcpuIdPresent | XenHvmCpuidDomidPresent

// CPUIDLeaves returns the Xen leaves (arch-x86/cpuid.h) for one vCPU:
// signature, version, hypercall page, time and HVM features. tscKHz is
// the guest TSC frequency.
func CPUIDLeaves(domid uint16, vcpu uint32, tscKHz uint32) []CPUIDLeaf {
	b := uint32(XenCPUIDBase)
	return []CPUIDLeaf{
		{Function: b, EAX: b + XenCpuidMaxNumLeaves, EBX: XenCpuidSignatureEbx, ECX: XenCpuidSignatureEcx, EDX: XenCpuidSignatureEdx},
		{Function: b + 1, EAX: VersionMajor<<16 | VersionMinor},
		{Function: b + 2, EAX: 1, EBX: HypercallMSR},
		// Time leaf: default TSC mode, host TSC reliable (bit 1), guest
		// and host frequency in kHz.
		{Function: b + 3, Index: 0, Indexed: true, EAX: 1 << 1, ECX: tscKHz},
		{Function: b + 3, Index: 1, Indexed: true},
		{Function: b + 3, Index: 2, Indexed: true, EAX: tscKHz},
		{Function: b + 4, Index: 0, Indexed: true, EAX: hvmCPUIDFeatures, EBX: vcpu, ECX: uint32(domid)},
		{Function: b + 5, Index: 0, Indexed: true},
	}
}
