package hypervisor

import (
	"errors"
	"fmt"
)

// Page-table entry bits (Intel SDM vol. 3, 4.5).
const (
	pteP  = 1 << 0
	pteRW = 1 << 1
	pteUS = 1 << 2
	ptePS = 1 << 7
	pteNX = 1 << 63

	pteAddrMask = 0x000F_FFFF_FFFF_F000
	pte1GMask   = 0x000F_FFFF_C000_0000
	pte2MMask   = 0x000F_FFFF_FFE0_0000
)

// Access is the kind of guest access a translation is checked for.
type Access uint8

const (
	AccessRead Access = iota
	AccessWrite
	AccessExec
)

// ErrUnsupportedPaging reports a paging mode the walker does not handle
// (32-bit or PAE legacy paging, 5-level paging).
var ErrUnsupportedPaging = errors.New("hypervisor: unsupported guest paging mode")

// PageFault describes why a gva did not translate: what the guest's own
// MMU would have raised #PF (or #GP for a non-canonical address) for.
type PageFault struct {
	GVA    uint64
	Access Access
	Reason string
}

func (f *PageFault) Error() string {
	return fmt.Sprintf("hypervisor: guest page fault at gva %#x: %s", f.GVA, f.Reason)
}

// Paging is the part of a vCPU's state that defines its address
// translation: CR0, CR3, CR4, EFER and the current privilege level.
type Paging struct {
	CR0, CR3, CR4, EFER uint64
	CPL                 int
}

// PagingOf extracts the translation state from special registers.
func PagingOf(s *Sregs) Paging {
	return Paging{CR0: s.CR0, CR3: s.CR3, CR4: s.CR4, EFER: s.EFER, CPL: s.CPL()}
}

// Translate walks the guest page tables for gva and returns the gpa and the
// number of bytes left in the containing page. With paging off it is the
// identity. It supports 4-level long-mode paging with 4 KiB, 2 MiB and
// 1 GiB pages, and checks present, writable (honouring CR0.WP), user
// (CPL 3) and no-execute (EFER.NXE) bits at every level. Accessed and dirty
// bits are not updated.
func (m *Memory) Translate(p *Paging, gva uint64, acc Access) (gpa, pageLeft uint64, err error) {
	if p.CR0&CR0_PG == 0 {
		gva &= 0xFFFF_FFFF // no paging: 32-bit linear addresses
		return gva, 4096 - gva&4095, nil
	}
	if p.EFER&EFER_LMA == 0 || p.CR4&CR4_PAE == 0 || p.CR4&CR4_LA57 != 0 {
		return 0, 0, fmt.Errorf("%w: cr0 %#x cr4 %#x efer %#x", ErrUnsupportedPaging, p.CR0, p.CR4, p.EFER)
	}
	if top := int64(gva) >> 47; top != 0 && top != -1 {
		return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: "non-canonical address"}
	}
	user := p.CPL == 3
	checkWrite := acc == AccessWrite && (user || p.CR0&CR0_WP != 0)
	checkNX := acc == AccessExec && p.EFER&EFER_NXE != 0

	table := p.CR3 & pteAddrMask
	for level := 4; level >= 1; level-- {
		shift := uint(12 + 9*(level-1))
		idx := (gva >> shift) & 511
		pte, err := m.Read64(table + idx*8)
		if err != nil {
			return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("level-%d table at gpa %#x is not guest memory", level, table)}
		}
		if pte&pteP == 0 {
			return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("not present at level %d", level)}
		}
		if checkWrite && pte&pteRW == 0 {
			return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("read-only at level %d", level)}
		}
		if user && pte&pteUS == 0 {
			return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("supervisor-only at level %d", level)}
		}
		if checkNX && pte&pteNX != 0 {
			return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("no-execute at level %d", level)}
		}
		if pte&ptePS != 0 {
			switch level {
			case 3:
				off := gva & (1<<30 - 1)
				return pte&pte1GMask | off, 4096 - off&4095, nil
			case 2:
				off := gva & (1<<21 - 1)
				return pte&pte2MMask | off, 4096 - off&4095, nil
			case 4:
				return 0, 0, &PageFault{GVA: gva, Access: acc, Reason: "reserved PS bit in PML4 entry"}
			}
			// level 1: bit 7 is PAT, not a size bit
		}
		if level == 1 {
			off := gva & 4095
			return pte&pteAddrMask | off, 4096 - off, nil
		}
		table = pte & pteAddrMask
	}
	panic("unreachable")
}

// ReadVirt copies len(dst) bytes from guest virtual address gva, page by
// page, as the vCPU described by p would read them.
func (m *Memory) ReadVirt(p *Paging, gva uint64, dst []byte) error {
	return m.copyVirt(p, gva, dst, AccessRead)
}

// WriteVirt copies src to guest virtual address gva, checking write access.
func (m *Memory) WriteVirt(p *Paging, gva uint64, src []byte) error {
	return m.copyVirt(p, gva, src, AccessWrite)
}

func (m *Memory) copyVirt(p *Paging, gva uint64, buf []byte, acc Access) error {
	for len(buf) > 0 {
		gpa, left, err := m.Translate(p, gva, acc)
		if err != nil {
			return err
		}
		n := uint64(len(buf))
		if n > left {
			n = left
		}
		host, err := m.Slice(gpa, n)
		if err != nil {
			return &PageFault{GVA: gva, Access: acc, Reason: fmt.Sprintf("maps gpa %#x, which is not guest memory", gpa)}
		}
		if acc == AccessWrite {
			copy(host, buf[:n])
		} else {
			copy(buf[:n], host)
		}
		buf = buf[n:]
		gva += n
	}
	return nil
}
