package console

import (
	"fmt"

	"github.com/xenolith/xenolith/hypercall"
)

// The back end's lifecycle, named with the xenbus states of io/xenbus.h
// that a split-driver back end publishes.
//
// The primary console has no xenbus handshake: the domain builder
// publishes its ring frame and port as HVM params (and grants the page at
// reserved grant ref 0), the toolstack writes ~/console/* in xenstore, and
// the ring is live from the guest's first instruction. So this package
// holds only the state machine and no xenstore code; the back end is born
// Connected. A secondary console (device/console/<n>, digest 9.6) would
// add its handshake here: read ring-ref and event-channel, go
// InitWait -> Connected, follow the front end to Closing and Closed.
//
//	Connected --Close or guest protocol error--> Closing --ring closed--> Closed
type state uint32

const (
	stateConnected state = hypercall.XenbusStateConnected // serving the ring
	stateClosing   state = hypercall.XenbusStateClosing   // stop requested; the goroutine is finishing
	stateClosed    state = hypercall.XenbusStateClosed    // the Ring, log file and readers are closed
)

func (s state) String() string {
	switch s {
	case stateConnected:
		return "Connected"
	case stateClosing:
		return "Closing"
	case stateClosed:
		return "Closed"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// transition moves the back end to state to, the only place the state
// changes, and performs the edge's effect: entering Closing closes stop
// (the serving goroutine and waiting writers leave), entering Closed
// closes done. An edge not in the diagram is ErrBadTransition.
//
// Locking: b.mu must be held.
func (b *Backend) transition(to state) error {
	from := b.state
	switch {
	case from == stateConnected && to == stateClosing:
		close(b.stop)
	case from == stateClosing && to == stateClosed:
		close(b.done)
	default:
		return fmt.Errorf("%w: domain %d console %s -> %s", ErrBadTransition, b.domid, from, to)
	}
	b.state = to
	return nil
}
