package hypercall

import "encoding/binary"

// Go mirrors of Xen's public structs (x86_64, __XEN_INTERFACE_VERSION__
// 0x00040e00). Rules, all enforced by TestStructLayouts in abi_test.go,
// which compiles the C headers with gcc:
//
//   - one Go type per C struct, named by the rule in doc.go
//     (struct evtchn_bind_virq -> EvtchnBindVirq);
//   - fixed-size fields only, so encoding/binary's Size equals C sizeof and
//     every reflect offset equals offsetof (E820Entry, a packed struct, is
//     the one exception and says so);
//   - every field has a `xen:"c_name"` tag; padding the C compiler inserts
//     implicitly is an explicit `_` field tagged `xen:"-"`, while padding
//     the C struct declares (pad0, reserved, ...) is a named field;
//   - guest handles (XEN_GUEST_HANDLE(x), a struct wrapping one pointer)
//     are uint64 guest virtual addresses tagged `xen:"name,handle"`;
//   - unions are byte arrays tagged `xen:"name,union"` with accessors.
//
// Hypercall arguments say which fields are IN (read by the hypervisor) and
// OUT (written back to the guest); a field marked neither is IN.
// Read and write them with Decode and Encode.

// ---- PVH boot: arch-x86/hvm/start_info.h ----

// HvmStartInfo mirrors struct hvm_start_info
// (xen/arch-x86/hvm/start_info.h), 56 bytes. The PVH loader writes it into
// guest memory and passes its guest-physical address in ebx. All addresses
// are guest-physical; 0 means absent.
type HvmStartInfo struct {
	Magic         uint32 `xen:"magic"`          // XenHvmStartMagicValue
	Version       uint32 `xen:"version"`        // 1 (0 ends before MemmapPaddr)
	Flags         uint32 `xen:"flags"`          // Sif* bits
	NrModules     uint32 `xen:"nr_modules"`     // entries at ModlistPaddr
	ModlistPaddr  uint64 `xen:"modlist_paddr"`  // array of HvmModlistEntry
	CmdlinePaddr  uint64 `xen:"cmdline_paddr"`  // NUL-terminated command line
	RsdpPaddr     uint64 `xen:"rsdp_paddr"`     // ACPI RSDP
	MemmapPaddr   uint64 `xen:"memmap_paddr"`   // array of HvmMemmapTableEntry (v1)
	MemmapEntries uint32 `xen:"memmap_entries"` // 0: guest asks XENMEM_memory_map
	Reserved      uint32 `xen:"reserved"`       // must be zero
}

// HvmModlistEntry mirrors struct hvm_modlist_entry
// (xen/arch-x86/hvm/start_info.h), 32 bytes. The first module is Linux's
// initrd.
type HvmModlistEntry struct {
	Paddr        uint64 `xen:"paddr"`         // guest-physical start
	Size         uint64 `xen:"size"`          // bytes
	CmdlinePaddr uint64 `xen:"cmdline_paddr"` // module command line, 0 = none
	Reserved     uint64 `xen:"reserved"`
}

// HvmMemmapTableEntry mirrors struct hvm_memmap_table_entry
// (xen/arch-x86/hvm/start_info.h), 24 bytes.
type HvmMemmapTableEntry struct {
	Addr     uint64 `xen:"addr"` // guest-physical base
	Size     uint64 `xen:"size"` // bytes
	Type     uint32 `xen:"type"` // XenHvmMemmapType*
	Reserved uint32 `xen:"reserved"`
}

// ---- memory_op: memory.h ----

// E820Entry is one entry of the buffer XENMEM_memory_map fills: the BIOS
// INT 15h E820 format, 20 bytes, packed. It is NOT in Xen's public headers
// (memory.h only says "the same format as returned by the BIOS"; Xen's own
// struct e820entry lives in xen/arch/x86/include/asm/e820.h), so the test
// declares the packed C struct itself. Being packed, its Go in-memory
// layout (24 bytes, Size at 8 but aligned) differs from the wire layout:
// use it only through Decode/Encode, never through a pointer cast.
type E820Entry struct {
	Addr uint64 `xen:"addr"` // guest-physical base
	Size uint64 `xen:"size"` // bytes
	Type uint32 `xen:"type"` // same numbers as XenHvmMemmapType*
}

// XenMemoryReservation mirrors struct xen_memory_reservation (xen/memory.h),
// 32 bytes: the argument of XENMEM_increase_reservation,
// decrease_reservation and populate_physmap. The hypercall returns the
// number of extents done.
type XenMemoryReservation struct {
	ExtentStart uint64  `xen:"extent_start,handle"` // handle: xen_pfn_t array, IN (decrease, populate) / OUT (increase, populate)
	NrExtents   uint64  `xen:"nr_extents"`          // IN
	ExtentOrder uint32  `xen:"extent_order"`        // IN: each extent is 2^order pages
	MemFlags    uint32  `xen:"mem_flags"`           // IN: Xenmemf* and address bits
	Domid       uint16  `xen:"domid"`               // IN: DomidSelf unless privileged
	_           [6]byte `xen:"-"`
}

// XenMemoryDomain mirrors struct xen_memory_domain (xen/memory.h), 2 bytes:
// the argument of XENMEM_current_reservation and maximum_reservation.
type XenMemoryDomain struct {
	Domid uint16 `xen:"domid"` // IN
}

// XenAddToPhysmap mirrors struct xen_add_to_physmap (xen/memory.h), 24
// bytes: the argument of XENMEM_add_to_physmap.
type XenAddToPhysmap struct {
	Domid uint16 `xen:"domid"` // IN: DomidSelf
	Size  uint16 `xen:"size"`  // IN: pages, XenmapspaceGmfnRange only
	Space uint32 `xen:"space"` // IN: Xenmapspace*
	Idx   uint64 `xen:"idx"`   // IN: index in Space (| XenmapidxGrantTableStatus)
	Gpfn  uint64 `xen:"gpfn"`  // IN: guest frame where it should appear
}

