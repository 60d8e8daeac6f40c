package hypervisor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ErrBadGPA reports a guest-physical range that is not backed by memory.
var ErrBadGPA = errors.New("hypervisor: guest physical address not backed by memory")

// Region is one contiguous range of guest-physical memory backed by its
// own memfd, mapped shared into this process and registered as a memslot.
type Region struct {
	Name     string
	GPA      uint64 // first guest-physical byte
	Size     uint64 // bytes, a multiple of 4 KiB
	Slot     uint32
	FD       int    // memfd, so back ends and save/restore can map it too
	Offset   uint64 // where the region starts in FD
	ReadOnly bool   // guest writes exit to MMIO (KVM_MEM_READONLY)
	ownsFD   bool   // FD was created for this region and is closed with it
	host     []byte // shared mapping of FD at Offset
}

func (r *Region) contains(gpa, n uint64) bool {
	return gpa >= r.GPA && n <= r.Size && gpa-r.GPA <= r.Size-n
}

// Memory is the guest-physical address space of one VM and the one
// bounds-checked accessor for it. Lookups are lock-free (the region list is
// replaced copy-on-write); adding or removing regions is serialised by mu.
type Memory struct {
	mu      sync.Mutex // serialises region changes
	regions atomic.Pointer[[]*Region]
	vm      *VM
}

func newMemory(vm *VM) *Memory {
	m := &Memory{vm: vm}
	m.regions.Store(&[]*Region{})
	return m
}

