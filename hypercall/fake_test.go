package hypercall

import (
	"bytes"
	"fmt"
)

// fakeCaller is a guest with flat memory at gva [base, base+len(mem)).
type fakeCaller struct {
	base     uint64
	mem      []byte
	console  bytes.Buffer
	shutdown []uint32
	yields   int
	memmap   []E820Entry
}

const fakeBase = 0x10000

func newFake() *fakeCaller {
	return &fakeCaller{base: fakeBase, mem: make([]byte, 64<<10), memmap: []E820Entry{
		{Addr: 0, Size: 32 << 20, Type: XenHvmMemmapTypeRam},
		{Addr: 0xFEFF8000, Size: 0x8000, Type: XenHvmMemmapTypeReserved},
	}}
}

func (f *fakeCaller) slice(gva uint64, n int) ([]byte, error) {
	if gva < f.base || gva-f.base > uint64(len(f.mem)) || uint64(n) > uint64(len(f.mem))-(gva-f.base) {
		return nil, fmt.Errorf("gva %#x+%d unmapped: %w", gva, n, EFAULT)
	}
	off := gva - f.base
	return f.mem[off : off+uint64(n)], nil
}

func (f *fakeCaller) DomID() uint16  { return 7 }
func (f *fakeCaller) VCPUID() uint32 { return 0 }
func (f *fakeCaller) CopyFromGuest(dst []byte, gva uint64) error {
	b, err := f.slice(gva, len(dst))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}
func (f *fakeCaller) CopyToGuest(gva uint64, src []byte) error {
	b, err := f.slice(gva, len(src))
	if err != nil {
		return err
	}
	copy(b, src)
	return nil
}
func (f *fakeCaller) ConsoleWrite(p []byte)      { f.console.Write(p) }
func (f *fakeCaller) Shutdown(r uint32) error    { f.shutdown = append(f.shutdown, r); return nil }
func (f *fakeCaller) Yield()                     { f.yields++ }
func (f *fakeCaller) MemoryMap() []E820Entry     { return f.memmap }
func (f *fakeCaller) RAMPages() (c, m, g uint64) { return 8192, 8192, 0xFF000 - 1 }
func (f *fakeCaller) UUID() [16]byte             { return [16]byte{1, 2, 3} }