// XenRemoveFromPhysmap mirrors struct xen_remove_from_physmap
// (xen/memory.h), 16 bytes: the argument of XENMEM_remove_from_physmap.
type XenRemoveFromPhysmap struct {
	Domid uint16  `xen:"domid"` // IN
	_     [6]byte `xen:"-"`
	Gpfn  uint64  `xen:"gpfn"` // IN
}

// XenMemoryMap mirrors struct xen_memory_map (xen/memory.h), 16 bytes: the
// argument of XENMEM_memory_map. Buffer holds E820Entry records.
type XenMemoryMap struct {
	NrEntries uint32  `xen:"nr_entries"` // IN: capacity of Buffer; OUT: entries stored
	_         [4]byte `xen:"-"`
	Buffer    uint64  `xen:"buffer,handle"` // handle: E820Entry array, OUT
}

// ---- xen_version: version.h ----

// XenFeatureInfo mirrors struct xen_feature_info (xen/version.h), 8 bytes:
// the argument of XENVER_get_features.
type XenFeatureInfo struct {
	SubmapIdx uint32 `xen:"submap_idx"` // IN: only 0 exists
	Submap    uint32 `xen:"submap"`     // OUT: bit n = Xenfeat* n
}

// XenCompileInfo mirrors struct xen_compile_info (xen/version.h), 144
// bytes: the OUT argument of XENVER_compile_info. Strings are
// NUL-terminated.
type XenCompileInfo struct {
	Compiler      [64]byte `xen:"compiler"`
	CompileBy     [16]byte `xen:"compile_by"`
	CompileDomain [32]byte `xen:"compile_domain"`
	CompileDate   [32]byte `xen:"compile_date"`
}

// XenPlatformParameters mirrors struct xen_platform_parameters
// (xen/version.h), 8 bytes: the OUT argument of XENVER_platform_parameters.
type XenPlatformParameters struct {
	VirtStart uint64 `xen:"virt_start"` // OUT: start of the hypervisor hole (PV)
}

// ---- sched_op: sched.h ----

// SchedShutdown mirrors struct sched_shutdown (xen/sched.h), 4 bytes: the
// argument of SCHEDOP_shutdown and SCHEDOP_shutdown_code.
type SchedShutdown struct {
	Reason uint32 `xen:"reason"` // IN: Shutdown*
}

// SchedPoll mirrors struct sched_poll (xen/sched.h), 24 bytes: the argument
// of SCHEDOP_poll.
type SchedPoll struct {
	Ports   uint64  `xen:"ports,handle"` // handle: evtchn_port_t (uint32) array, IN
	NrPorts uint32  `xen:"nr_ports"`     // IN
	_       [4]byte `xen:"-"`
	Timeout uint64  `xen:"timeout"` // IN: absolute system time in ns, 0 = none
}

// SchedRemoteShutdown mirrors struct sched_remote_shutdown (xen/sched.h),
// 8 bytes: the argument of SCHEDOP_remote_shutdown (privileged).
type SchedRemoteShutdown struct {
	DomainId uint16  `xen:"domain_id"` // IN
	_        [2]byte `xen:"-"`
	Reason   uint32  `xen:"reason"` // IN: Shutdown*
}

// SchedWatchdog mirrors struct sched_watchdog (xen/sched.h), 8 bytes: the
// argument of SCHEDOP_watchdog.
type SchedWatchdog struct {
	Id      uint32 `xen:"id"`      // IN: 0 creates a watchdog (returns its id)
	Timeout uint32 `xen:"timeout"` // IN: seconds, 0 destroys
}

// ---- xen.h: multicall, shared_info, vcpu_info ----

// MulticallEntry mirrors struct multicall_entry (xen/xen.h), 64 bytes: one
// element of the multicall array.
type MulticallEntry struct {
	Op     uint64    `xen:"op"`     // IN: hypercall number
	Result uint64    `xen:"result"` // OUT: that hypercall's return value
	Args   [6]uint64 `xen:"args"`   // IN: its arguments
}

// VcpuTimeInfo mirrors struct vcpu_time_info (xen/xen.h), 32 bytes: the
// pvclock record. Version is odd while the hypervisor updates it. Guest
// time in ns = SystemTime + (((tsc - TscTimestamp) shifted by TscShift) *
// TscToSystemMul) >> 32.
type VcpuTimeInfo struct {
	Version        uint32  `xen:"version"`
	Pad0           uint32  `xen:"pad0"`
	TscTimestamp   uint64  `xen:"tsc_timestamp"`     // TSC at the last update
	SystemTime     uint64  `xen:"system_time"`       // ns since domain start, at TscTimestamp
	TscToSystemMul uint32  `xen:"tsc_to_system_mul"` // 32.32 fixed point
	TscShift       int8    `xen:"tsc_shift"`         // left if positive, right if negative
	Flags          uint8   `xen:"flags"`             // XenPvclock*
	Pad1           [2]byte `xen:"pad1"`
}

// ArchVcpuInfo mirrors struct arch_vcpu_info (xen/arch-x86/xen-x86_64.h),
// 16 bytes.
type ArchVcpuInfo struct {
	Cr2 uint64 `xen:"cr2"` // PV only
	Pad uint64 `xen:"pad"`
}