// AddRegion creates a memfd of size bytes, maps it and registers it at gpa.
// size and gpa must be 4 KiB aligned and must not overlap another region.
func (m *Memory) AddRegion(name string, gpa, size uint64) (*Region, error) {
	if size == 0 || size%4096 != 0 {
		return nil, fmt.Errorf("hypervisor: region %s: size %#x must be non-empty and 4 KiB aligned", name, size)
	}
	fd, err := unix.MemfdCreate("xenolith-"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("hypervisor: memfd for %s: %w", name, err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("hypervisor: size memfd %s to %d bytes: %w", name, size, err)
	}
	r, err := m.addRegion(name, gpa, size, fd, 0, false)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	r.ownsFD = true
	return r, nil
}

// AddAlias maps size bytes of another region's memfd, from offset, at gpa:
// the same host pages seen at a second guest-physical address, possibly in
// another VM (a grant mapping). The memfd stays alive while the alias
// exists, even if its owner is destroyed. readOnly makes guest writes exit
// (KVM_MEM_READONLY).
func (m *Memory) AddAlias(name string, gpa, size uint64, fd int, offset uint64, readOnly bool) (*Region, error) {
	return m.addRegion(name, gpa, size, fd, offset, readOnly)
}

func (m *Memory) addRegion(name string, gpa, size uint64, fd int, offset uint64, readOnly bool) (*Region, error) {
	if size == 0 || size%4096 != 0 || gpa%4096 != 0 || offset%4096 != 0 || gpa+size < gpa {
		return nil, fmt.Errorf("hypervisor: region %s: gpa %#x size %#x offset %#x must be non-empty and 4 KiB aligned", name, gpa, size, offset)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.regions.Load()
	used := map[uint32]bool{}
	for _, r := range old {
		if gpa < r.GPA+r.Size && r.GPA < gpa+size {
			return nil, fmt.Errorf("%w: region %s [%#x,%#x) overlaps %s", ErrOverlap, name, gpa, gpa+size, r.Name)
		}
		used[r.Slot] = true
	}
	slot := uint32(0)
	for used[slot] {
		slot++
	}
	host, err := unix.Mmap(fd, int64(offset), int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("hypervisor: map %s (%d KiB): %w", name, size>>10, err)
	}
	r := &Region{Name: name, GPA: gpa, Size: size, Slot: slot, FD: fd, Offset: offset, ReadOnly: readOnly, host: host}
	if m.vm != nil {
		ur := userspaceMemoryRegion{Slot: slot, GuestPhysAddr: gpa, MemorySize: size, UserspaceAddr: hostAddr(host)}
		if readOnly {
			ur.Flags = KVM_MEM_READONLY
		}
		if err := setUserMemoryRegion(m.vm.fd, &ur); err != nil {
			unix.Munmap(host)
			return nil, fmt.Errorf("hypervisor: KVM_SET_USER_MEMORY_REGION %s at %#x: %w", name, gpa, err)
		}
	}
	next := append(append([]*Region(nil), old...), r)
	m.regions.Store(&next)
	return r, nil
}

// RemoveRegion deletes r's memslot and unmaps it.
func (m *Memory) RemoveRegion(r *Region) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.regions.Load()
	i := slices.Index(old, r)
	if i < 0 {
		return fmt.Errorf("hypervisor: region %s is not registered", r.Name)
	}
	if m.vm != nil {
		ur := userspaceMemoryRegion{Slot: r.Slot, GuestPhysAddr: r.GPA}
		if err := setUserMemoryRegion(m.vm.fd, &ur); err != nil {
			return fmt.Errorf("hypervisor: delete memslot %s: %w", r.Name, err)
		}
	}
	next := slices.Delete(slices.Clone(old), i, i+1)
	m.regions.Store(&next)
	unix.Munmap(r.host)
	if r.ownsFD {
		unix.Close(r.FD)
	}
	return nil
}

// ErrOverlap reports a region that would overlap an existing one.
var ErrOverlap = errors.New("hypervisor: guest-physical range already in use")

// Backing returns the memfd and offset holding the page at gpa, for
// mapping it elsewhere (a grant mapping in dom0 or another VM).
func (m *Memory) Backing(gpa uint64) (fd int, offset uint64, err error) {
	r := m.find(gpa&^4095, 4096)
	if r == nil {
		return -1, 0, fmt.Errorf("%w: page at %#x", ErrBadGPA, gpa)
	}
	return r.FD, r.Offset + (gpa&^4095 - r.GPA), nil
}

// MapPage maps one page of a memfd into this process, read-only unless
// writable: how dom0 maps a granted page. The mapping keeps the memfd
// alive until UnmapPage.
func MapPage(fd int, offset uint64, writable bool) ([]byte, error) {
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	b, err := unix.Mmap(fd, int64(offset), 4096, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("hypervisor: map page at offset %#x: %w", offset, err)
	}
	return b, nil
}

// UnmapPage releases a MapPage mapping.
func UnmapPage(b []byte) error { return unix.Munmap(b) }

// Regions returns the current regions.
func (m *Memory) Regions() []*Region { return *m.regions.Load() }

func (m *Memory) find(gpa, n uint64) *Region {
	for _, r := range *m.regions.Load() {
		if r.contains(gpa, n) {
			return r
		}
	}
	return nil
}

// Slice returns the host bytes backing [gpa, gpa+n), which must lie in one
// region. The slice aliases guest memory: the guest may change it at any
// time, so callers copy before validating.
func (m *Memory) Slice(gpa, n uint64) ([]byte, error) {
	r := m.find(gpa, n)
	if r == nil {
		return nil, fmt.Errorf("%w: [%#x,+%#x)", ErrBadGPA, gpa, n)
	}
	off := gpa - r.GPA
	return r.host[off : off+n : off+n], nil
}

// ReadAt copies guest memory at gpa into p.
func (m *Memory) ReadAt(p []byte, gpa uint64) error {
	b, err := m.Slice(gpa, uint64(len(p)))
	if err != nil {
		return err
	}
	copy(p, b)
	return nil
}

// WriteAt copies p into guest memory at gpa.
func (m *Memory) WriteAt(p []byte, gpa uint64) error {
	b, err := m.Slice(gpa, uint64(len(p)))
	if err != nil {
		return err
	}
	copy(b, p)
	return nil
}

// Read64 and Write64 access an aligned little-endian u64 (used by page walks).
func (m *Memory) Read64(gpa uint64) (uint64, error) {
	b, err := m.Slice(gpa, 8)
	if err != nil {
		return 0, err
	}
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56, nil
}

// Close unmaps every region of a Memory made by NewDetachedMemory. Memory
// of a VM is released by VM.Close.
func (m *Memory) Close() {
	if m.vm == nil {
		m.close()
	}
}

// close unmaps every region and closes its memfd. Called by VM.Close after
// the VM fd (and so every memslot) is gone.
func (m *Memory) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range *m.regions.Load() {
		unix.Munmap(r.host)
		if r.ownsFD {
			unix.Close(r.FD)
		}
	}
	m.regions.Store(&[]*Region{})
}

// NewDetachedMemory returns a Memory not attached to any VM: storage the
// hypervisor owns (grant-table frames, dom0 buffers) that guests see only
// through aliases, and memory for unit tests.
func NewDetachedMemory() *Memory { return newMemory(nil) }
