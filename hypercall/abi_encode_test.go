package hypercall

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// Unit tests of the helpers and accessors in abi.go and errno.go; they need
// no C toolchain.

func TestSizeOf(t *testing.T) {
	for name, tc := range map[string]struct{ got, want int }{
		"HvmStartInfo":         {SizeOf[HvmStartInfo](), 56},
		"E820Entry":            {SizeOf[E820Entry](), 20},
		"SharedInfo":           {SizeOf[SharedInfo](), 3136},
		"VcpuHvmContext":       {SizeOf[VcpuHvmContext](), 128},
		"BlkifRequest":         {SizeOf[BlkifRequest](), 112},
		"XenMemoryReservation": {SizeOf[XenMemoryReservation](), 32},
		"uint32":               {SizeOf[uint32](), 4},
		"string (not fixed)":   {SizeOf[string](), -1},
	} {
		if tc.got != tc.want {
			t.Errorf("SizeOf[%s]() = %d, want %d", name, tc.got, tc.want)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := HvmStartInfo{
		Magic: XenHvmStartMagicValue, Version: 1, Flags: SifPrivileged,
		NrModules: 1, ModlistPaddr: 0x1000, CmdlinePaddr: 0x2000,
		MemmapPaddr: 0x3000, MemmapEntries: 3,
	}
	buf := make([]byte, SizeOf[HvmStartInfo]())
	if err := Encode(buf, &in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf[0:4], []byte{0x78, 0xc5, 0x6e, 0x33}) {
		t.Errorf("magic bytes = % x, want little-endian 0x336ec578", buf[0:4])
	}
	if buf[48] != 3 {
		t.Errorf("memmap_entries at offset 48 = %d, want 3", buf[48])
	}
	var out HvmStartInfo
	if err := Decode(buf, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip: got %+v, want %+v", out, in)
	}

	b, err := Append([]byte{0xAA}, &E820Entry{Addr: 0x100000, Size: 0x200000, Type: XenHvmMemmapTypeRam})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 21 || b[0] != 0xAA || b[17] != 1 {
		t.Errorf("Append E820Entry = % x, want 0xAA then 20 packed bytes", b)
	}
}

func TestEncodeZeroesPadding(t *testing.T) {
	buf := bytes.Repeat([]byte{0xFF}, SizeOf[XenMemoryReservation]())
	if err := Encode(buf, &XenMemoryReservation{Domid: DomidSelf}); err != nil {
		t.Fatal(err)
	}
	for i, c := range buf[26:] {
		if c != 0 {
			t.Fatalf("padding byte %d = %#x, want 0", 26+i, c)
		}
	}
}

func TestDecodeShortBuffer(t *testing.T) {
	var v GnttabMapGrantRef
	if err := Decode(make([]byte, 31), &v); err == nil {
		t.Error("Decode of 31 bytes into a 32-byte struct succeeded")
	}
	if err := Encode(make([]byte, 3), &EvtchnSend{}); err == nil {
		t.Error("Encode of a 4-byte struct into 3 bytes succeeded")
	}
}

func TestEvtchnStatusUnion(t *testing.T) {
	var s EvtchnStatus
	s.SetInterdomain(7, 0x12345678)
	if s.Status != EvtchnstatInterdomain {
		t.Errorf("Status = %d", s.Status)
	}
	if dom, port := s.Interdomain(); dom != 7 || port != 0x12345678 {
		t.Errorf("Interdomain() = %d, %#x", dom, port)
	}
	buf := make([]byte, 24)
	if err := Encode(buf, &s); err != nil {
		t.Fatal(err)
	}
	if buf[16] != 7 || buf[20] != 0x78 {
		t.Errorf("wire: u.interdomain.dom at 16 = %d, port low byte at 20 = %#x", buf[16], buf[20])
	}
	s.SetVirq(VirqTimer + 3)
	if s.Virq() != 3 || s.U[4] != 0 {
		t.Errorf("SetVirq left %v", s.U)
	}
	s.SetUnbound(DomidSelf)
	if s.UnboundDom() != DomidSelf || s.Status != EvtchnstatUnbound {
		t.Errorf("SetUnbound: %+v", s)
	}
	s.SetPirq(9)
	if s.Pirq() != 9 || s.Status != EvtchnstatPirq {
		t.Errorf("SetPirq: %+v", s)
	}
}

func TestGnttabCopyPtrUnion(t *testing.T) {
	var p GnttabCopyPtr
	p.SetGmfn(0x1_2345_6789)
	if p.Gmfn() != 0x1_2345_6789 {
		t.Errorf("Gmfn = %#x", p.Gmfn())
	}
	p.SetRef(42)
	if p.Ref() != 42 || p.Gmfn() != 42 {
		t.Errorf("SetRef must clear the union: ref %d gmfn %#x", p.Ref(), p.Gmfn())
	}
}

func TestVcpuHvmContextBlocks(t *testing.T) {
	var c VcpuHvmContext
	c.SetX86_64(&VcpuHvmX86_64{Rip: 0x1000850, Rsp: 0x8000, Cr0: 0x80000011, Efer: 0x500})
	if c.Mode != VcpuHvmMode64b {
		t.Errorf("Mode = %d", c.Mode)
	}
	if r := c.X86_64(); r.Rip != 0x1000850 || r.Efer != 0x500 {
		t.Errorf("X86_64() = %+v", r)
	}
	c.SetX86_32(&VcpuHvmX86_32{Eip: 0x100000, CsLimit: 0xFFFFFFFF, CsAr: 0xC9B, Efer: 1})
	if c.Mode != VcpuHvmMode32b {
		t.Errorf("Mode = %d", c.Mode)
	}
	r := c.X86_32()
	if r.Eip != 0x100000 || r.CsAr != 0xC9B || r.Efer != 1 || r.CsLimit != 0xFFFFFFFF {
		t.Errorf("X86_32() = %+v", r)
	}
	// eip is at 32, efer at 56, cs_ar at 104 of cpu_regs (digest 2.4).
	if c.CpuRegs[32] != 0x00 || c.CpuRegs[34] != 0x10 || c.CpuRegs[56] != 1 || c.CpuRegs[104] != 0x9B {
		t.Errorf("cpu_regs layout wrong: % x", c.CpuRegs[:])
	}
}

func TestErrnoAPI(t *testing.T) {
	if got := ENOSYS.Error(); got != "ENOSYS (38): function not implemented" {
		t.Errorf("ENOSYS.Error() = %q", got)
	}
	if ENOSYS.Name() != "ENOSYS" || EWOULDBLOCK.Name() != "EAGAIN" || Errno(200).Name() != "" {
		t.Error("Name() wrong")
	}
	if Errno(200).Error() != "errno 200" {
		t.Errorf("Errno(200).Error() = %q", Errno(200).Error())
	}
	if EINVAL.Neg() != -22 || uint64(EINVAL.Neg()) != 0xFFFFFFFFFFFFFFEA {
		t.Errorf("EINVAL.Neg() = %d", EINVAL.Neg())
	}
	var e Errno
	if err := fmt.Errorf("bind port 5 of dom 3: %w", EBUSY); !errors.As(err, &e) || e != EBUSY {
		t.Errorf("errors.As on a wrapped Errno gave %v", e)
	}
	if v, ok := ParseErrno("EDEADLOCK"); !ok || v != EDEADLK {
		t.Errorf("ParseErrno(EDEADLOCK) = %v, %v", v, ok)
	}
	if _, ok := ParseErrno("EFOO"); ok {
		t.Error("ParseErrno(EFOO) succeeded")
	}
}