// VcpuInfo mirrors struct vcpu_info (xen/xen.h), 64 bytes: one per vCPU,
// in shared_info (vCPUs below 32) or where VCPUOP_register_vcpu_info put it.
type VcpuInfo struct {
	EvtchnUpcallPending uint8        `xen:"evtchn_upcall_pending"` // hypervisor sets, guest clears
	EvtchnUpcallMask    uint8        `xen:"evtchn_upcall_mask"`    // PV interrupt flag
	_                   [6]byte      `xen:"-"`
	EvtchnPendingSel    uint64       `xen:"evtchn_pending_sel"` // bit i: word i of EvtchnPending has work
	Arch                ArchVcpuInfo `xen:"arch"`
	Time                VcpuTimeInfo `xen:"time"`
}

// ArchSharedInfo mirrors struct arch_shared_info (xen/arch-x86/xen.h), 48
// bytes: PV P2M bookkeeping, zero for PVH.
type ArchSharedInfo struct {
	MaxPfn                uint64 `xen:"max_pfn"`
	PfnToMfnFrameListList uint64 `xen:"pfn_to_mfn_frame_list_list"`
	NmiReason             uint64 `xen:"nmi_reason"`
	P2mCr3                uint64 `xen:"p2m_cr3"`
	P2mVaddr              uint64 `xen:"p2m_vaddr"`
	P2mGeneration         uint64 `xen:"p2m_generation"`
}

// SharedInfo mirrors struct shared_info (xen/xen.h), 3136 bytes at the
// start of the 4 KiB shared_info page. Port p is bit p%64 of word p/64 of
// EvtchnPending and EvtchnMask.
type SharedInfo struct {
	VcpuInfo      [XenLegacyMaxVcpus]VcpuInfo `xen:"vcpu_info"`
	EvtchnPending [64]uint64                  `xen:"evtchn_pending"`
	EvtchnMask    [64]uint64                  `xen:"evtchn_mask"`
	WcVersion     uint32                      `xen:"wc_version"` // seqlock like VcpuTimeInfo.Version
	WcSec         uint32                      `xen:"wc_sec"`     // wall clock at system time 0, s (low 32 bits)
	WcNsec        uint32                      `xen:"wc_nsec"`
	WcSecHi       uint32                      `xen:"wc_sec_hi"` // high 32 bits of seconds
	Arch          ArchSharedInfo              `xen:"arch"`
}

// ---- vcpu_op: vcpu.h ----

// VcpuRunstateInfo mirrors struct vcpu_runstate_info (xen/vcpu.h), 48
// bytes: the OUT argument of VCPUOP_get_runstate_info.
type VcpuRunstateInfo struct {
	State          int32     `xen:"state"` // Runstate*
	_              [4]byte   `xen:"-"`
	StateEntryTime uint64    `xen:"state_entry_time"` // ns of system time; | XenRunstateUpdate while updating
	Time           [4]uint64 `xen:"time"`             // ns spent in each Runstate*
}

// VcpuRegisterRunstateMemoryArea mirrors struct
// vcpu_register_runstate_memory_area (xen/vcpu.h), 8 bytes. The C field is
// a union of a handle, a pointer and a uint64, all the same guest virtual
// address, so it is mirrored as that uint64.
type VcpuRegisterRunstateMemoryArea struct {
	Addr uint64 `xen:"addr,union"` // IN: guest virtual address of a VcpuRunstateInfo
}

// VcpuSetPeriodicTimer mirrors struct vcpu_set_periodic_timer (xen/vcpu.h),
// 8 bytes.
type VcpuSetPeriodicTimer struct {
	PeriodNs uint64 `xen:"period_ns"` // IN
}

// VcpuSetSingleshotTimer mirrors struct vcpu_set_singleshot_timer
// (xen/vcpu.h), 16 bytes.
type VcpuSetSingleshotTimer struct {
	TimeoutAbsNs uint64  `xen:"timeout_abs_ns"` // IN: absolute system time
	Flags        uint32  `xen:"flags"`          // IN: VcpuSshottmrFuture
	_            [4]byte `xen:"-"`
}

// VcpuRegisterVcpuInfo mirrors struct vcpu_register_vcpu_info (xen/vcpu.h),
// 16 bytes. The 64-byte VcpuInfo at Mfn<<12 + Offset must not cross a page.
type VcpuRegisterVcpuInfo struct {
	Mfn    uint64 `xen:"mfn"`    // IN: GFN for HVM/PVH
	Offset uint32 `xen:"offset"` // IN: bytes into that page
	Rsvd   uint32 `xen:"rsvd"`
}

// VcpuGetPhysid mirrors struct vcpu_get_physid (xen/vcpu.h), 8 bytes.
type VcpuGetPhysid struct {
	PhysId uint64 `xen:"phys_id"` // OUT: APIC id low 32 bits, ACPI id high
}

// VcpuRegisterTimeMemoryArea mirrors struct vcpu_register_time_memory_area
// (xen/vcpu.h), 8 bytes; the union is mirrored as its uint64 member like
// VcpuRegisterRunstateMemoryArea.
type VcpuRegisterTimeMemoryArea struct {
	Addr uint64 `xen:"addr,union"` // IN: guest virtual address of a VcpuTimeInfo
}

