package xenstore

import (
	"errors"
	"fmt"

	"github.com/xenolith/xenolith/hypercall"
)

// Sentinel errors of the Go API, for errors.Is. Errors of the wire
// protocol are hypercall.Errno values (EINVAL, ENOENT...), which the
// server sends as ERROR replies carrying the errno name, and which Client
// returns as they came.
var (
	// ErrPayloadTooLong: a message header announced more than
	// XENSTORE_PAYLOAD_MAX (4096) payload bytes. xenstored drops such a
	// connection.
	ErrPayloadTooLong = errors.New("xenstore: payload longer than XENSTORE_PAYLOAD_MAX")
	// ErrRingIndex: a guest's ring indexes are out of range
	// ((prod - cons) > XENSTORE_RING_SIZE).
	ErrRingIndex = errors.New("xenstore: bad ring index")
	// ErrBadRing: a Ring whose page is not a 4-byte-aligned page of at
	// least 4096 bytes.
	ErrBadRing = errors.New("xenstore: bad ring page")
	// ErrNotIntroduced: the domain has no connection to xenstored.
	ErrNotIntroduced = errors.New("xenstore: domain not introduced")
	// ErrAlreadyIntroduced: two concurrent Introduce calls for one domain.
	ErrAlreadyIntroduced = errors.New("xenstore: domain introduced concurrently")
	// ErrBadDomid: domid 0 (dom0 uses the socket) or a reserved domid.
	ErrBadDomid = errors.New("xenstore: bad domid")
	// ErrClosed: the server or client has been closed.
	ErrClosed = errors.New("xenstore: closed")
	// ErrNoConnector: INTRODUCE needs a Connector and none is configured.
	ErrNoConnector = errors.New("xenstore: no connector configured for INTRODUCE")
)

// domidError wraps err with the domain it concerns.
func domidError(err error, domid uint16) error {
	return fmt.Errorf("domain %d: %w", domid, err)
}

// errnoOf maps an error to the errno sent on the wire: the Errno it
// wraps, or EINVAL (C xenstored's fallback for untranslatable errors).
func errnoOf(err error) hypercall.Errno {
	var e hypercall.Errno
	if errors.As(err, &e) && e.Name() != "" {
		return e
	}
	return hypercall.EINVAL
}
