package hypercall

// Numeric and string constants of Xen's public ABI, named after their C
// macros (see the naming rule in doc.go: "__HYPERVISOR_memory_op" becomes
// NrMemoryOp, "XENMEM_add_to_physmap" becomes XenmemAddToPhysmap,
// "HVM_PARAM_STORE_PFN" becomes HvmParamStorePfn). Each group cites the
// header under /usr/include/xen (Debian libxen-dev 4.17) it comes from, read
// with __XEN_INTERFACE_VERSION__ = 0x00040e00. TestConstants in abi_test.go
// compiles every value here against those headers; the few constants that
// are not in the public headers say where they come from and how the test
// checks them.
//
// This file must stay self-contained (no imports, no references to other
// files' declarations): the test type-checks it on its own with go/types.

// Hypercall numbers (xen.h, __HYPERVISOR_*). 11 is unassigned; 6, 16 and 19
// are the compat versions of sched_op, event_channel_op and physdev_op.
const (
	NrSetTrapTable               = 0
	NrMmuUpdate                  = 1
	NrSetGdt                     = 2
	NrStackSwitch                = 3
	NrSetCallbacks               = 4
	NrFpuTaskswitch              = 5
	NrSchedOpCompat              = 6
	NrPlatformOp                 = 7
	NrSetDebugreg                = 8
	NrGetDebugreg                = 9
	NrUpdateDescriptor           = 10
	NrMemoryOp                   = 12
	NrMulticall                  = 13
	NrUpdateVaMapping            = 14
	NrSetTimerOp                 = 15
	NrEventChannelOpCompat       = 16
	NrXenVersion                 = 17
	NrConsoleIo                  = 18
	NrPhysdevOpCompat            = 19
	NrGrantTableOp               = 20
	NrVmAssist                   = 21
	NrUpdateVaMappingOtherdomain = 22
	NrIret                       = 23
	NrVcpuOp                     = 24
	NrSetSegmentBase             = 25
	NrMmuextOp                   = 26
	NrXsmOp                      = 27
	NrNmiOp                      = 28
	NrSchedOp                    = 29
	NrCallbackOp                 = 30
	NrXenoprofOp                 = 31
	NrEventChannelOp             = 32
	NrPhysdevOp                  = 33
	NrHvmOp                      = 34
	NrSysctl                     = 35
	NrDomctl                     = 36
	NrKexecOp                    = 37
	NrTmemOp                     = 38
	NrArgoOp                     = 39
	NrXenpmuOp                   = 40
	NrDmOp                       = 41
	NrHypfsOp                    = 42
	NrArch0                      = 48
	NrArch1                      = 49
	NrArch2                      = 50
	NrArch3                      = 51
	NrArch4                      = 52
	NrArch5                      = 53
	NrArch6                      = 54
	NrArch7                      = 55
)

// Virtual IRQs (xen.h, VIRQ_*). Per-vCPU: TIMER, DEBUG, XENOPROF, XENPMU;
// the rest are global (bound once per domain, delivered to vCPU 0).
const (
	VirqTimer     = 0
	VirqDebug     = 1
	VirqConsole   = 2
	VirqDomExc    = 3
	VirqTbuf      = 4
	VirqDebugger  = 6
	VirqXenoprof  = 7
	VirqConRing   = 8
	VirqPcpuState = 9
	VirqMemEvent  = 10
	VirqArgo      = 11
	VirqEnomem    = 12
	VirqXenpmu    = 13
	VirqArch0     = 16
	VirqArch1     = 17
	VirqArch2     = 18
	VirqArch3     = 19
	VirqArch4     = 20
	VirqArch5     = 21
	VirqArch6     = 22
	VirqArch7     = 23
	NrVirqs       = 24
)

// console_io sub-ops (xen.h, CONSOLEIO_*).
const (
	ConsoleioWrite = 0
	ConsoleioRead  = 1
)

// Special domain ids (xen.h, DOMID_*); domid_t is a uint16 and real domains
// use 0..DomidFirstReserved-1.
const (
	DomidFirstReserved = 0x7FF0
	DomidSelf          = 0x7FF0
	DomidIo            = 0x7FF1
	DomidXen           = 0x7FF2
	DomidCow           = 0x7FF3
	DomidInvalid       = 0x7FF4
	DomidIdle          = 0x7FFF
	DomidMask          = 0x7FFF
)