// VcpuHvmX86_32 mirrors struct vcpu_hvm_x86_32 (xen/hvm/hvm_vcpu.h), 120
// bytes: the 32-bit register block of VcpuHvmContext. Access rights (the
// *Ar fields) are descriptor bits 40..47 in bits 0..7 and bits 52..55 in
// bits 8..11.
type VcpuHvmX86_32 struct {
	Eax     uint32    `xen:"eax"`
	Ecx     uint32    `xen:"ecx"`
	Edx     uint32    `xen:"edx"`
	Ebx     uint32    `xen:"ebx"`
	Esp     uint32    `xen:"esp"`
	Ebp     uint32    `xen:"ebp"`
	Esi     uint32    `xen:"esi"`
	Edi     uint32    `xen:"edi"`
	Eip     uint32    `xen:"eip"`
	Eflags  uint32    `xen:"eflags"`
	Cr0     uint32    `xen:"cr0"`
	Cr3     uint32    `xen:"cr3"`
	Cr4     uint32    `xen:"cr4"`
	Pad1    uint32    `xen:"pad1"`
	Efer    uint64    `xen:"efer"`
	CsBase  uint32    `xen:"cs_base"`
	DsBase  uint32    `xen:"ds_base"`
	SsBase  uint32    `xen:"ss_base"`
	EsBase  uint32    `xen:"es_base"`
	TrBase  uint32    `xen:"tr_base"`
	CsLimit uint32    `xen:"cs_limit"`
	DsLimit uint32    `xen:"ds_limit"`
	SsLimit uint32    `xen:"ss_limit"`
	EsLimit uint32    `xen:"es_limit"`
	TrLimit uint32    `xen:"tr_limit"`
	CsAr    uint16    `xen:"cs_ar"`
	DsAr    uint16    `xen:"ds_ar"`
	SsAr    uint16    `xen:"ss_ar"`
	EsAr    uint16    `xen:"es_ar"`
	TrAr    uint16    `xen:"tr_ar"`
	Pad2    [3]uint16 `xen:"pad2"`
}

// VcpuHvmX86_64 mirrors struct vcpu_hvm_x86_64 (xen/hvm/hvm_vcpu.h), 112
// bytes: the 64-bit register block of VcpuHvmContext (flat long-mode
// segments are implied).
type VcpuHvmX86_64 struct {
	Rax    uint64 `xen:"rax"`
	Rcx    uint64 `xen:"rcx"`
	Rdx    uint64 `xen:"rdx"`
	Rbx    uint64 `xen:"rbx"`
	Rsp    uint64 `xen:"rsp"`
	Rbp    uint64 `xen:"rbp"`
	Rsi    uint64 `xen:"rsi"`
	Rdi    uint64 `xen:"rdi"`
	Rip    uint64 `xen:"rip"`
	Rflags uint64 `xen:"rflags"`
	Cr0    uint64 `xen:"cr0"`
	Cr3    uint64 `xen:"cr3"`
	Cr4    uint64 `xen:"cr4"`
	Efer   uint64 `xen:"efer"`
}

// VcpuHvmContext mirrors struct vcpu_hvm_context (xen/hvm/hvm_vcpu.h), 128
// bytes: the IN argument of VCPUOP_initialise for HVM/PVH guests. CpuRegs
// is the union of VcpuHvmX86_32 (Mode VcpuHvmMode32b) and VcpuHvmX86_64
// (Mode VcpuHvmMode64b); use the accessors.
type VcpuHvmContext struct {
	Mode    uint32    `xen:"mode"` // IN: VcpuHvmMode*
	Pad     uint32    `xen:"pad"`
	CpuRegs [120]byte `xen:"cpu_regs,union"` // IN: x86_32 or x86_64
}

// X86_32 decodes CpuRegs as the 32-bit block.
func (c *VcpuHvmContext) X86_32() VcpuHvmX86_32 {
	var r VcpuHvmX86_32
	mustDecode(c.CpuRegs[:], &r)
	return r
}

// X86_64 decodes CpuRegs as the 64-bit block.
func (c *VcpuHvmContext) X86_64() VcpuHvmX86_64 {
	var r VcpuHvmX86_64
	mustDecode(c.CpuRegs[:], &r)
	return r
}

// SetX86_32 stores r in CpuRegs and sets Mode to VcpuHvmMode32b.
func (c *VcpuHvmContext) SetX86_32(r *VcpuHvmX86_32) {
	c.CpuRegs = [120]byte{}
	mustEncode(c.CpuRegs[:], r)
	c.Mode = VcpuHvmMode32b
}

// SetX86_64 stores r in CpuRegs (the last 8 bytes stay zero) and sets Mode
// to VcpuHvmMode64b.
func (c *VcpuHvmContext) SetX86_64(r *VcpuHvmX86_64) {
	c.CpuRegs = [120]byte{}
	mustEncode(c.CpuRegs[:], r)
	c.Mode = VcpuHvmMode64b
}

// ---- event_channel_op: event_channel.h ----

// EvtchnAllocUnbound mirrors struct evtchn_alloc_unbound
// (xen/event_channel.h), 8 bytes: EVTCHNOP_alloc_unbound.
type EvtchnAllocUnbound struct {
	Dom       uint16 `xen:"dom"`        // IN: DomidSelf unless privileged
	RemoteDom uint16 `xen:"remote_dom"` // IN: who may bind the port
	Port      uint32 `xen:"port"`       // OUT
}

// EvtchnBindInterdomain mirrors struct evtchn_bind_interdomain
// (xen/event_channel.h), 12 bytes: EVTCHNOP_bind_interdomain.
type EvtchnBindInterdomain struct {
	RemoteDom  uint16  `xen:"remote_dom"` // IN
	_          [2]byte `xen:"-"`
	RemotePort uint32  `xen:"remote_port"` // IN: an unbound port of RemoteDom
	LocalPort  uint32  `xen:"local_port"`  // OUT
}

// EvtchnBindVirq mirrors struct evtchn_bind_virq (xen/event_channel.h), 12
// bytes: EVTCHNOP_bind_virq.
type EvtchnBindVirq struct {
	Virq uint32 `xen:"virq"` // IN: Virq*
	Vcpu uint32 `xen:"vcpu"` // IN
	Port uint32 `xen:"port"` // OUT
}

