package daemon

import (
	"errors"
	"fmt"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"sync"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// phase is where a record is in the daemon's handling of its domain. The
// guest's own state (paused, running, shut down, crashed) is the domain
// model's; the phase says what the toolstack is doing about it.
//
//	Building --built--> Live --ended--> Ended --preserve--> Preserved
//	                     |                |                    |
//	                     +----destroy-----+------destroy-------+--> Dying --gone--> Gone
//
// Building records hold their name but are not listed. Ended is the
// watcher applying the on_* action. Dying is a teardown in progress, by
// the API or by the watcher (destroy, restart).
type phase int

const (
	phaseBuilding phase = iota
	phaseLive
	phaseEnded
	phasePreserved
	phaseDying
	phaseGone
)

func (p phase) String() string {
	switch p {
	case phaseBuilding:
		return "building"
	case phaseLive:
		return "live"
	case phaseEnded:
		return "ended"
	case phasePreserved:
		return "preserved"
	case phaseDying:
		return "dying"
	case phaseGone:
		return "gone"
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// phaseEvent is a request to change a record's phase.
type phaseEvent int

const (
	evBuilt phaseEvent = iota
	evEnded
	evPreserve
	evDestroy
	evGone
)

func (e phaseEvent) String() string {
	return [...]string{"built", "ended", "preserve", "destroy", "gone"}[e]
}

// ErrPhase is returned for an event the record's phase does not allow:
// the caller lost a race with another actor (the API destroyed a domain
// the watcher was about to restart).
var ErrPhase = errors.New("daemon: illegal domain phase transition")

// nextPhase is the records' one transition function.
func nextPhase(from phase, ev phaseEvent) (phase, error) {
	switch {
	case from == phaseBuilding && ev == evBuilt:
		return phaseLive, nil
	case from == phaseLive && ev == evEnded:
		return phaseEnded, nil
	case from == phaseEnded && ev == evPreserve:
		return phasePreserved, nil
	case (from == phaseLive || from == phaseEnded || from == phasePreserved) && ev == evDestroy:
		return phaseDying, nil
	case from == phaseDying && ev == evGone:
		return phaseGone, nil
	}
	return from, fmt.Errorf("%w: %s while %s", ErrPhase, ev, from)
}

// spec is what a domain is built from; restarts reuse it.
type spec struct {
	cfg  *xlcfg.DomainConfig
	file string // CreateRequest.File
	// kernelAt is where the kernel key was set, for error messages.
	kernelAt string
	uuid     [16]byte // kept across restarts, as xl reuses the config's
	// restarts and fastRestarts count the restarts behind a domain and
	// those in a row that came soon after the domain was built.
	restarts, fastRestarts int
}

// record is one domain the daemon manages.
type record struct {
	spec    spec
	d       *domains.Domain // nil while Building
	id      uint16
	built   time.Time
	console *hub

	// disksMu guards disks and disksClosed: attach and detach run
	// beside teardown.
	disksMu     sync.Mutex
	disks       []*dom0.Disk // vbds served by blkback, in attach order
	disksClosed bool         // teardown has closed them: no more attaches

	ended   chan struct{} // closed when the guest stopped (shut down, crashed, destroyed)
	settled chan struct{} // closed once the on_* action is applied or the domain destroyed

	// Guarded by Daemon.mu.
	name          string
	uuid          [16]byte // changes when rename-restart preserves it
	phase         phase
	endedClosed   bool
	cancelRestart bool    // Destroy came while a restart was under way
	successor     *record // the restarted domain
	outcome       string  // api.ShutdownResult.Outcome, set when settled
	reason        uint32  // SHUTDOWN_* the guest ended with, once Ended
	// diskSpecs is the config's disk list as it stands: block-attach
	// adds to it and block-detach removes from it, so the domain's
	// config (list -l) and a restart see the hotplugged disks, as
	// libxl keeps them in the domain's stored config.
	diskSpecs []xlcfg.DiskSpec
}

func newRecord(sp spec) *record {
	return &record{
		spec: sp, name: sp.cfg.Name, uuid: sp.uuid, diskSpecs: sp.cfg.Disks,
		ended: make(chan struct{}), settled: make(chan struct{}),
	}
}

// transitionLocked applies ev; Daemon.mu is held.
func (r *record) transitionLocked(ev phaseEvent) error {
	p, err := nextPhase(r.phase, ev)
	if err != nil {
		return fmt.Errorf("domain %s (domid %d): %w", r.name, r.id, err)
	}
	r.phase = p
	return nil
}

// markEndedLocked closes ended once; Daemon.mu is held.
func (r *record) markEndedLocked() {
	if !r.endedClosed {
		r.endedClosed = true
		close(r.ended)
	}
}
