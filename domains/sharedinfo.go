package domains

import (
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// shared_info layout (xen.h, x86_64), checked against the headers by the
// hypercall package's ABI test through the SharedInfo mirror.
const (
	vcpuInfoSize      = 64
	siEvtchnPending   = 2048
	siEvtchnMask      = 2560
	siWcVersion       = 3072
	siWcSec           = 3076
	siWcNsec          = 3080
	siWcSecHi         = 3084
	viUpcallPending   = 0
	viPendingSel      = 8
	viTime            = 32
	legacyVCPUInfos   = hypercall.XenLegacyMaxVcpus
	sharedInfoInitGPA = SpecialBase + 2*PageSize // until the guest maps it
)

// setPending is the hypervisor half of the 2-level ABI (xen-abi-digest
// 4.3): set the pending bit; if it was clear and the port is unmasked, set
// the selector bit and the vCPU's upcall flag, and if that went 0 to 1,
// notify the vCPU. Pollers of the port wake even when it is masked.
func (d *Domain) setPending(port, vcpu uint32) {
	si := d.sharedInfo.Load()
	word, bit := uint64(port/64), uint64(1)<<(port%64)
	old, err := d.mem.Or64(si+siEvtchnPending+8*word, bit)
	if err != nil || old&bit != 0 {
		return
	}
	d.wakePollers(port)
	if mask, err := d.mem.Load64(si + siEvtchnMask + 8*word); err != nil || mask&bit != 0 {
		return
	}
	d.markSelector(vcpu, word)
}

func (d *Domain) markSelector(vcpu uint32, word uint64) {
	if vcpu >= uint32(len(d.vcpus)) {
		return
	}
	v := d.vcpus[vcpu]
	vi := v.vcpuInfo.Load()
	if vi == 0 {
		return // no vcpu_info for this vCPU (>= 32 and not registered)
	}
	old, err := d.mem.Or64(vi+viPendingSel, 1<<word)
	if err != nil || old&(1<<word) != 0 {
		return
	}
	v.markUpcall()
}

// markUpcall sets evtchn_upcall_pending (byte 0 of vcpu_info; the locked
// OR on its aligned 32-bit word leaves the mask byte alone) and notifies
// the vCPU when it went 0 to 1.
func (v *vcpu) markUpcall() {
	vi := v.vcpuInfo.Load()
	old, err := v.d.mem.Or32(vi+viUpcallPending, 1)
	if err == nil && old&0xFF == 0 {
		v.notify()
	}
}

// upcallPending reports evtchn_upcall_pending of v's vcpu_info.
func (v *vcpu) upcallPending() bool {
	vi := v.vcpuInfo.Load()
	if vi == 0 {
		return false
	}
	w, err := v.d.mem.Load32(vi + viUpcallPending)
	return err == nil && w&0xFF != 0
}

// isPending reports port's pending bit.
func (d *Domain) isPending(port uint32) bool {
	si := d.sharedInfo.Load()
	w, err := d.mem.Load64(si + siEvtchnPending + 8*uint64(port/64))
	return err == nil && w&(1<<(port%64)) != 0
}

func (d *Domain) clearPending(port uint32) {
	if d.ID == 0 {
		return
	}
	si := d.sharedInfo.Load()
	d.mem.And64(si+siEvtchnPending+8*uint64(port/64), ^(uint64(1) << (port % 64)))
}

// unmaskLocked clears port's mask bit and, if that cleared it and the port
// is pending, redoes the selector and upcall steps (EVTCHNOP_unmask, Xen's
// evtchn_2l_unmask); d.evtchn.mu is held.
func (d *Domain) unmaskLocked(port uint32) {
	si := d.sharedInfo.Load()
	word, bit := uint64(port/64), uint64(1)<<(port%64)
	old, err := d.mem.And64(si+siEvtchnMask+8*word, ^bit)
	if err != nil || old&bit == 0 {
		return
	}
	if d.isPending(port) {
		d.markSelector(d.evtchn.ch[port].vcpu, word)
	}
}

// MapSharedInfo moves shared_info to guest frame gfn (XENMEM_add_to_physmap
// with XENMAPSPACE_shared_info). A frame inside RAM is overlaid: its old
// contents are replaced, as Xen replaces the RAM page there. The page
// keeps its state (pending and mask bits survive the move).
func (d *Domain) MapSharedInfo(gfn uint64) error {
	gpa := gfn * PageSize
	if gfn >= d.ramBytes/PageSize {
		return errno(hypercall.EINVAL, "shared_info at gfn %#x outside RAM (%d pages)", gfn, d.ramBytes/PageSize)
	}
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	old := d.sharedInfo.Load()
	if old == gpa {
		return nil
	}
	page := make([]byte, PageSize)
	if err := d.mem.ReadAt(page, old); err != nil {
		return err
	}
	if err := d.mem.WriteAt(page, gpa); err != nil {
		return errno(hypercall.EINVAL, "shared_info at gfn %#x: %v", gfn, err)
	}
	clear(page)
	d.mem.WriteAt(page, old)
	d.sharedInfo.Store(gpa)
	for i, v := range d.vcpus {
		if !v.ownVCPUInfo.Load() && i < legacyVCPUInfos {
			v.vcpuInfo.Store(gpa + uint64(i)*vcpuInfoSize)
			v.timeStale.Store(true)
		}
	}
	d.writeWallclock()
	return nil
}

// RegisterVCPUInfo places vcpu's vcpu_info at gfn:offset
// (VCPUOP_register_vcpu_info). It may be done once per vCPU; the current
// contents move, and every selector bit plus the upcall flag are set so
// the guest rescans, as Xen does.
func (d *Domain) RegisterVCPUInfo(vcpu uint32, gfn uint64, offset uint32) error {
	v, err := d.vcpuByID(vcpu)
	if err != nil {
		return err
	}
	if offset%8 != 0 || offset > PageSize-vcpuInfoSize {
		return errno(hypercall.EINVAL, "vcpu_info at offset %d: must be 8-byte aligned and inside the page", offset)
	}
	gpa := gfn*PageSize + uint64(offset)
	if gfn >= d.ramBytes/PageSize {
		return errno(hypercall.EINVAL, "vcpu_info at gfn %#x outside RAM", gfn)
	}
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	if !v.ownVCPUInfo.CompareAndSwap(false, true) {
		return errno(hypercall.EINVAL, "vcpu_info of vCPU %d already registered", vcpu)
	}
	buf := make([]byte, vcpuInfoSize)
	if old := v.vcpuInfo.Load(); old != 0 {
		d.mem.ReadAt(buf, old)
	}
	if err := d.mem.WriteAt(buf, gpa); err != nil {
		v.ownVCPUInfo.Store(false)
		return errno(hypercall.EINVAL, "vcpu_info at gpa %#x: %v", gpa, err)
	}
	v.vcpuInfo.Store(gpa)
	v.timeStale.Store(true)
	d.mem.Or64(gpa+viPendingSel, ^uint64(0))
	v.markUpcall()
	return nil
}

// writeWallclock publishes the wall time at system time 0 in shared_info
// (wc_version seqlock: odd while writing). It is recomputed from the
// host's wall clock each time, so a host clock step or slew reaches the
// guest, as Xen's update_domain_wallclock_time does.
func (d *Domain) writeWallclock() {
	si := d.sharedInfo.Load()
	ver, _ := d.mem.Load32(si + siWcVersion)
	d.mem.Store32(si+siWcVersion, (ver|1)+0)
	// Round(0) drops the monotonic reading: this is wall time.
	base := time.Now().Round(0).Add(-time.Duration(d.SystemTimeNs()))
	ns := base.UnixNano()
	sec, nsec := uint64(ns/int64(time.Second)), uint32(ns%int64(time.Second))
	d.mem.Store32(si+siWcSec, uint32(sec))
	d.mem.Store32(si+siWcNsec, nsec)
	d.mem.Store32(si+siWcSecHi, uint32(sec>>32))
	d.mem.Store32(si+siWcVersion, (ver|1)+1)
}