// EvtchnBindPirq mirrors struct evtchn_bind_pirq (xen/event_channel.h), 12
// bytes: EVTCHNOP_bind_pirq.
type EvtchnBindPirq struct {
	Pirq  uint32 `xen:"pirq"`  // IN
	Flags uint32 `xen:"flags"` // IN: BindPirqWillShare
	Port  uint32 `xen:"port"`  // OUT
}

// EvtchnBindIpi mirrors struct evtchn_bind_ipi (xen/event_channel.h), 8
// bytes: EVTCHNOP_bind_ipi.
type EvtchnBindIpi struct {
	Vcpu uint32 `xen:"vcpu"` // IN
	Port uint32 `xen:"port"` // OUT
}

// EvtchnClose mirrors struct evtchn_close (xen/event_channel.h), 4 bytes:
// EVTCHNOP_close.
type EvtchnClose struct {
	Port uint32 `xen:"port"` // IN
}

// EvtchnSend mirrors struct evtchn_send (xen/event_channel.h), 4 bytes:
// EVTCHNOP_send.
type EvtchnSend struct {
	Port uint32 `xen:"port"` // IN
}

// EvtchnStatus mirrors struct evtchn_status (xen/event_channel.h), 24
// bytes: EVTCHNOP_status. U is the union u: {unbound.dom u16},
// {interdomain.dom u16, interdomain.port u32 at +4}, pirq u32 or virq u32;
// use the accessors.
type EvtchnStatus struct {
	Dom    uint16  `xen:"dom"` // IN
	_      [2]byte `xen:"-"`
	Port   uint32  `xen:"port"`    // IN
	Status uint32  `xen:"status"`  // OUT: Evtchnstat*
	Vcpu   uint32  `xen:"vcpu"`    // OUT: vCPU the port notifies
	U      [8]byte `xen:"u,union"` // OUT: depends on Status
}

// Byte offsets inside evtchn_status.u (checked by the test).
const (
	evtchnStatusUnboundDomOff      = 0
	evtchnStatusInterdomainDomOff  = 0
	evtchnStatusInterdomainPortOff = 4
	evtchnStatusPirqOff            = 0
	evtchnStatusVirqOff            = 0
)

// UnboundDom returns u.unbound.dom (Status EvtchnstatUnbound).
func (s *EvtchnStatus) UnboundDom() uint16 {
	return binary.LittleEndian.Uint16(s.U[evtchnStatusUnboundDomOff:])
}

// Interdomain returns u.interdomain.dom and .port (Status
// EvtchnstatInterdomain).
func (s *EvtchnStatus) Interdomain() (dom uint16, port uint32) {
	return binary.LittleEndian.Uint16(s.U[evtchnStatusInterdomainDomOff:]),
		binary.LittleEndian.Uint32(s.U[evtchnStatusInterdomainPortOff:])
}

// Pirq returns u.pirq (Status EvtchnstatPirq).
func (s *EvtchnStatus) Pirq() uint32 { return binary.LittleEndian.Uint32(s.U[evtchnStatusPirqOff:]) }

// Virq returns u.virq (Status EvtchnstatVirq).
func (s *EvtchnStatus) Virq() uint32 { return binary.LittleEndian.Uint32(s.U[evtchnStatusVirqOff:]) }

// SetUnbound sets Status to EvtchnstatUnbound and u.unbound.dom to dom.
func (s *EvtchnStatus) SetUnbound(dom uint16) {
	s.Status, s.U = EvtchnstatUnbound, [8]byte{}
	binary.LittleEndian.PutUint16(s.U[evtchnStatusUnboundDomOff:], dom)
}

// SetInterdomain sets Status to EvtchnstatInterdomain and u.interdomain.
func (s *EvtchnStatus) SetInterdomain(dom uint16, port uint32) {
	s.Status, s.U = EvtchnstatInterdomain, [8]byte{}
	binary.LittleEndian.PutUint16(s.U[evtchnStatusInterdomainDomOff:], dom)
	binary.LittleEndian.PutUint32(s.U[evtchnStatusInterdomainPortOff:], port)
}

// SetPirq sets Status to EvtchnstatPirq and u.pirq.
func (s *EvtchnStatus) SetPirq(pirq uint32) {
	s.Status, s.U = EvtchnstatPirq, [8]byte{}
	binary.LittleEndian.PutUint32(s.U[evtchnStatusPirqOff:], pirq)
}

// SetVirq sets Status to EvtchnstatVirq and u.virq.
func (s *EvtchnStatus) SetVirq(virq uint32) {
	s.Status, s.U = EvtchnstatVirq, [8]byte{}
	binary.LittleEndian.PutUint32(s.U[evtchnStatusVirqOff:], virq)
}

// EvtchnBindVcpu mirrors struct evtchn_bind_vcpu (xen/event_channel.h), 8
// bytes: EVTCHNOP_bind_vcpu.
type EvtchnBindVcpu struct {
	Port uint32 `xen:"port"` // IN
	Vcpu uint32 `xen:"vcpu"` // IN: vCPU to notify from now on
}

// EvtchnUnmask mirrors struct evtchn_unmask (xen/event_channel.h), 4 bytes:
// EVTCHNOP_unmask.
type EvtchnUnmask struct {
	Port uint32 `xen:"port"` // IN
}

// EvtchnReset mirrors struct evtchn_reset (xen/event_channel.h), 2 bytes:
// EVTCHNOP_reset.
type EvtchnReset struct {
	Dom uint16 `xen:"dom"` // IN
}

// EvtchnInitControl mirrors struct evtchn_init_control
// (xen/event_channel.h), 24 bytes: EVTCHNOP_init_control (FIFO ABI;
// answering -ENOSYS keeps Linux on the 2-level ABI).
type EvtchnInitControl struct {
	ControlGfn uint64  `xen:"control_gfn"` // IN
	Offset     uint32  `xen:"offset"`      // IN
	Vcpu       uint32  `xen:"vcpu"`        // IN
	LinkBits   uint8   `xen:"link_bits"`   // OUT
	Pad        [7]byte `xen:"_pad"`
}

