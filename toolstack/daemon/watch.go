package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// watch waits for r's guest to end and applies its on_* action, as xl's
// handle_domain_death: destroy, restart, rename-restart or preserve.
// While the daemon stops, restarts become destroys.
func (d *Daemon) watch(r *record) {
	defer d.watchers.Done()
	r.d.Wait()
	st, code, detail := r.d.State()
	d.mu.Lock()
	if err := r.transitionLocked(evEnded); err != nil {
		// Destroyed through the API: the destroyer settles it.
		d.mu.Unlock()
		return
	}
	r.reason = code
	r.markEndedLocked()
	stopping, name := d.stopping, r.name
	d.mu.Unlock()

	action, key := actionFor(r.spec.cfg, code)
	log := d.log.With("domain", name, "domid", r.id, "reason", domains.ShutdownReasonName(code))
	if st == domains.Crashed {
		log.Warn("domain crashed", "detail", detail, "action", key+" = "+action.String())
	} else {
		log.Info("domain shut down", "action", key+" = "+action.String())
	}
	if stopping && (action == xlcfg.ActionRestart || action == xlcfg.ActionRenameRestart) {
		log.Info("not restarting: the daemon is stopping")
		action = xlcfg.ActionDestroy
	}
	switch action {
	case xlcfg.ActionPreserve:
		d.preserve(r)
	case xlcfg.ActionRestart:
		d.restart(r, false)
	case xlcfg.ActionRenameRestart:
		d.restart(r, true)
	default:
		d.destroyEnded(r)
	}
}

// actionFor picks the action for a SHUTDOWN_* reason, as xl does:
// on_poweroff, on_reboot, on_crash (also for the watchdog: Xenolith has
// no on_watchdog). A suspended domain is kept (xl leaves it for a
// resume); soft reset and unknown reasons destroy.
func actionFor(cfg *xlcfg.DomainConfig, code uint32) (xlcfg.Action, string) {
	switch code {
	case hypercall.ShutdownPoweroff:
		return cfg.OnPoweroff, "on_poweroff"
	case hypercall.ShutdownReboot:
		return cfg.OnReboot, "on_reboot"
	case hypercall.ShutdownCrash, hypercall.ShutdownWatchdog:
		return cfg.OnCrash, "on_crash"
	case hypercall.ShutdownSuspend:
		return xlcfg.ActionPreserve, "suspend"
	}
	return xlcfg.ActionDestroy, "reason " + domains.ShutdownReasonName(code)
}

// destroyEnded applies destroy to an ended domain (unless the API got
// there first).
func (d *Daemon) destroyEnded(r *record) {
	d.mu.Lock()
	err := r.transitionLocked(evDestroy)
	d.mu.Unlock()
	if err != nil {
		return
	}
	d.teardown(r, false)
	d.settle(r, "destroyed")
}

// preserve keeps an ended domain, listed in its shutdown or crashed
// state, until it is destroyed.
func (d *Daemon) preserve(r *record) {
	d.mu.Lock()
	err := r.transitionLocked(evPreserve)
	name := r.name
	d.mu.Unlock()
	if err != nil {
		return
	}
	d.log.Warn("domain preserved for inspection: `xenolith destroy` removes it", "domain", name, "domid", r.id)
	d.settle(r, "preserved")
}

// restart builds the domain again from its config under the same name
// with a new domid. With rename (rename-restart) the old domain is first
// renamed "<name>-YYYYMMDDTHHMMZ" (UTC, xl's preserve_domain suffix),
// given a new uuid and preserved; otherwise it is destroyed. A domain
// that keeps ending soon after it was built is destroyed after
// MaxFastRestarts restarts in a row.
func (d *Daemon) restart(r *record, rename bool) {
	d.mu.Lock()
	sp := r.spec
	sp.cfg = configLocked(r) // a renamed domain restarts under its new name
	sp.cfg.HasUUID = r.spec.cfg.HasUUID
	d.mu.Unlock()
	sp.restarts++
	if time.Since(r.built) < FastRestartWindow {
		sp.fastRestarts++
	} else {
		sp.fastRestarts = 0
	}
	if sp.fastRestarts > d.opts.MaxFastRestarts {
		if rename {
			d.log.Error("domain keeps ending within seconds of starting: keeping it instead of restarting",
				"domain", r.name, "domid", r.id, "restarts_in_a_row", sp.fastRestarts-1, "window", FastRestartWindow)
			d.preserve(r)
			return
		}
		d.log.Error("domain keeps ending within seconds of starting: destroying it instead of restarting",
			"domain", r.name, "domid", r.id, "restarts_in_a_row", sp.fastRestarts-1, "window", FastRestartWindow)
		d.destroyEnded(r)
		return
	}
	if rename {
		d.renameRestart(r, sp)
		return
	}
	d.mu.Lock()
	err := r.transitionLocked(evDestroy)
	d.mu.Unlock()
	if err != nil {
		return // destroyed through the API meanwhile
	}
	d.teardown(r, true)
	d.mu.Lock()
	cancelled := r.cancelRestart
	d.mu.Unlock()
	var next *record
	if !cancelled {
		next, err = d.build(sp, r, false)
	}
	d.mu.Lock()
	if next == nil && d.names[r.name] == r {
		delete(d.names, r.name)
	}
	cancelled = r.cancelRestart
	d.mu.Unlock()
	switch {
	case err != nil:
		d.log.Error("restart failed: domain destroyed", "domain", r.name, "old_domid", r.id, "err", err)
		d.settle(r, "destroyed")
	case next == nil:
		d.settle(r, "destroyed")
	case cancelled:
		// Destroy came while the new domain was being built.
		d.destroyRecord(context.Background(), next)
		d.settle(r, "destroyed")
	default:
		d.mu.Lock()
		r.successor = next
		d.mu.Unlock()
		d.log.Info("domain restarted", "domain", next.name, "old_domid", r.id, "domid", next.id, "restarts", sp.restarts)
		d.settle(r, "restarted")
	}
}

// renameRestart keeps r under a new name and uuid and starts a new domain
// under its old name.
func (d *Daemon) renameRestart(r *record, sp spec) {
	uuid, err := dom0.NewUUID()
	if err != nil {
		d.log.Error("rename-restart", "domain", r.name, "err", err)
		d.destroyEnded(r)
		return
	}
	stamp := "-" + time.Now().UTC().Format("20060102T1504Z")
	d.mu.Lock()
	if err := r.transitionLocked(evPreserve); err != nil {
		d.mu.Unlock()
		return
	}
	old := r.name
	newName := old + stamp
	for i := 2; d.names[newName] != nil; i++ {
		newName = fmt.Sprintf("%s%s-%d", old, stamp, i)
	}
	delete(d.names, old)
	d.names[newName] = r
	r.name, r.uuid = newName, uuid
	d.mu.Unlock()
	d.writeName(r, newName, uuid)
	d.log.Info("domain preserved under a new name", "domain", newName, "domid", r.id, "was", old)
	next, err := d.build(sp, nil, false)
	if err != nil {
		d.log.Error("rename-restart: restart failed", "domain", old, "err", err)
		d.settle(r, "preserved")
		return
	}
	d.mu.Lock()
	r.successor = next
	d.mu.Unlock()
	d.log.Info("domain restarted", "domain", old, "old_domid", r.id, "domid", next.id, "restarts", sp.restarts)
	d.settle(r, "restarted")
}
