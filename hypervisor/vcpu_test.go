package hypervisor_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypervisor"
	"github.com/xenolith/xenolith/internal/kvmtest"
)

// recorder is an ExitHandler that records what a tiny test guest does.
type recorder struct {
	outs    []uint32
	inValue uint32
	msrW    map[uint32]uint64
	halted  bool
	stop    chan struct{}
}

func (r *recorder) IO(v *hypervisor.VCPU, port uint16, out bool, data []byte) error {
	if out {
		r.outs = append(r.outs, uint32(port)<<16|uint32(data[0])|uint32(data[1])<<8)
		return nil
	}
	for i := range data {
		data[i] = byte(r.inValue >> (8 * i))
	}
	return nil
}
func (r *recorder) MMIO(*hypervisor.VCPU, uint64, bool, []byte) error {
	return errors.New("unexpected MMIO")
}
func (r *recorder) RDMSR(_ *hypervisor.VCPU, idx uint32) (uint64, bool) {
	return 0x77, idx == 0x40000000
}
func (r *recorder) WRMSR(_ *hypervisor.VCPU, idx uint32, val uint64) bool {
	r.msrW[idx] = val
	return true
}
func (r *recorder) Halt(*hypervisor.VCPU) error        { r.halted = true; return hypervisor.ErrStopped }
func (r *recorder) BeforeEntry(*hypervisor.VCPU) error { return nil }
func (r *recorder) Interrupted(*hypervisor.VCPU) error {
	select {
	case <-r.stop:
		return hypervisor.ErrStopped
	default:
		return nil
	}
}

// bootFlat32 runs code at gpa 0x1000 in flat 32-bit protected mode.
func bootFlat32(t *testing.T, code []byte, h hypervisor.ExitHandler, during func(*hypervisor.VCPU)) (*hypervisor.VCPU, error) {
	return bootFlat32With(t, code, nil, h, during)
}