// EvtchnExpandArray mirrors struct evtchn_expand_array
// (xen/event_channel.h), 8 bytes: EVTCHNOP_expand_array (FIFO ABI).
type EvtchnExpandArray struct {
	ArrayGfn uint64 `xen:"array_gfn"` // IN
}

// EvtchnSetPriority mirrors struct evtchn_set_priority
// (xen/event_channel.h), 8 bytes: EVTCHNOP_set_priority (FIFO ABI).
type EvtchnSetPriority struct {
	Port     uint32 `xen:"port"`     // IN
	Priority uint32 `xen:"priority"` // IN
}

// ---- hvm_op: hvm/hvm_op.h ----

// XenHvmParam mirrors struct xen_hvm_param (xen/hvm/hvm_op.h), 16 bytes:
// HVMOP_set_param and HVMOP_get_param.
type XenHvmParam struct {
	Domid uint16 `xen:"domid"` // IN: DomidSelf
	Pad   uint16 `xen:"pad"`
	Index uint32 `xen:"index"` // IN: HvmParam*
	Value uint64 `xen:"value"` // IN (set) / OUT (get)
}

// XenHvmEvtchnUpcallVector mirrors struct xen_hvm_evtchn_upcall_vector
// (xen/hvm/hvm_op.h), 8 bytes: HVMOP_set_evtchn_upcall_vector.
type XenHvmEvtchnUpcallVector struct {
	Vcpu   uint32  `xen:"vcpu"`   // IN
	Vector uint8   `xen:"vector"` // IN: LAPIC vector for this vCPU's upcalls
	_      [3]byte `xen:"-"`
}

// XenHvmPagetableDying mirrors struct xen_hvm_pagetable_dying
// (xen/hvm/hvm_op.h), 16 bytes: HVMOP_pagetable_dying.
type XenHvmPagetableDying struct {
	Domid uint16    `xen:"domid"` // IN
	Pad   [3]uint16 `xen:"pad"`
	Gpa   uint64    `xen:"gpa"` // IN: top-level page table being destroyed
}

// XenHvmGetTime mirrors struct xen_hvm_get_time (xen/hvm/hvm_op.h), 8
// bytes: HVMOP_get_time.
type XenHvmGetTime struct {
	Now uint64 `xen:"now"` // OUT: system time in ns
}

// ---- grant_table_op: grant_table.h ----

// GrantEntryV1 mirrors struct grant_entry_v1 (xen/grant_table.h), 8 bytes;
// 512 per 4 KiB grant frame. The guest fills Domid and Frame, then Flags.
type GrantEntryV1 struct {
	Flags uint16 `xen:"flags"` // Gtf*: type and readonly (guest), reading/writing (hypervisor)
	Domid uint16 `xen:"domid"` // domain allowed to use the grant
	Frame uint32 `xen:"frame"` // GFN granted
}

// GnttabMapGrantRef mirrors struct gnttab_map_grant_ref
// (xen/grant_table.h), 32 bytes: GNTTABOP_map_grant_ref.
type GnttabMapGrantRef struct {
	HostAddr   uint64 `xen:"host_addr"`    // IN: for HVM host_map, the guest-physical address
	Flags      uint32 `xen:"flags"`        // IN: Gntmap*
	Ref        uint32 `xen:"ref"`          // IN
	Dom        uint16 `xen:"dom"`          // IN: granting domain
	Status     int16  `xen:"status"`       // OUT: Gntst*
	Handle     uint32 `xen:"handle"`       // OUT
	DevBusAddr uint64 `xen:"dev_bus_addr"` // OUT
}

// GnttabUnmapGrantRef mirrors struct gnttab_unmap_grant_ref
// (xen/grant_table.h), 24 bytes: GNTTABOP_unmap_grant_ref.
type GnttabUnmapGrantRef struct {
	HostAddr   uint64  `xen:"host_addr"`    // IN
	DevBusAddr uint64  `xen:"dev_bus_addr"` // IN
	Handle     uint32  `xen:"handle"`       // IN
	Status     int16   `xen:"status"`       // OUT: Gntst*
	_          [2]byte `xen:"-"`
}

// GnttabSetupTable mirrors struct gnttab_setup_table (xen/grant_table.h),
// 24 bytes: GNTTABOP_setup_table.
type GnttabSetupTable struct {
	Dom       uint16  `xen:"dom"` // IN
	_         [2]byte `xen:"-"`
	NrFrames  uint32  `xen:"nr_frames"` // IN
	Status    int16   `xen:"status"`    // OUT: Gntst*
	_         [6]byte `xen:"-"`
	FrameList uint64  `xen:"frame_list,handle"` // handle: xen_pfn_t array, OUT
}

// GnttabDumpTable mirrors struct gnttab_dump_table (xen/grant_table.h), 4
// bytes: GNTTABOP_dump_table.
type GnttabDumpTable struct {
	Dom    uint16 `xen:"dom"`    // IN
	Status int16  `xen:"status"` // OUT: Gntst*
}

// GnttabTransfer mirrors struct gnttab_transfer (xen/grant_table.h), 24
// bytes: GNTTABOP_transfer (PV only).
type GnttabTransfer struct {
	Mfn    uint64  `xen:"mfn"`   // IN
	Domid  uint16  `xen:"domid"` // IN
	_      [2]byte `xen:"-"`
	Ref    uint32  `xen:"ref"`    // IN
	Status int16   `xen:"status"` // OUT: Gntst*
	_      [6]byte `xen:"-"`
}

