package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xenstore"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// dom0Name is Domain-0's name in listings and refs.
const dom0Name = "Domain-0"

// lookup resolves a domid or a name (xl's find_domain: all digits is a
// domid). It returns nil, true for Domain-0.
func (d *Daemon) lookup(ref string) (rec *record, isDom0 bool, err error) {
	if ref == dom0Name {
		return nil, true, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, perr := strconv.ParseUint(ref, 10, 16); perr == nil {
		if id == 0 {
			return nil, true, nil
		}
		if r := d.byID[uint16(id)]; r != nil {
			return r, false, nil
		}
		return nil, false, api.NotFound(ref)
	}
	// A Gone record still holding its name is being restarted: it
	// answers (as dying) until its successor takes the name.
	if r := d.names[ref]; r != nil && r.phase != phaseBuilding {
		return r, false, nil
	}
	return nil, false, api.NotFound(ref)
}

// lookupDomU is lookup for operations Domain-0 does not take (409).
func (d *Daemon) lookupDomU(ref, op string) (*record, error) {
	r, isDom0, err := d.lookup(ref)
	if err != nil {
		return nil, err
	}
	if isDom0 {
		return nil, api.Conflict("%s: Domain-0 is the host side and cannot be %s", dom0Name, op)
	}
	return r, nil
}

// shutdownLetters are xl list's reason flags by SHUTDOWN_* code.
const shutdownLetters = "-rscwS"

// status describes r as xl list's flags and one word; Daemon.mu is held.
func statusLocked(r *record) (flags, status, reason, detail string) {
	st, code, detail := r.d.State()
	f := []byte("------")
	switch st {
	case domains.Running:
		f[0], status = 'r', api.StatusRunning
		if allBlocked(r.d) {
			f[0], f[1] = '-', 'b' // xl: every online vCPU waits for an event
		}
	case domains.Paused:
		f[2], status = 'p', api.StatusPaused
	case domains.Shutdown, domains.Crashed:
		f[3] = 's'
		if int(code) < len(shutdownLetters) {
			f[4] = shutdownLetters[code]
		} else {
			f[4] = '?'
		}
		status, reason = api.StatusShutdown, domains.ShutdownReasonName(code)
		if st == domains.Crashed {
			status = api.StatusCrashed
		}
	case domains.Dead:
		status = api.StatusDying
	}
	if r.phase == phaseDying || r.phase == phaseGone {
		f[5], status = 'd', api.StatusDying
	}
	return string(f), status, reason, detail
}

// infoLocked is r's list entry; Daemon.mu is held.
func (d *Daemon) infoLocked(r *record) api.DomainInfo {
	flags, status, reason, detail := statusLocked(r)
	return api.DomainInfo{
		DomID: r.id, Name: r.name, UUID: dom0.UUIDString(r.uuid),
		State: flags, Status: status, ShutdownReason: reason, CrashDetail: detail,
		MemoryMiB: r.spec.cfg.MemoryMiB, VCPUs: onlineVCPUs(r),
		UptimeS: time.Duration(r.d.SystemTimeNs()).Seconds(), CPUTimeS: r.d.CPUTime().Seconds(),
	}
}

// allBlocked reports whether every online vCPU of d is blocked.
func allBlocked(d *domains.Domain) bool {
	online := 0
	for _, s := range d.VCPUStats() {
		if s.Online {
			online++
			if !s.Blocked {
				return false
			}
		}
	}
	return online > 0
}

func onlineVCPUs(r *record) int {
	n := 0
	for i := range r.spec.cfg.VCPUs {
		if r.d.VCPUIsUp(uint32(i)) {
			n++
		}
	}
	return n
}

// dom0Info is Domain-0's entry: the host side, whose memory and CPUs are
// the host's and whose CPU time is this process's.
func (d *Daemon) dom0Info() api.DomainInfo {
	total, _ := memInfoMiB()
	nr, _ := onlineCPUs()
	return api.DomainInfo{
		DomID: 0, Name: dom0Name, UUID: "00000000-0000-0000-0000-000000000000",
		State: "r-----", Status: api.StatusRunning, MemoryMiB: total, VCPUs: nr,
		CPUTimeS: processCPUTime().Seconds(), UptimeS: hostUptime().Seconds(),
	}
}

// List returns Domain-0 and every domain by domid. Any state.
func (d *Daemon) List(ctx context.Context) ([]api.DomainInfo, error) {
	out := []api.DomainInfo{d.dom0Info()}
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]int, 0, len(d.byID))
	for id := range d.byID {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	for _, id := range ids {
		out = append(out, d.infoLocked(d.byID[uint16(id)]))
	}
	return out, nil
}

