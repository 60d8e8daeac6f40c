package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"

	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// AttachDisk attaches a disk while the guest runs (xl block-attach).
// States: running, paused.
func (d *Daemon) AttachDisk(ctx context.Context, ref string, req api.DiskAttachRequest) (api.DiskInfo, error) {
	spec, err := xlcfg.ParseDiskSpec(req.Spec)
	if err != nil {
		return api.DiskInfo{}, api.BadRequest("spec", "disk spec: %v", err)
	}
	if !filepath.IsAbs(spec.Target) {
		return api.DiskInfo{}, api.BadRequest("spec", "disk spec: target %q is relative: give an absolute path (xenolith block-attach resolves it against your working directory)", spec.Target)
	}
	r, err := d.lookupDomU(ref, "given disks")
	if err != nil {
		return api.DiskInfo{}, err
	}
	if err := d.requireStatus(r, "given disks", api.StatusRunning, api.StatusPaused); err != nil {
		return api.DiskInfo{}, err
	}
	r.disksMu.Lock()
	defer r.disksMu.Unlock()
	if r.disksClosed {
		return api.DiskInfo{}, api.Conflict("domain %s (domid %d) is being destroyed: not attaching %s", r.name, r.id, spec.VDev)
	}
	for _, k := range r.disks {
		if k.Spec.DevID == spec.DevID {
			return api.DiskInfo{}, api.Conflict("vdev %s (devid %d) is already attached to domain %s as %s: detach it first (xenolith block-detach %s %s) or choose another vdev",
				spec.VDev, spec.DevID, r.name, k.Spec.VDev, r.name, k.Spec.VDev)
		}
	}
	log := d.log.With("domain", r.name, "domid", r.id, "vdev", spec.VDev)
	k, err := dom0.AttachDisk(d.xs, d.reg, r.d, spec, spec.Target, log)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // the image: missing, unreadable, a directory
			return api.DiskInfo{}, api.BadRequest("spec", "%v", err)
		}
		return api.DiskInfo{}, fmt.Errorf("domain %s: attaching %s: %w", r.name, spec.VDev, err)
	}
	r.disks = append(r.disks, k)
	d.mu.Lock()
	r.diskSpecs = append(slices.Clip(r.diskSpecs), spec)
	d.mu.Unlock()
	log.Info("disk attached", "target", spec.Target, "devid", spec.DevID, "read_only", spec.ReadOnly)
	return diskInfo(k), nil
}

// Disks lists a domain's vbds (xl block-list). States: running, paused,
// shutdown, crashed.
func (d *Daemon) Disks(ctx context.Context, ref string) ([]api.DiskInfo, error) {
	r, err := d.lookupDomU(ref, "asked for disks")
	if err != nil {
		return nil, err
	}
	r.disksMu.Lock()
	disks := append([]*dom0.Disk(nil), r.disks...)
	r.disksMu.Unlock()
	out := make([]api.DiskInfo, 0, len(disks))
	for _, k := range disks {
		out = append(out, diskInfo(k))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DevID < out[j].DevID })
	return out, nil
}

// DetachDisk removes a vbd (xl block-detach). States: running, paused,
// shutdown, crashed.
func (d *Daemon) DetachDisk(ctx context.Context, ref, vdev string) (api.DiskDetachResult, error) {
	devid, ok := xlcfg.VDevNumber(vdev)
	if !ok {
		return api.DiskDetachResult{}, api.BadRequest("vdev", "%q is not a disk name or devid: give xvdb or 51728 (see xenolith block-list)", vdev)
	}
	r, err := d.lookupDomU(ref, "given disks")
	if err != nil {
		return api.DiskDetachResult{}, err
	}
	r.disksMu.Lock()
	var k *dom0.Disk
	for i, c := range r.disks {
		if c.Spec.DevID == devid {
			k = c
			r.disks = append(r.disks[:i:i], r.disks[i+1:]...)
			break
		}
	}
	r.disksMu.Unlock()
	if k == nil {
		return api.DiskDetachResult{}, &api.Error{Status: 404, Field: "vdev",
			Message: fmt.Sprintf("domain %s (domid %d) has no disk %s (devid %d): see xenolith block-list %s", r.name, r.id, vdev, devid, r.name)}
	}
	d.mu.Lock()
	r.diskSpecs = slices.DeleteFunc(slices.Clone(r.diskSpecs), func(s xlcfg.DiskSpec) bool { return s.DevID == devid })
	d.mu.Unlock()
	forced, err := k.Detach(d.opts.DetachTimeout)
	log := d.log.With("domain", r.name, "domid", r.id, "vdev", k.Spec.VDev)
	if err != nil {
		log.Warn("disk detach", "err", err)
	}
	log.Info("disk detached", "forced", forced)
	return api.DiskDetachResult{Forced: forced}, nil
}

// requireStatus is a 409 unless r is live in one of the states.
func (d *Daemon) requireStatus(r *record, op string, states ...string) error {
	d.mu.Lock()
	_, status, _, _ := statusLocked(r)
	live, name := r.phase == phaseLive, r.name
	d.mu.Unlock()
	for _, s := range states {
		if live && status == s {
			return nil
		}
	}
	return api.Conflict("domain %s (domid %d) is %s: it cannot be %s now", name, r.id, status, op)
}

func diskInfo(k *dom0.Disk) api.DiskInfo {
	i := k.Info()
	access, typ := "rw", "disk"
	if k.Spec.ReadOnly {
		access = "ro"
	}
	if k.Spec.CDROM {
		typ = "cdrom"
	}
	return api.DiskInfo{
		VDev: k.Spec.VDev, DevID: i.DevID, Target: k.Path, Access: access, DeviceType: typ,
		BackendID: i.BackendID, FrontendID: i.FrontendID, State: i.State, BackState: i.BackState,
		EvtchnPort: i.EvtchnPort, RingRef: i.RingRef, BackendPath: i.BackPath,
	}
}