// bootFlat32With is bootFlat32 with extra memory contents and special
// registers set by setup.
func bootFlat32With(t *testing.T, code []byte, setup func(*hypervisor.Memory, *hypervisor.Sregs), h hypervisor.ExitHandler, during func(*hypervisor.VCPU)) (*hypervisor.VCPU, error) {
	t.Helper()
	kvmtest.Require(t)
	sys, err := hypervisor.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	vm, err := sys.NewVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	if _, err := vm.Mem.AddRegion("test-ram", 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := vm.TrapMSRs([]uint32{0x40000000}); err != nil {
		t.Fatal(err)
	}
	if err := vm.Mem.WriteAt(code, 0x1000); err != nil {
		t.Fatal(err)
	}
	v, err := vm.NewVCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.SetCPUID(vm.SupportedCPUID()); err != nil {
		t.Fatal(err)
	}
	var s hypervisor.Sregs
	if err := v.GetSregs(&s); err != nil {
		t.Fatal(err)
	}
	s.SetFlat32()
	if setup != nil {
		setup(vm.Mem, &s)
	}
	if err := v.SetSregs(&s); err != nil {
		t.Fatal(err)
	}
	if err := v.SetRegs(&hypervisor.Regs{RIP: 0x1000, RFLAGS: hypervisor.ResetRFLAGS, RBX: 0xFEFF8000}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- v.Run(h) }()
	if during != nil {
		during(v)
	}
	select {
	case err := <-done:
		return v, err
	case <-time.After(20 * time.Second):
		v.Kick()
		t.Fatal("guest did not stop")
		return v, nil
	}
}

func TestRunLoopIOAndMSR(t *testing.T) {
	code := []byte{
		0x89, 0xD8, // mov eax, ebx (start_info pointer from the PVH state)
		0xC1, 0xE8, 0x10, // shr eax, 16
		0xE7, 0xF6, // out 0xF6, eax
		0xE5, 0xF8, // in eax, 0xF8
		0xE7, 0xF9, // out 0xF9, eax
		0xB9, 0x00, 0x00, 0x00, 0x40, // mov ecx, 0x40000000
		0xB8, 0x00, 0x50, 0x00, 0x00, // mov eax, 0x5000
		0x31, 0xD2, // xor edx, edx
		0x0F, 0x30, // wrmsr
		0x0F, 0x32, // rdmsr
		0xE7, 0xFA, // out 0xFA, eax
		0xF4, // hlt
	}
	r := &recorder{inValue: 0xBEEF, msrW: map[uint32]uint64{}, stop: make(chan struct{})}
	v, err := bootFlat32(t, code, r, nil)
	if !errors.Is(err, hypervisor.ErrStopped) || !r.halted {
		t.Fatalf("run ended with %v (halted %v)", err, r.halted)
	}
	want := []uint32{0xF6<<16 | 0xFEFF, 0xF9<<16 | 0xBEEF, 0xFA<<16 | 0x77}
	if len(r.outs) != len(want) {
		t.Fatalf("outs %#x, want %#x", r.outs, want)
	}
	for i := range want {
		if r.outs[i] != want[i] {
			t.Errorf("out %d = %#x, want %#x", i, r.outs[i], want[i])
		}
	}
	if r.msrW[0x40000000] != 0x5000 {
		t.Errorf("WRMSR 0x40000000 = %#x, want 0x5000", r.msrW[0x40000000])
	}
	counts, _ := v.ExitCounts()
	if counts[hypervisor.KVM_EXIT_IO] != 4 || counts[hypervisor.KVM_EXIT_X86_WRMSR] != 1 || counts[hypervisor.KVM_EXIT_X86_RDMSR] != 1 {
		t.Errorf("exit counts io=%d wrmsr=%d rdmsr=%d, want 4, 1, 1", counts[hypervisor.KVM_EXIT_IO], counts[hypervisor.KVM_EXIT_X86_WRMSR], counts[hypervisor.KVM_EXIT_X86_RDMSR])
	}
}

func TestRunLoopTripleFault(t *testing.T) {
	r := &recorder{msrW: map[uint32]uint64{}, stop: make(chan struct{})}
	_, err := bootFlat32(t, []byte{0x0F, 0x0B}, r, nil) // ud2 with no IDT
	if !errors.Is(err, hypervisor.ErrTripleFault) {
		t.Fatalf("ud2 without an IDT ended with %v, want ErrTripleFault", err)
	}
}

func TestKickStopsSpinningGuest(t *testing.T) {
	r := &recorder{msrW: map[uint32]uint64{}, stop: make(chan struct{})}
	_, err := bootFlat32(t, []byte{0xEB, 0xFE}, r, func(v *hypervisor.VCPU) { // jmp $
		time.Sleep(50 * time.Millisecond)
		close(r.stop)
		v.Kick()
	})
	if !errors.Is(err, hypervisor.ErrStopped) {
		t.Fatalf("kicked guest ended with %v", err)
	}
}

// injector injects vector 0x40 each time the guest halts, the way a
// user-space irqchip delivers Xen's callback vector (no LAPIC, no EOI).
type injector struct {
	recorder
	pending  bool
	injected int
	handled  int
	windows  int
}

func (j *injector) Halt(*hypervisor.VCPU) error {
	if j.handled >= 3 {
		return hypervisor.ErrStopped
	}
	j.pending = true
	return nil
}

func (j *injector) IO(v *hypervisor.VCPU, port uint16, out bool, data []byte) error {
	if port == 0xF7 && out {
		j.handled++
		return nil
	}
	return j.recorder.IO(v, port, out, data)
}

func (j *injector) BeforeEntry(v *hypervisor.VCPU) error {
	if !j.pending {
		v.RequestInterruptWindow(false)
		return nil
	}
	if !v.CanInject() {
		j.windows++
		v.RequestInterruptWindow(true)
		return nil
	}
	j.pending = false
	j.injected++
	v.RequestInterruptWindow(false)
	return v.InjectInterrupt(0x40)
}

func TestInjectInterruptWithoutLAPIC(t *testing.T) {
	code := []byte{
		0xBC, 0x00, 0x80, 0x00, 0x00, // mov esp, 0x8000
		0xFB,       // sti
		0xF4,       // 1: hlt
		0xEB, 0xFD, // jmp 1b
	}
	handler := []byte{
		0xB8, 0x99, 0x00, 0x00, 0x00, // mov eax, 0x99
		0xE7, 0xF7, // out 0xF7, eax
		// Return without IRET, which KVM's instruction emulator cannot run
		// in protected mode: restore EFLAGS, then pop EIP and drop CS and
		// EFLAGS. An interrupt after popfd nests harmlessly.
		0xFF, 0x74, 0x24, 0x08, // push dword [esp+8]
		0x9D,             // popfd
		0xC2, 0x08, 0x00, // ret 8
	}
	setup := func(m *hypervisor.Memory, s *hypervisor.Sregs) {
		gdt := make([]byte, 32)
		binary.LittleEndian.PutUint64(gdt[0x10:], 0x00CF9B000000FFFF) // 32-bit code
		binary.LittleEndian.PutUint64(gdt[0x18:], 0x00CF93000000FFFF) // data
		m.WriteAt(gdt, 0x3000)
		idt := make([]byte, 0x41*8)
		gate := idt[0x40*8:]
		binary.LittleEndian.PutUint16(gate[0:], 0x2000)
		binary.LittleEndian.PutUint16(gate[2:], 0x10)
		gate[5] = 0x8E // present, 32-bit interrupt gate
		m.WriteAt(idt, 0x4000)
		m.WriteAt(handler, 0x2000)
		s.GDT = hypervisor.DTable{Base: 0x3000, Limit: 31}
		s.IDT = hypervisor.DTable{Base: 0x4000, Limit: uint16(len(idt) - 1)}
	}
	j := &injector{recorder: recorder{msrW: map[uint32]uint64{}, stop: make(chan struct{})}}
	_, err := bootFlat32With(t, code, setup, j, nil)
	if !errors.Is(err, hypervisor.ErrStopped) {
		t.Fatalf("run ended with %v", err)
	}
	if j.handled != 3 || j.injected != 3 {
		t.Errorf("injected %d, handled %d; want 3 and 3", j.injected, j.handled)
	}
}