// Get returns one domain and its config. Any state.
func (d *Daemon) Get(ctx context.Context, ref string) (api.DomainDetail, error) {
	r, isDom0, err := d.lookup(ref)
	if err != nil {
		return api.DomainDetail{}, err
	}
	if isDom0 {
		return api.DomainDetail{DomainInfo: d.dom0Info(), Config: json.RawMessage("null")}, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cfg, err := json.Marshal(configLocked(r))
	if err != nil {
		return api.DomainDetail{}, err
	}
	return api.DomainDetail{DomainInfo: d.infoLocked(r), Config: cfg, ConfigFile: r.spec.file, Restarts: r.spec.restarts}, nil
}

// configLocked is r's config as it stands: its current name and uuid
// (after a rename, a restart keeps the new name, as xl's does) and its
// disks (with those attached and detached since); Daemon.mu is held.
func configLocked(r *record) *xlcfg.DomainConfig {
	c := *r.spec.cfg
	c.Name, c.UUID, c.HasUUID = r.name, r.uuid, true
	c.Disks = slices.Clip(r.diskSpecs)
	return &c
}

// Destroy destroys a domain at once. States: running, paused, shutdown,
// crashed, and dying (it waits for the teardown, and stops a restart
// under way).
func (d *Daemon) Destroy(ctx context.Context, ref string) error {
	r, err := d.lookupDomU(ref, "destroyed")
	if err != nil {
		return err
	}
	return d.destroyRecord(ctx, r)
}

// destroyRecord tears r down (unless another actor is doing so: then it
// cancels a pending restart) and waits until it has settled.
func (d *Daemon) destroyRecord(ctx context.Context, r *record) error {
	d.mu.Lock()
	mine := false
	switch r.phase {
	case phaseDying, phaseGone:
		r.cancelRestart = true
	default:
		mine = r.transitionLocked(evDestroy) == nil
	}
	d.mu.Unlock()
	if mine {
		d.teardown(r, false)
		d.settle(r, "destroyed")
	}
	select {
	case <-r.settled:
		return nil
	case <-ctx.Done():
		return api.Conflict("domain %s (domid %d) is still being destroyed: %v", r.name, r.id, ctx.Err())
	}
}

// teardown destroys r's domain, ends its console, tells xenstored, and
// drops r from the tables (its name too unless keepName: a restart hands
// the name to the successor).
func (d *Daemon) teardown(r *record, keepName bool) {
	r.disksMu.Lock()
	for _, k := range r.disks {
		k.Close()
	}
	r.disks, r.disksClosed = nil, true
	r.disksMu.Unlock()
	r.d.Destroy()
	r.console.close()
	d.xs.DomainDied(r.id)
	d.mu.Lock()
	r.markEndedLocked()
	if r.phase == phaseDying {
		r.transitionLocked(evGone)
	}
	if d.byID[r.id] == r {
		delete(d.byID, r.id)
	}
	if !keepName && d.names[r.name] == r {
		delete(d.names, r.name)
	}
	d.mu.Unlock()
	d.log.Info("domain destroyed", "domain", r.name, "domid", r.id)
}

// settle records how r's end was handled and wakes its waiters, once.
func (d *Daemon) settle(r *record, outcome string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.outcome != "" {
		return
	}
	r.outcome = outcome
	close(r.settled)
}

// Shutdown asks the guest to power off or reboot through xenstore. States:
// running, paused. With req.Wait it waits for the on_* action (504 when
// the guest does not shut down in time; it is left alone).
func (d *Daemon) Shutdown(ctx context.Context, ref, reason string, req api.ShutdownRequest) (api.ShutdownResult, error) {
	if reason != api.ReasonPoweroff && reason != api.ReasonReboot {
		return api.ShutdownResult{}, api.BadRequest("reason", "shutdown reason %q: want poweroff or reboot", reason)
	}
	op := "shut down"
	if reason == api.ReasonReboot {
		op = "rebooted"
	}
	r, err := d.lookupDomU(ref, op)
	if err != nil {
		return api.ShutdownResult{}, err
	}
	d.mu.Lock()
	_, status, _, _ := statusLocked(r)
	ok := r.phase == phaseLive && (status == api.StatusRunning || status == api.StatusPaused)
	name := r.name
	d.mu.Unlock()
	if !ok {
		return api.ShutdownResult{}, api.Conflict("domain %s (domid %d) is %s: %s needs it running or paused", name, r.id, status, reason)
	}
	if err := d.requestShutdown(r, reason); err != nil {
		return api.ShutdownResult{}, err
	}
	res := api.ShutdownResult{DomID: r.id, Name: name}
	if !req.Wait {
		return res, nil
	}
	timeout := time.Duration(req.TimeoutS * float64(time.Second))
	if timeout <= 0 {
		timeout = api.DefaultShutdownTimeoutS * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.ended:
	case <-t.C:
		d.mu.Lock()
		_, status, _, _ = statusLocked(r)
		d.mu.Unlock()
		return res, api.Timeout("domain %s (domid %d) did not %s within %s of control/shutdown = %q: the guest does not seem to act on xenstore shutdown requests; it is left %s (xenolith destroy %s ends it)",
			name, r.id, map[string]string{api.ReasonPoweroff: "shut down", api.ReasonReboot: "reboot"}[reason], timeout, reason, status, name)
	case <-ctx.Done():
		return res, ctx.Err()
	}
	select {
	case <-r.settled:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	res.Outcome = r.outcome
	res.Reason = domains.ShutdownReasonName(r.reason)
	if r.successor != nil {
		res.NewDomID = r.successor.id
	}
	return res, nil
}

// requestShutdown writes ~/control/shutdown as dom0, as xl shutdown and
// reboot do (libxl__domain_pvcontrol_write).
func (d *Daemon) requestShutdown(r *record, reason string) error {
	path := xenstore.DomainPath(r.id) + "/control/shutdown"
	if err := d.xsc.Write(0, path, []byte(reason)); err != nil {
		return api.Conflict("domain %s (domid %d): writing %s: %v", r.name, r.id, path, err)
	}
	d.log.Info("shutdown requested", "domain", r.name, "domid", r.id, "reason", reason)
	return nil
}

// Pause pauses a running domain. States: running.
func (d *Daemon) Pause(ctx context.Context, ref string) error {
	return d.pauseOp(ref, "paused", api.StatusRunning, (*domains.Domain).Pause)
}

// Unpause resumes a paused domain. States: paused.
func (d *Daemon) Unpause(ctx context.Context, ref string) error {
	return d.pauseOp(ref, "unpaused", api.StatusPaused, (*domains.Domain).Unpause)
}

func (d *Daemon) pauseOp(ref, op, want string, fn func(*domains.Domain) error) error {
	r, err := d.lookupDomU(ref, op)
	if err != nil {
		return err
	}
	d.mu.Lock()
	_, status, _, _ := statusLocked(r)
	live, name := r.phase == phaseLive, r.name
	if live && status == want && want == api.StatusPaused && d.stopping {
		d.mu.Unlock()
		return api.Conflict("%v: domain %s stays paused", errStopping, name)
	}
	d.mu.Unlock()
	if !live || status != want {
		return api.Conflict("domain %s (domid %d) is %s: only a %s domain can be %s", name, r.id, status, want, op)
	}
	if err := fn(r.d); err != nil {
		if errors.Is(err, domains.ErrIllegalTransition) {
			return api.Conflict("domain %s (domid %d): %v", name, r.id, err)
		}
		return err
	}
	d.log.Info("domain "+op, "domain", name, "domid", r.id)
	return nil
}

// Rename renames a domain. States: running, paused, shutdown, crashed
// (not while its end is being handled or it is dying). Names are unique.
func (d *Daemon) Rename(ctx context.Context, ref, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	r, err := d.lookupDomU(ref, "renamed")
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := r.name
	switch {
	case r.phase != phaseLive && r.phase != phasePreserved:
		_, status, _, _ := statusLocked(r)
		d.mu.Unlock()
		return api.Conflict("domain %s (domid %d) is %s: it cannot be renamed now", old, r.id, status)
	case old == name:
		d.mu.Unlock()
		return nil
	case d.names[name] != nil:
		o := d.names[name]
		d.mu.Unlock()
		return api.Conflict("domain name %q is in use by domain %d", name, o.id)
	}
	delete(d.names, old)
	d.names[name] = r
	r.name = name
	d.mu.Unlock()
	d.writeName(r, name, r.uuid)
	d.log.Info("domain renamed", "domid", r.id, "from", old, "to", name)
	return nil
}

// writeName updates the domain's name in xenstore (~/name and the /vm
// directory, moved to /vm/<uuid> when the uuid changed), as
// libxl__domain_rename and libxl_domain_preserve do.
func (d *Daemon) writeName(r *record, name string, uuid [16]byte) {
	home := xenstore.DomainPath(r.id)
	vm := "/vm/" + dom0.UUIDString(uuid)
	if cur, err := d.xsc.Read(0, home+"/vm"); err == nil && string(cur) != vm {
		d.xsc.Rm(0, string(cur))
		d.xsc.Mkdir(0, vm)
		d.xsc.SetPerms(0, vm, []xenstore.Perm{{Access: xenstore.AccessNone, Domid: 0}, {Access: xenstore.AccessRead, Domid: r.id}})
		d.xsc.Write(0, vm+"/uuid", []byte(dom0.UUIDString(uuid)))
		d.xsc.Write(0, home+"/vm", []byte(vm))
	}
	for _, p := range []string{home + "/name", vm + "/name"} {
		if err := d.xsc.Write(0, p, []byte(name)); err != nil {
			d.log.Warn("xenstore rename", "domid", r.id, "path", p, "err", err)
		}
	}
}

// VCPUs lists a domain's vCPUs. Any state but dying. Domain-0 has none
// (its work runs on host threads).
func (d *Daemon) VCPUs(ctx context.Context, ref string) (api.VCPUList, error) {
	r, isDom0, err := d.lookup(ref)
	if err != nil {
		return api.VCPUList{}, err
	}
	if isDom0 {
		return api.VCPUList{DomID: 0, Name: dom0Name, VCPUs: []api.VCPUInfo{}}, nil
	}
	d.mu.Lock()
	_, status, _, _ := statusLocked(r)
	name := r.name
	d.mu.Unlock()
	if status == api.StatusDying {
		return api.VCPUList{}, api.Conflict("domain %s (domid %d) is dying", name, r.id)
	}
	out := api.VCPUList{DomID: r.id, Name: name, VCPUs: []api.VCPUInfo{}}
	for i, st := range r.d.VCPUStats() {
		out.VCPUs = append(out.VCPUs, api.VCPUInfo{
			VCPU: i, Online: st.Online, Running: st.Online && !st.Blocked && status == api.StatusRunning,
			Blocked: st.Online && st.Blocked, Paused: status == api.StatusPaused, CPU: st.CPU,
			TimeS: st.Time.Seconds(), Affinity: "all", SoftAffinity: "all",
		})
	}
	return out, nil
}

// Console attaches to a domain's console. States: running, paused,
// shutdown, crashed.
func (d *Daemon) Console(ctx context.Context, ref string, write bool) (api.ConsoleSession, error) {
	r, err := d.lookupDomU(ref, "attached to (its console is the host's)")
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	dying, name := r.phase == phaseDying || r.phase == phaseGone, r.name
	d.mu.Unlock()
	if dying {
		return nil, api.Conflict("domain %s (domid %d) is dying", name, r.id)
	}
	return r.console.open(name, write)
}

// Info describes the host as xl info does.
func (d *Daemon) Info(ctx context.Context) (api.HostInfo, error) {
	hi := hostInfo()
	d.mu.Lock()
	hi.Domains = len(d.byID) + 1
	d.mu.Unlock()
	return hi, nil
}

// Dmesg returns the daemon's recent log lines.
func (d *Daemon) Dmesg(ctx context.Context) (api.Dmesg, error) {
	return api.Dmesg{Lines: d.logRing.Lines()}, nil
}