// vcpu_time_info.flags bits (xen.h, XEN_PVCLOCK_*).
const (
	XenPvclockTscStableBit = 1 << 0
	XenPvclockGuestStopped = 1 << 1
)

// start_info / hvm_start_info flags (xen.h, SIF_*).
const (
	SifPrivileged    = 1 << 0
	SifInitdomain    = 1 << 1
	SifMultibootMod  = 1 << 2
	SifModStartPfn   = 1 << 3
	SifVirtP2m4tools = 1 << 4
	SifPmMask        = 0xFF << 8
)

// x86 architecture limits (arch-x86/xen.h).
const (
	XenLegacyMaxVcpus     = 32   // vcpu_info slots inside shared_info
	XenHvmDebugconsIoport = 0xe9 // HVM debug console port
)

// xen_version sub-ops and buffer lengths in bytes (version.h, XENVER_*).
const (
	XenverVersion            = 0
	XenverExtraversion       = 1
	XenverCompileInfo        = 2
	XenverCapabilities       = 3
	XenverChangeset          = 4
	XenverPlatformParameters = 5
	XenverGetFeatures        = 6
	XenverPagesize           = 7
	XenverGuestHandle        = 8
	XenverCommandline        = 9
	XenverBuildId            = 10

	XenExtraversionLen     = 16
	XenCapabilitiesInfoLen = 1024
	XenChangesetInfoLen    = 64
)

// Feature bits returned by XENVER_get_features submap 0 (features.h,
// XENFEAT_*); values are bit numbers, not masks. 12 was
// XENFEAT_grant_map_identity, deprecated (commented out in the header).
const (
	XenfeatWritablePageTables       = 0
	XenfeatWritableDescriptorTables = 1
	XenfeatAutoTranslatedPhysmap    = 2
	XenfeatSupervisorModeKernel     = 3
	XenfeatPaePgdirAbove4gb         = 4
	XenfeatMmuPtUpdatePreserveAd    = 5
	XenfeatHighmemAssist            = 6
	XenfeatGnttabMapAvailBits       = 7
	XenfeatHvmCallbackVector        = 8
	XenfeatHvmSafePvclock           = 9
	XenfeatHvmPirqs                 = 10
	XenfeatDom0                     = 11
	XenfeatMemoryOpVnodeSupported   = 13
	XenfeatArmSmcccSupported        = 14
	XenfeatLinuxRsdpUnrestricted    = 15
	XenfeatNotDirectMapped          = 16
	XenfeatDirectMapped             = 17
	XenfeatNrSubmaps                = 1
)

// sched_op sub-ops (sched.h, SCHEDOP_*).
const (
	SchedopYield          = 0
	SchedopBlock          = 1
	SchedopShutdown       = 2
	SchedopPoll           = 3
	SchedopRemoteShutdown = 4
	SchedopShutdownCode   = 5
	SchedopWatchdog       = 6
	SchedopPinOverride    = 7
)

// Shutdown reasons (sched.h, SHUTDOWN_*).
const (
	ShutdownPoweroff  = 0
	ShutdownReboot    = 1
	ShutdownSuspend   = 2
	ShutdownCrash     = 3
	ShutdownWatchdog  = 4
	ShutdownSoftReset = 5
	ShutdownMax       = 5
)

// memory_op sub-ops (memory.h, XENMEM_*). Those under __XEN_TOOLS__ only
// (18-22, 24, 27) are left out; 8 was removed.
const (
	XenmemIncreaseReservation   = 0
	XenmemDecreaseReservation   = 1
	XenmemMaximumRamPage        = 2
	XenmemCurrentReservation    = 3
	XenmemMaximumReservation    = 4
	XenmemMachphysMfnList       = 5
	XenmemPopulatePhysmap       = 6
	XenmemAddToPhysmap          = 7
	XenmemMemoryMap             = 9
	XenmemMachineMemoryMap      = 10
	XenmemExchange              = 11
	XenmemMachphysMapping       = 12
	XenmemSetMemoryMap          = 13
	XenmemMaximumGpfn           = 14
	XenmemRemoveFromPhysmap     = 15
	XenmemSetPodTarget          = 16
	XenmemGetPodTarget          = 17
	XenmemAddToPhysmapBatch     = 23
	XenmemMachphysCompatMfnList = 25
	XenmemGetVnumainfo          = 26
	XenmemAcquireResource       = 28
)

