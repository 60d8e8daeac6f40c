package hypervisor

// Segment descriptor types (Intel SDM vol. 3, 3.4.5.1).
const (
	segTypeDataRWA   = 0x3 // read/write, accessed
	segTypeCodeXRA   = 0xB // execute/read, accessed
	segTypeTSS32Busy = 0xB
	rflagsReserved1  = 1 << 1
)

// SetFlat32 puts s in 32-bit flat protected mode with paging off: the
// state the PVH boot protocol (Xen docs/misc/pvh.pandoc) enters a kernel
// in. CS is a 32-bit execute/read segment, DS/ES/FS/GS/SS read/write data
// segments, all with base 0 and limit 4 GiB; TR is a busy 32-bit TSS with
// base 0 and limit 0x67; CR0 has only PE (and the fixed ET) set; CR4 and
// EFER are 0.
func (s *Sregs) SetFlat32() {
	code := Segment{Base: 0, Limit: 0xFFFFFFFF, Selector: 0x10, Type: segTypeCodeXRA, Present: 1, S: 1, DB: 1, G: 1}
	data := Segment{Base: 0, Limit: 0xFFFFFFFF, Selector: 0x18, Type: segTypeDataRWA, Present: 1, S: 1, DB: 1, G: 1}
	s.CS = code
	s.DS, s.ES, s.FS, s.GS, s.SS = data, data, data, data, data
	s.TR = Segment{Base: 0, Limit: 0x67, Selector: 0x20, Type: segTypeTSS32Busy, Present: 1}
	s.LDT = Segment{Unusable: 1}
	s.GDT = DTable{}
	s.IDT = DTable{}
	s.CR0 = CR0_PE | CR0_ET
	s.CR2, s.CR3, s.CR4 = 0, 0, 0
	s.EFER = 0
}

// ResetRFLAGS is RFLAGS with only the always-one bit 1 set (IF, TF and VM
// clear), as the PVH entry requires.
const ResetRFLAGS = rflagsReserved1

// SetFlat64 puts s in flat 64-bit long mode segment state, as Xen does for
// a vcpu_hvm_context in 64-bit mode: CS a 64-bit code segment, data
// segments flat, TR a busy TSS; selectors 0 and GDTR/IDTR empty until the
// guest loads its own. Control registers are the caller's to set.
func (s *Sregs) SetFlat64() {
	code := Segment{Limit: 0xFFFFFFFF, Type: segTypeCodeXRA, Present: 1, S: 1, L: 1, G: 1}
	data := Segment{Limit: 0xFFFFFFFF, Type: segTypeDataRWA, Present: 1, S: 1, DB: 1, G: 1}
	s.CS = code
	s.DS, s.ES, s.FS, s.GS, s.SS = data, data, data, data, data
	s.TR = Segment{Limit: 0x67, Type: segTypeTSS32Busy, Present: 1}
	s.LDT = Segment{Unusable: 1}
	s.GDT, s.IDT = DTable{}, DTable{}
}