// GnttabCopyPtr mirrors struct gnttab_copy_ptr (xen/grant_table.h, declared
// inside struct gnttab_copy), 16 bytes. U is the union u {ref u32; gmfn
// xen_pfn_t}: a grant ref when the copy's flags have the Gntcopy*Gref bit
// for this side, else a GMFN of the caller.
type GnttabCopyPtr struct {
	U      [8]byte `xen:"u,union"`
	Domid  uint16  `xen:"domid"`
	Offset uint16  `xen:"offset"` // bytes into the page
	_      [4]byte `xen:"-"`
}

// Ref returns u.ref.
func (p *GnttabCopyPtr) Ref() uint32 { return binary.LittleEndian.Uint32(p.U[:]) }

// Gmfn returns u.gmfn.
func (p *GnttabCopyPtr) Gmfn() uint64 { return binary.LittleEndian.Uint64(p.U[:]) }

// SetRef stores ref in u.ref (clearing the rest of the union).
func (p *GnttabCopyPtr) SetRef(ref uint32) {
	p.U = [8]byte{}
	binary.LittleEndian.PutUint32(p.U[:], ref)
}

// SetGmfn stores gmfn in u.gmfn.
func (p *GnttabCopyPtr) SetGmfn(gmfn uint64) { binary.LittleEndian.PutUint64(p.U[:], gmfn) }

// GnttabCopy mirrors struct gnttab_copy (xen/grant_table.h), 40 bytes:
// GNTTABOP_copy. A copy may not cross a 4 KiB page on either side.
type GnttabCopy struct {
	Source GnttabCopyPtr `xen:"source"` // IN
	Dest   GnttabCopyPtr `xen:"dest"`   // IN
	Len    uint16        `xen:"len"`    // IN: bytes
	Flags  uint16        `xen:"flags"`  // IN: Gntcopy*
	Status int16         `xen:"status"` // OUT: Gntst*
	_      [2]byte       `xen:"-"`
}

// GnttabQuerySize mirrors struct gnttab_query_size (xen/grant_table.h), 16
// bytes: GNTTABOP_query_size.
type GnttabQuerySize struct {
	Dom         uint16  `xen:"dom"` // IN
	_           [2]byte `xen:"-"`
	NrFrames    uint32  `xen:"nr_frames"`     // OUT: current frames
	MaxNrFrames uint32  `xen:"max_nr_frames"` // OUT: limit
	Status      int16   `xen:"status"`        // OUT: Gntst*
	_           [2]byte `xen:"-"`
}

// GnttabUnmapAndReplace mirrors struct gnttab_unmap_and_replace
// (xen/grant_table.h), 24 bytes: GNTTABOP_unmap_and_replace (PV only).
type GnttabUnmapAndReplace struct {
	HostAddr uint64  `xen:"host_addr"` // IN
	NewAddr  uint64  `xen:"new_addr"`  // IN
	Handle   uint32  `xen:"handle"`    // IN
	Status   int16   `xen:"status"`    // OUT: Gntst*
	_        [2]byte `xen:"-"`
}

// GnttabSetVersion mirrors struct gnttab_set_version (xen/grant_table.h),
// 4 bytes: GNTTABOP_set_version.
type GnttabSetVersion struct {
	Version uint32 `xen:"version"` // IN: requested; OUT: in effect
}

// GnttabGetStatusFrames mirrors struct gnttab_get_status_frames
// (xen/grant_table.h), 16 bytes: GNTTABOP_get_status_frames (v2).
type GnttabGetStatusFrames struct {
	NrFrames  uint32 `xen:"nr_frames"`         // IN
	Dom       uint16 `xen:"dom"`               // IN
	Status    int16  `xen:"status"`            // OUT: Gntst*
	FrameList uint64 `xen:"frame_list,handle"` // handle: uint64 array, OUT
}

// GnttabGetVersion mirrors struct gnttab_get_version (xen/grant_table.h),
// 8 bytes: GNTTABOP_get_version.
type GnttabGetVersion struct {
	Dom     uint16 `xen:"dom"` // IN
	Pad     uint16 `xen:"pad"`
	Version uint32 `xen:"version"` // OUT
}

// GnttabSwapGrantRef mirrors struct gnttab_swap_grant_ref
// (xen/grant_table.h), 12 bytes: GNTTABOP_swap_grant_ref.
type GnttabSwapGrantRef struct {
	RefA   uint32  `xen:"ref_a"`  // IN
	RefB   uint32  `xen:"ref_b"`  // IN
	Status int16   `xen:"status"` // OUT: Gntst*
	_      [2]byte `xen:"-"`
}

// ---- xenstore and console rings: io/xs_wire.h, io/console.h ----

// XenstoreDomainInterface mirrors struct xenstore_domain_interface
// (xen/io/xs_wire.h), 2076 bytes at the start of the xenstore ring page.
// Indexes are free-running and masked with XenstoreRingSize-1.
type XenstoreDomainInterface struct {
	Req            [XenstoreRingSize]byte `xen:"req"`             // guest to daemon
	Rsp            [XenstoreRingSize]byte `xen:"rsp"`             // daemon to guest
	ReqCons        uint32                 `xen:"req_cons"`        // written by the daemon
	ReqProd        uint32                 `xen:"req_prod"`        // written by the guest
	RspCons        uint32                 `xen:"rsp_cons"`        // written by the guest
	RspProd        uint32                 `xen:"rsp_prod"`        // written by the daemon
	ServerFeatures uint32                 `xen:"server_features"` // XenstoreServerFeature*
	Connection     uint32                 `xen:"connection"`      // XenstoreConnected / XenstoreReconnect
	Error          uint32                 `xen:"error"`           // XenstoreError*
}