// xen_memory_reservation.mem_flags bits (memory.h, XENMEMF_*). Bits 0..7
// carry the address width, bits 8..15 the NUMA node + 1.
const (
	XenmemfPopulateOnDemand = 1 << 16
	XenmemfExactNodeRequest = 1 << 17
	XenmemfVnode            = 1 << 18
)

// Continuation encoding of the memory_op cmd argument. Not in the public
// headers: Xen's xen/include/xen/hypercall.h defines them ("cmd[:6] ==
// start_extent"), and says they are effectively ABI because a guest
// suspended mid-continuation must resume on another hypervisor.
const (
	MemopExtentShift = 6
	MemopCmdMask     = 1<<MemopExtentShift - 1
)

// xen_add_to_physmap.space values (memory.h, XENMAPSPACE_*), and the idx
// flag asking for a grant-table v2 status frame.
const (
	XenmapspaceSharedInfo     = 0
	XenmapspaceGrantTable     = 1
	XenmapspaceGmfn           = 2
	XenmapspaceGmfnRange      = 3
	XenmapspaceGmfnForeign    = 4
	XenmapspaceDevMmio        = 5
	XenmapidxGrantTableStatus = 0x80000000
)

// vcpu_op sub-ops, run states and flags (vcpu.h, VCPUOP_*, RUNSTATE_*).
const (
	VcpuopInitialise                 = 0
	VcpuopUp                         = 1
	VcpuopDown                       = 2
	VcpuopIsUp                       = 3
	VcpuopGetRunstateInfo            = 4
	VcpuopRegisterRunstateMemoryArea = 5
	VcpuopSetPeriodicTimer           = 6
	VcpuopStopPeriodicTimer          = 7
	VcpuopSetSingleshotTimer         = 8
	VcpuopStopSingleshotTimer        = 9
	VcpuopRegisterVcpuInfo           = 10
	VcpuopSendNmi                    = 11
	VcpuopGetPhysid                  = 12
	VcpuopRegisterVcpuTimeMemoryArea = 13

	RunstateRunning  = 0
	RunstateRunnable = 1
	RunstateBlocked  = 2
	RunstateOffline  = 3

	// XenRunstateUpdate is set in vcpu_runstate_info.state_entry_time
	// while the hypervisor updates a guest-mapped copy.
	XenRunstateUpdate = 1 << 63

	// VcpuSshottmrFuture is the vcpu_set_singleshot_timer flag "fail
	// with -ETIME if the deadline has passed".
	VcpuSshottmrFuture = 1 << 0
)

// vcpu_hvm_context.mode values (hvm/hvm_vcpu.h, VCPU_HVM_MODE_*).
const (
	VcpuHvmMode32b = 0
	VcpuHvmMode64b = 1
)

// event_channel_op sub-ops, status values and limits (event_channel.h).
const (
	EvtchnopBindInterdomain = 0
	EvtchnopBindVirq        = 1
	EvtchnopBindPirq        = 2
	EvtchnopClose           = 3
	EvtchnopSend            = 4
	EvtchnopStatus          = 5
	EvtchnopAllocUnbound    = 6
	EvtchnopBindIpi         = 7
	EvtchnopBindVcpu        = 8
	EvtchnopUnmask          = 9
	EvtchnopReset           = 10
	EvtchnopInitControl     = 11
	EvtchnopExpandArray     = 12
	EvtchnopSetPriority     = 13

	EvtchnstatClosed      = 0
	EvtchnstatUnbound     = 1
	EvtchnstatInterdomain = 2
	EvtchnstatPirq        = 3
	EvtchnstatVirq        = 4
	EvtchnstatIpi         = 5

	// BindPirqWillShare is the evtchn_bind_pirq flag BIND_PIRQ__WILL_SHARE.
	BindPirqWillShare = 1

	// Evtchn2lNrChannels is EVTCHN_2L_NR_CHANNELS on x86_64: 8 x 8 x 64
	// ports in the 2-level ABI (port p is bit p%64 of word p/64 of
	// shared_info.evtchn_pending and evtchn_mask).
	Evtchn2lNrChannels = 4096
)

