package hypervisor

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// ErrBadGPA reports a guest-physical range that is not backed by memory.
var ErrBadGPA = errors.New("hypervisor: guest physical address not backed by memory")

// Region is one contiguous range of guest-physical memory backed by its
// own memfd, mapped shared into this process and registered as a memslot.
type Region struct {
	Name string
	GPA  uint64 // first guest-physical byte
	Size uint64 // bytes, a multiple of 4 KiB
	Slot uint32
	FD   int    // memfd, so back ends and save/restore can map it too
	host []byte // shared mapping of FD
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
	if size == 0 || size%4096 != 0 || gpa%4096 != 0 || gpa+size < gpa {
		return nil, fmt.Errorf("hypervisor: region %s: gpa %#x size %#x must be non-empty and 4 KiB aligned", name, gpa, size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.regions.Load()
	slot := uint32(0)
	for _, r := range old {
		if gpa < r.GPA+r.Size && r.GPA < gpa+size {
			return nil, fmt.Errorf("hypervisor: region %s [%#x,%#x) overlaps %s", name, gpa, gpa+size, r.Name)
		}
		if r.Slot >= slot {
			slot = r.Slot + 1
		}
	}
	fd, err := unix.MemfdCreate("xenolith-"+name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("hypervisor: memfd for %s: %w", name, err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("hypervisor: size memfd %s to %d bytes: %w", name, size, err)
	}
	host, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("hypervisor: map %s (%d MiB): %w", name, size>>20, err)
	}
	r := &Region{Name: name, GPA: gpa, Size: size, Slot: slot, FD: fd, host: host}
	if m.vm != nil {
		ur := userspaceMemoryRegion{Slot: slot, GuestPhysAddr: gpa, MemorySize: size, UserspaceAddr: hostAddr(host)}
		if err := setUserMemoryRegion(m.vm.fd, &ur); err != nil {
			unix.Munmap(host)
			unix.Close(fd)
			return nil, fmt.Errorf("hypervisor: KVM_SET_USER_MEMORY_REGION %s at %#x: %w", name, gpa, err)
		}
	}
	next := append(append([]*Region(nil), old...), r)
	m.regions.Store(&next)
	return r, nil
}

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

// Close unmaps every region of a Memory made by NewTestMemory. Memory of a
// VM is released by VM.Close.
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
		unix.Close(r.FD)
	}
	m.regions.Store(&[]*Region{})
}

// NewTestMemory returns a Memory not attached to any VM, for unit tests of
// code that walks or copies guest memory.
func NewTestMemory() *Memory { return newMemory(nil) }
