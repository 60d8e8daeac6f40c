package domains

import (
	"errors"
	"fmt"
)

// State is a domain's lifecycle state.
type State int

const (
	// Paused: built (or paused by the toolstack); no vCPU runs.
	Paused State = iota
	// Running: vCPUs are scheduled.
	Running
	// Shutdown: the guest asked to stop (SCHEDOP_shutdown); Reason says why.
	Shutdown
	// Crashed: the guest crashed (SHUTDOWN_crash, a triple fault, an
	// emulation failure); CrashReason says how.
	Crashed
	// Dead: destroyed; its resources are released.
	Dead
)

func (s State) String() string {
	switch s {
	case Paused:
		return "paused"
	case Running:
		return "running"
	case Shutdown:
		return "shutdown"
	case Crashed:
		return "crashed"
	case Dead:
		return "dead"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Event is a request to change a domain's state.
type Event int

const (
	EvUnpause Event = iota
	EvPause
	EvShutdown // guest shutdown with a non-crash reason
	EvCrash
	EvDestroy
)

func (e Event) String() string {
	return [...]string{"unpause", "pause", "shutdown", "crash", "destroy"}[e]
}

// ErrIllegalTransition is returned for a request the current state does
// not allow (e.g. unpausing a domain that has shut down).
var ErrIllegalTransition = errors.New("domains: illegal state transition")

// next is the domain state machine's one transition function.
func next(from State, ev Event) (State, error) {
	switch {
	case ev == EvDestroy:
		if from != Dead {
			return Dead, nil
		}
	case from == Paused && ev == EvUnpause:
		return Running, nil
	case from == Running && ev == EvPause:
		return Paused, nil
	case (from == Running || from == Paused) && ev == EvShutdown:
		return Shutdown, nil
	case (from == Running || from == Paused) && ev == EvCrash:
		return Crashed, nil
	}
	return from, fmt.Errorf("%w: %s while %s", ErrIllegalTransition, ev, from)
}
