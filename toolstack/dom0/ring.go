package dom0

import (
	"fmt"
	"sync"

	"github.com/xenolith/xenolith/domains"
)

// sharedRing is a page a guest shares with dom0 plus an event channel, as
// a dom0 daemon sees them (xengnttab + xenevtchn): dom0's mapping of the
// guest's grant ref and a dom0 port bound to the guest's port. It serves
// both xenstore.Ring and console.Ring, which have the same shape.
type sharedRing struct {
	dom0  *domains.Domain
	page  *domains.GrantMapping
	port  uint32
	kicks chan struct{}
	once  sync.Once
}

// connectRing maps grant ref of domid and binds port of domid; what names
// the ring ("xenstore", "console") in errors.
func connectRing(reg *domains.Registry, domid uint16, ref, port uint32, what string) (*sharedRing, error) {
	dom0 := reg.Dom0()
	page, err := dom0.MapGrant(domid, ref, false)
	if err != nil {
		return nil, fmt.Errorf("dom0: map %s page of domain %d: %w", what, domid, err)
	}
	local, err := dom0.EvtchnBindInterdomain(domid, port)
	if err != nil {
		page.Unmap()
		return nil, fmt.Errorf("dom0: bind %s port %d of domain %d: %w", what, port, domid, err)
	}
	r := &sharedRing{dom0: dom0, page: page, port: local, kicks: make(chan struct{}, 1)}
	if err := dom0.Dom0Handle(local, func(uint32) {
		select {
		case r.kicks <- struct{}{}:
		default:
		}
	}); err != nil {
		r.Close()
		return nil, fmt.Errorf("dom0: %s port of domain %d: %w", what, domid, err)
	}
	return r, nil
}

func (r *sharedRing) Page() []byte           { return r.page.Bytes() }
func (r *sharedRing) Notify() error          { return r.dom0.EvtchnSend(r.port) }
func (r *sharedRing) Kicks() <-chan struct{} { return r.kicks }

// Close unbinds the port and unmaps the page; later calls do nothing.
func (r *sharedRing) Close() error {
	var err error
	r.once.Do(func() {
		err = r.dom0.EvtchnClose(r.port)
		r.page.Unmap()
	})
	return err
}
