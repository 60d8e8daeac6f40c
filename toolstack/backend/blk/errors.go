package blk

import "errors"

// Errors of this package. Errors returned by the Backend wrap them with
// the domid and device; use errors.Is.
var (
	// ErrBadRing: the ring page is too short or misaligned.
	ErrBadRing = errors.New("blk: bad ring page")
	// ErrRingIndex: the front end moved req_prod outside what the protocol
	// allows (more than a ring ahead, or backwards). The device stops.
	ErrRingIndex = errors.New("blk: front-end ring index out of range")
	// ErrBadTransition: an illegal xenbus state transition.
	ErrBadTransition = errors.New("blk: illegal xenbus state transition")
	// ErrClosed: the back end has stopped.
	ErrClosed = errors.New("blk: back end closed")
	// ErrHandshake: the front end's xenstore keys are missing or invalid.
	ErrHandshake = errors.New("blk: bad front-end handshake")
)
