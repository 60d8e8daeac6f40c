package hypervisor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// pageTables builds 4-level tables in a 4 MiB test memory:
//
//	gva 0x0000_0040_0000_0000 + 4K pages -> various frames
//	gva 0x0000_0000_0020_0000 (2 MiB page) -> gpa 0x200000
//	gva 0x0000_0000_4000_0000 (1 GiB page) -> gpa 0 (for bound checks)
type ptBuilder struct {
	t    *testing.T
	m    *Memory
	next uint64
}

func (b *ptBuilder) alloc() uint64 {
	p := b.next
	b.next += 4096
	return p
}

func (b *ptBuilder) put(gpa, v uint64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], v)
	if err := b.m.WriteAt(buf[:], gpa); err != nil {
		b.t.Fatal(err)
	}
}

func newPagingFixture(t *testing.T) (*Memory, Paging) {
	m := NewDetachedMemory()
	t.Cleanup(m.close)
	if _, err := m.AddRegion("ram", 0, 4<<20); err != nil {
		t.Fatal(err)
	}
	b := &ptBuilder{t: t, m: m, next: 0x10000}
	pml4 := b.alloc()
	pdpt := b.alloc()
	pd := b.alloc()
	pt := b.alloc()
	b.put(pml4+0*8, pdpt|pteP|pteRW|pteUS)
	b.put(pdpt+0*8, pd|pteP|pteRW|pteUS)
	b.put(pdpt+1*8, 0|pteP|ptePS) // 1 GiB page at gva 1 GiB -> gpa 0, supervisor, RW clear
	b.put(pd+1*8, 0x200000|pteP|pteRW|ptePS|pteUS)
	b.put(pd+2*8, pt|pteP|pteRW|pteUS)
	// 4 KiB pages in the 2..4 MiB gva range: gva 0x400000+i*4K
	b.put(pt+0*8, 0x300000|pteP|pteRW|pteUS)       // user RW
	b.put(pt+1*8, 0x301000|pteP|pteUS)             // user RO
	b.put(pt+2*8, 0x302000|pteP|pteRW)             // supervisor RW
	b.put(pt+3*8, 0x303000|pteP|pteRW|pteUS|pteNX) // NX
	b.put(pt+4*8, 0)                               // not present
	b.put(pt+5*8, 0x7000_0000|pteP|pteRW|pteUS)    // outside guest memory
	return m, Paging{CR0: CR0_PE | CR0_PG | CR0_WP, CR3: pml4, CR4: CR4_PAE, EFER: EFER_LME | EFER_LMA | EFER_NXE}
}

func TestTranslate(t *testing.T) {
	m, p := newPagingFixture(t)
	user := p
	user.CPL = 3
	noWP := p
	noWP.CR0 &^= CR0_WP
	cases := []struct {
		name   string
		p      Paging
		gva    uint64
		acc    Access
		gpa    uint64
		left   uint64
		fault  bool
		unsupp bool
	}{
		{"4K", p, 0x400123, AccessRead, 0x300123, 4096 - 0x123, false, false},
		{"2M", p, 0x212345, AccessWrite, 0x212345, 4096 - 0x345, false, false},
		{"1G", p, 0x4000_1000, AccessRead, 0x1000, 4096, false, false},
		{"RO write with WP", p, 0x401000, AccessWrite, 0, 0, true, false},
		{"RO write without WP", noWP, 0x401000, AccessWrite, 0x301000, 4096, false, false},
		{"RO write from user ignores WP=0", func() Paging { q := user; q.CR0 &^= CR0_WP; return q }(), 0x401000, AccessWrite, 0, 0, true, false},
		{"user on supervisor page", user, 0x402000, AccessRead, 0, 0, true, false},
		{"supervisor page ok for kernel", p, 0x402010, AccessWrite, 0x302010, 4096 - 0x10, false, false},
		{"NX exec", p, 0x403000, AccessExec, 0, 0, true, false},
		{"NX read ok", p, 0x403000, AccessRead, 0x303000, 4096, false, false},
		{"not present", p, 0x404000, AccessRead, 0, 0, true, false},
		{"unmapped PML4 slot", p, 0x0000_0080_0000_0000, AccessRead, 0, 0, true, false},
		{"non-canonical", p, 0x0000_8000_0000_0000, AccessRead, 0, 0, true, false},
		{"paging off is identity", Paging{CR0: CR0_PE}, 0xFEFF8010, AccessRead, 0xFEFF8010, 4096 - 0x10, false, false},
		{"legacy 32-bit paging unsupported", Paging{CR0: CR0_PE | CR0_PG}, 0x1000, AccessRead, 0, 0, false, true},
		{"LA57 unsupported", Paging{CR0: CR0_PE | CR0_PG, CR4: CR4_PAE | CR4_LA57, EFER: EFER_LMA}, 0x1000, AccessRead, 0, 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gpa, left, err := m.Translate(&c.p, c.gva, c.acc)
			var pf *PageFault
			switch {
			case c.fault:
				if !errors.As(err, &pf) {
					t.Fatalf("got gpa %#x err %v, want a page fault", gpa, err)
				}
			case c.unsupp:
				if !errors.Is(err, ErrUnsupportedPaging) {
					t.Fatalf("got %v, want ErrUnsupportedPaging", err)
				}
			default:
				if err != nil || gpa != c.gpa || left != c.left {
					t.Fatalf("got gpa %#x left %d err %v, want %#x left %d", gpa, left, err, c.gpa, c.left)
				}
			}
		})
	}
}

func TestCopyVirtCrossesPages(t *testing.T) {
	m, p := newPagingFixture(t)
	// gva 0x400ff0..0x401010 spans the user-RW page and the RO page.
	src := bytes.Repeat([]byte{0xAB}, 0x20)
	if err := m.WriteVirt(&p, 0x400ff0, src); err == nil {
		t.Fatal("write spanning into a read-only page succeeded")
	}
	want := []byte("0123456789abcdef0123456789ABCDEF")
	if err := m.WriteAt(want[:16], 0x300ff0); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteAt(want[16:], 0x301000); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 32)
	if err := m.ReadVirt(&p, 0x400ff0, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	// A leaf that points outside guest memory faults instead of reading host memory.
	var pf *PageFault
	if err := m.ReadVirt(&p, 0x405000, got); !errors.As(err, &pf) {
		t.Fatalf("read of a page mapped outside RAM: %v", err)
	}
}

func TestMemoryBounds(t *testing.T) {
	m := NewDetachedMemory()
	t.Cleanup(m.close)
	if _, err := m.AddRegion("ram", 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRegion("special", 0xFEFF8000, 0x8000); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRegion("overlap", 0xFF000, 0x2000); err == nil {
		t.Fatal("overlapping region accepted")
	}
	for _, c := range []struct{ gpa, n uint64 }{
		{1 << 20, 1}, {1<<20 - 1, 2}, {0xFFFFFFFFFFFFFFFF, 2}, {0xFEFF7FFF, 2}, {0, 1<<20 + 1}, {0xFF000000, 1},
	} {
		if _, err := m.Slice(c.gpa, c.n); !errors.Is(err, ErrBadGPA) {
			t.Errorf("Slice(%#x, %d) = %v, want ErrBadGPA", c.gpa, c.n, err)
		}
	}
	if b, err := m.Slice(0xFEFFFFF8, 8); err != nil || len(b) != 8 {
		t.Errorf("last 8 bytes of special region: %v", err)
	}
}