// grant_table_op sub-ops (grant_table.h, GNTTABOP_*).
const (
	GnttabopMapGrantRef     = 0
	GnttabopUnmapGrantRef   = 1
	GnttabopSetupTable      = 2
	GnttabopDumpTable       = 3
	GnttabopTransfer        = 4
	GnttabopCopy            = 5
	GnttabopQuerySize       = 6
	GnttabopUnmapAndReplace = 7
	GnttabopSetVersion      = 8
	GnttabopGetStatusFrames = 9
	GnttabopGetVersion      = 10
	GnttabopSwapGrantRef    = 11
	GnttabopCacheFlush      = 12
)

// Grant entry flags (grant_table.h, GTF_*) and reserved grant refs.
// Bits 0..1 are the type; for accept_transfer entries bits 2 and 3 mean
// transfer_committed and transfer_completed instead of readonly/reading.
const (
	GtfInvalid           = 0 << 0
	GtfPermitAccess      = 1 << 0
	GtfAcceptTransfer    = 2 << 0
	GtfTransitive        = 3 << 0
	GtfTypeMask          = 3 << 0
	GtfReadonly          = 1 << 2
	GtfReading           = 1 << 3
	GtfWriting           = 1 << 4
	GtfPwt               = 1 << 5
	GtfPcd               = 1 << 6
	GtfPat               = 1 << 7
	GtfSubPage           = 1 << 8
	GtfTransferCommitted = 1 << 2
	GtfTransferCompleted = 1 << 3

	GnttabNrReservedEntries = 8
	GnttabReservedConsole   = 0
	GnttabReservedXenstore  = 1
)

// gnttab_map_grant_ref.flags (grant_table.h, GNTMAP_*).
const (
	GntmapDeviceMap      = 1 << 0
	GntmapHostMap        = 1 << 1
	GntmapReadonly       = 1 << 2
	GntmapApplicationMap = 1 << 3
	GntmapContainsPte    = 1 << 4
	GntmapGuestAvailMask = 0xFFFF0000
)

// gnttab_copy.flags (grant_table.h, GNTCOPY_*).
const (
	GntcopySourceGref = 1 << 0
	GntcopyDestGref   = 1 << 1
)

// Per-element grant status codes (grant_table.h, GNTST_*), stored in the
// int16 status fields.
const (
	GntstOkay             = 0
	GntstGeneralError     = -1
	GntstBadDomain        = -2
	GntstBadGntref        = -3
	GntstBadHandle        = -4
	GntstBadVirtAddr      = -5
	GntstBadDevAddr       = -6
	GntstNoDeviceSpace    = -7
	GntstPermissionDenied = -8
	GntstBadPage          = -9
	GntstBadCopyArg       = -10
	GntstAddressTooBig    = -11
	GntstEagain           = -12
	GntstNoSpace          = -13
)

// hvm_op sub-ops (hvm/hvm_op.h, HVMOP_*). 2, 3 and 4 no longer exist at
// interface 0x00040e00; 12 and 13 are tools-only.
const (
	HvmopSetParam              = 0
	HvmopGetParam              = 1
	HvmopFlushTlbs             = 5
	HvmopPagetableDying        = 9
	HvmopGetTime               = 10
	HvmopXentrace              = 11
	HvmopGetMemType            = 15
	HvmopSetEvtchnUpcallVector = 23
	HvmopGuestRequestVmEvent   = 24
	HvmopAltp2m                = 25
)

// HVM parameter indexes (hvm/params.h, HVM_PARAM_*). Tools-only indexes
// (4, 13, 20-26, 30) are left out.
const (
	HvmParamCallbackIrq         = 0
	HvmParamStorePfn            = 1
	HvmParamStoreEvtchn         = 2
	HvmParamIoreqPfn            = 5
	HvmParamBufioreqPfn         = 6
	HvmParamViridian            = 9
	HvmParamTimerMode           = 10
	HvmParamHpetEnabled         = 11
	HvmParamIdentPt             = 12
	HvmParamAcpiSState          = 14
	HvmParamVm86Tss             = 15
	HvmParamVptAlign            = 16
	HvmParamConsolePfn          = 17
	HvmParamConsoleEvtchn       = 18
	HvmParamAcpiIoportsLocation = 19
	HvmParamPagingRingPfn       = 27
	HvmParamMonitorRingPfn      = 28
	HvmParamSharingRingPfn      = 29
	HvmParamTripleFaultReason   = 31
	HvmParamIoreqServerPfn      = 32
	HvmParamNrIoreqServerPages  = 33
	HvmParamVmGenerationIdAddr  = 34
	HvmParamAltp2m              = 35
	HvmParamX87FipWidth         = 36
	HvmParamVm86TssSized        = 37
	HvmParamMcaCap              = 38
	HvmNrParams                 = 39
)