// XsdSockmsg mirrors struct xsd_sockmsg (xen/io/xs_wire.h), 16 bytes: the
// header of every xenstore message; Len payload bytes follow.
type XsdSockmsg struct {
	Type  uint32 `xen:"type"`   // Xs*
	ReqId uint32 `xen:"req_id"` // echoed in the reply
	TxId  uint32 `xen:"tx_id"`  // transaction, 0 = none
	Len   uint32 `xen:"len"`    // payload bytes, at most XenstorePayloadMax
}

// XenconsInterface mirrors struct xencons_interface (xen/io/console.h),
// 3088 bytes at the start of a console ring page. Indexes are free-running
// and masked with the array size minus one.
type XenconsInterface struct {
	In      [XenconsInRingSize]byte  `xen:"in"`       // back end to guest
	Out     [XenconsOutRingSize]byte `xen:"out"`      // guest to back end
	InCons  uint32                   `xen:"in_cons"`  // written by the guest
	InProd  uint32                   `xen:"in_prod"`  // written by the back end
	OutCons uint32                   `xen:"out_cons"` // written by the back end
	OutProd uint32                   `xen:"out_prod"` // written by the guest
}

// ---- block ring: io/blkif.h ----

// BlkifRequestSegment mirrors struct blkif_request_segment
// (xen/io/blkif.h), 8 bytes. Sectors are 512 bytes, inclusive, within the
// granted 4 KiB frame (0..7).
type BlkifRequestSegment struct {
	Gref      uint32  `xen:"gref"`
	FirstSect uint8   `xen:"first_sect"`
	LastSect  uint8   `xen:"last_sect"`
	_         [2]byte `xen:"-"`
}

// BlkifRequest mirrors struct blkif_request (xen/io/blkif.h), 112 bytes:
// one ring slot of a read, write, barrier or flush request.
type BlkifRequest struct {
	Operation    uint8                                           `xen:"operation"`   // BlkifOp*
	NrSegments   uint8                                           `xen:"nr_segments"` // used entries of Seg
	Handle       uint16                                          `xen:"handle"`      // virtual device
	_            [4]byte                                         `xen:"-"`
	Id           uint64                                          `xen:"id"`            // echoed in the response
	SectorNumber uint64                                          `xen:"sector_number"` // 512-byte sectors
	Seg          [BlkifMaxSegmentsPerRequest]BlkifRequestSegment `xen:"seg"`
}

// BlkifRequestDiscard mirrors struct blkif_request_discard
// (xen/io/blkif.h), 32 bytes: BLKIF_OP_DISCARD in a request slot.
type BlkifRequestDiscard struct {
	Operation    uint8   `xen:"operation"` // BlkifOpDiscard
	Flag         uint8   `xen:"flag"`      // BlkifDiscardSecure
	Handle       uint16  `xen:"handle"`
	_            [4]byte `xen:"-"`
	Id           uint64  `xen:"id"`
	SectorNumber uint64  `xen:"sector_number"`
	NrSectors    uint64  `xen:"nr_sectors"`
}

// BlkifRequestIndirect mirrors struct blkif_request_indirect
// (xen/io/blkif.h), 64 bytes on x86_64: BLKIF_OP_INDIRECT in a request slot.
type BlkifRequestIndirect struct {
	Operation     uint8                                   `xen:"operation"`   // BlkifOpIndirect
	IndirectOp    uint8                                   `xen:"indirect_op"` // BlkifOpRead or BlkifOpWrite
	NrSegments    uint16                                  `xen:"nr_segments"`
	_             [4]byte                                 `xen:"-"`
	Id            uint64                                  `xen:"id"`
	SectorNumber  uint64                                  `xen:"sector_number"`
	Handle        uint16                                  `xen:"handle"`
	_             [2]byte                                 `xen:"-"`
	IndirectGrefs [BlkifMaxIndirectPagesPerRequest]uint32 `xen:"indirect_grefs"` // pages of BlkifRequestSegment
	_             [4]byte                                 `xen:"-"`
}

// BlkifResponse mirrors struct blkif_response (xen/io/blkif.h), 16 bytes.
type BlkifResponse struct {
	Id        uint64  `xen:"id"`        // copied from the request
	Operation uint8   `xen:"operation"` // copied from the request
	_         [1]byte `xen:"-"`
	Status    int16   `xen:"status"` // BlkifRsp*
	_         [4]byte `xen:"-"`
}

// ---- encoding helpers ----

// SizeOf returns the wire size in bytes of T (the C sizeof for the mirrors
// in this file), or -1 if T is not a fixed-size type.
func SizeOf[T any]() int {
	var v T
	return binary.Size(&v)
}

// Decode fills v from the first SizeOf[T]() bytes of b, little-endian
// (extra bytes are ignored). It fails, leaving v unchanged, if b is too
// short.
func Decode[T any](b []byte, v *T) error {
	_, err := binary.Decode(b, binary.LittleEndian, v)
	return err
}

// Encode writes v into the first SizeOf[T]() bytes of b, little-endian;
// `_` padding fields are written as zeros. It fails if b is too short.
func Encode[T any](b []byte, v *T) error {
	_, err := binary.Encode(b, binary.LittleEndian, v)
	return err
}

// Append appends the little-endian encoding of v to b.
func Append[T any](b []byte, v *T) ([]byte, error) {
	return binary.Append(b, binary.LittleEndian, v)
}

// mustDecode and mustEncode are for fixed buffers whose size is known to
// fit (union accessors); an error there is a broken invariant.
func mustDecode[T any](b []byte, v *T) {
	if err := Decode(b, v); err != nil {
		panic("hypercall: " + err.Error())
	}
}

func mustEncode[T any](b []byte, v *T) {
	if err := Encode(b, v); err != nil {
		panic("hypercall: " + err.Error())
	}
}