// HVM_PARAM_CALLBACK_IRQ value encoding (hvm/params.h): the type lives in
// bits 56..63.
const (
	HvmParamCallbackIrqTypeMask = 0xFF00000000000000
	HvmParamCallbackTypeGsi     = 0
	HvmParamCallbackTypePciIntx = 1
	HvmParamCallbackTypeVector  = 2
)

// PVH start info magic and memory map entry types
// (arch-x86/hvm/start_info.h). The types are the ACPI address range types,
// the same numbers as E820Entry.Type.
const (
	XenHvmStartMagicValue    = 0x336ec578
	XenHvmMemmapTypeRam      = 1
	XenHvmMemmapTypeReserved = 2
	XenHvmMemmapTypeAcpi     = 3
	XenHvmMemmapTypeNvs      = 4
	XenHvmMemmapTypeUnusable = 5
	XenHvmMemmapTypeDisabled = 6
	XenHvmMemmapTypePmem     = 7
)

// ELF note types in the "Xen" note namespace (elfnote.h, XEN_ELFNOTE_*).
const (
	XenElfnoteInfo              = 0
	XenElfnoteEntry             = 1
	XenElfnoteHypercallPage     = 2
	XenElfnoteVirtBase          = 3
	XenElfnotePaddrOffset       = 4
	XenElfnoteXenVersion        = 5
	XenElfnoteGuestOs           = 6
	XenElfnoteGuestVersion      = 7
	XenElfnoteLoader            = 8
	XenElfnotePaeMode           = 9
	XenElfnoteFeatures          = 10
	XenElfnoteBsdSymtab         = 11
	XenElfnoteHvStartLow        = 12
	XenElfnoteL1MfnValid        = 13
	XenElfnoteSuspendCancel     = 14
	XenElfnoteInitP2m           = 15
	XenElfnoteModStartPfn       = 16
	XenElfnoteSupportedFeatures = 17
	XenElfnotePhys32Entry       = 18
	XenElfnoteMax               = 18
)

// Hypervisor CPUID leaves (arch-x86/cpuid.h). Leaf numbers are for the
// default base 0x40000000 (Viridian moves Xen's leaves to 0x40000100). The
// signature words spell "XenVMMXenVMM" in ebx, ecx, edx.
const (
	XenCpuidFirstLeaf    = 0x40000000
	XenCpuidSignatureEbx = 0x566e6558 // "XenV"
	XenCpuidSignatureEcx = 0x65584d4d // "MMXe"
	XenCpuidSignatureEdx = 0x4d4d566e // "nVMM"
	XenCpuidMaxNumLeaves = 5          // leaves after the first: base+1..base+5

	// Leaf numbers, XEN_CPUID_LEAF(i) in C (the header has no names for
	// them; the test checks each against XEN_CPUID_LEAF(i)).
	XenCpuidLeafVersion      = XenCpuidFirstLeaf + 1 // eax = major<<16 | minor
	XenCpuidLeafHypercall    = XenCpuidFirstLeaf + 2 // eax pages, ebx MSR index
	XenCpuidLeafTime         = XenCpuidFirstLeaf + 3 // TSC mode, frequencies
	XenCpuidLeafHvmFeatures  = XenCpuidFirstLeaf + 4 // XEN_HVM_CPUID_* in eax
	XenCpuidLeafPvParameters = XenCpuidFirstLeaf + 5 // PV only

	// Leaf 2 ecx bit.
	XenCpuidFeat1MmuPtUpdatePreserveAd = 1 << 0

	// Leaf 4 eax bits.
	XenHvmCpuidApicAccessVirt = 1 << 0
	XenHvmCpuidX2apicVirt     = 1 << 1
	XenHvmCpuidIommuMappings  = 1 << 2
	XenHvmCpuidVcpuIdPresent  = 1 << 3 // vCPU id in ebx
	XenHvmCpuidDomidPresent   = 1 << 4 // domid in ecx
	XenHvmCpuidExtDestId      = 1 << 5
	XenHvmCpuidUpcallVector   = 1 << 6 // HVMOP_set_evtchn_upcall_vector works

	// Leaf 5 ebx mask.
	XenCpuidMachineAddressWidthMask = 0xff << 0
)

// Xenstore wire message types (io/xs_wire.h, enum xsd_sockmsg_type). 20
// (XS_RESTRICT) was removed.
const (
	XsControl            = 0
	XsDebug              = 0 // alias of XS_CONTROL
	XsDirectory          = 1
	XsRead               = 2
	XsGetPerms           = 3
	XsWatch              = 4
	XsUnwatch            = 5
	XsTransactionStart   = 6
	XsTransactionEnd     = 7
	XsIntroduce          = 8
	XsRelease            = 9
	XsGetDomainPath      = 10
	XsWrite              = 11
	XsMkdir              = 12
	XsRm                 = 13
	XsSetPerms           = 14
	XsWatchEvent         = 15
	XsError              = 16
	XsIsDomainIntroduced = 17
	XsResume             = 18
	XsSetTarget          = 19
	XsResetWatches       = 21
	XsDirectoryPart      = 22
	XsTypeCount          = 23
	XsInvalid            = 0xffff
)

// Xenstore write flags, watch event field indexes, limits in bytes and ring
// page values (io/xs_wire.h).
const (
	XsWriteNone       = "NONE"
	XsWriteCreate     = "CREATE"
	XsWriteCreateExcl = "CREATE|EXCL"

	XsWatchPath  = 0
	XsWatchToken = 1

	XenstoreRingSize   = 1024 // bytes in each of req[] and rsp[]
	XenstorePayloadMax = 4096 // bytes after the 16-byte xsd_sockmsg
	XenstoreAbsPathMax = 3072
	XenstoreRelPathMax = 2048

	XenstoreServerFeatureReconnection = 1
	XenstoreServerFeatureError        = 2

	XenstoreConnected = 0
	XenstoreReconnect = 1

	XenstoreErrorNone    = 0
	XenstoreErrorComm    = 1
	XenstoreErrorRingidx = 2
	XenstoreErrorProto   = 3
)

// Xenbus device states (io/xenbus.h, enum xenbus_state), written to
// xenstore as decimal strings. The C names are already CamelCase.
const (
	XenbusStateUnknown       = 0
	XenbusStateInitialising  = 1
	XenbusStateInitWait      = 2
	XenbusStateInitialised   = 3
	XenbusStateConnected     = 4
	XenbusStateClosing       = 5
	XenbusStateClosed        = 6
	XenbusStateReconfiguring = 7
	XenbusStateReconfigured  = 8
)

// Console ring sizes in bytes (io/console.h). The header spells them as
// the array bounds of xencons_interface.in and .out; the test checks them
// with sizeof.
const (
	XenconsInRingSize  = 1024
	XenconsOutRingSize = 2048
)

// Block device ring protocol (io/blkif.h).
const (
	BlkifOpRead           = 0
	BlkifOpWrite          = 1
	BlkifOpWriteBarrier   = 2
	BlkifOpFlushDiskcache = 3
	BlkifOpReserved1      = 4
	BlkifOpDiscard        = 5
	BlkifOpIndirect       = 6

	BlkifMaxSegmentsPerRequest      = 11
	BlkifMaxIndirectPagesPerRequest = 8
	BlkifDiscardSecure              = 1 << 0

	BlkifRspEopnotsupp = -2
	BlkifRspError      = -1
	BlkifRspOkay       = 0

	// Back-end "info" bits.
	VdiskCdrom     = 0x1
	VdiskRemovable = 0x2
	VdiskReadonly  = 0x4

	// BlkifRingSize is the number of request/response slots in a
	// one-page blkif ring: __CONST_RING_SIZE(blkif, 4096) from io/ring.h
	// (io/blkif.h has no name for it; the test evaluates that macro).
	BlkifRingSize = 32
)

// Front-end "protocol" key values (io/protocols.h, XEN_IO_PROTO_ABI_*).
const (
	XenIoProtoAbiX86_32 = "x86_32-abi"
	XenIoProtoAbiX86_64 = "x86_64-abi"
	XenIoProtoAbiArm    = "arm-abi"
)
