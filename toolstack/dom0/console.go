package dom0

import (
	"fmt"
	"sync"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/backend/console"
)

// consoleRing is a guest's primary console ring as the console back end
// sees it: the page through dom0's mapping of reserved grant ref 0 (what
// xenconsoled maps with xengnttab) and a dom0 port bound to the guest's
// console port.
type consoleRing struct {
	dom0  *domains.Domain
	page  *domains.GrantMapping
	port  uint32
	kicks chan struct{}
	once  sync.Once
}

var _ console.Ring = (*consoleRing)(nil)

// ConnectConsole maps domid's console ring (reserved grant ref 0) and binds its console port (domains.(*Domain).ConsolePort()).
// The domain must have been built (the builder sets up the page, port and
// grant). The caller passes the Ring to console.New, which closes it.
func ConnectConsole(reg *domains.Registry, domid uint16) (console.Ring, error) {
	d, ok := reg.Lookup(domid)
	if !ok || d == nil {
		return nil, fmt.Errorf("dom0: no domain %d to connect a console to", domid)
	}
	port, _ := d.ConsolePort()
	if port == 0 {
		return nil, fmt.Errorf("dom0: domain %d has no console port (not built yet?)", domid)
	}
	dom0 := reg.Dom0()
	page, err := dom0.MapGrant(domid, hypercall.GnttabReservedConsole, false)
	if err != nil {
		return nil, fmt.Errorf("dom0: map console page of domain %d: %w", domid, err)
	}
	local, err := dom0.EvtchnBindInterdomain(domid, port)
	if err != nil {
		page.Unmap()
		return nil, fmt.Errorf("dom0: bind console port %d of domain %d: %w", port, domid, err)
	}
	r := &consoleRing{dom0: dom0, page: page, port: local, kicks: make(chan struct{}, 1)}
	if err := dom0.Dom0Handle(local, func(uint32) {
		select {
		case r.kicks <- struct{}{}:
		default:
		}
	}); err != nil {
		r.Close()
		return nil, fmt.Errorf("dom0: console port of domain %d: %w", domid, err)
	}
	return r, nil
}

func (r *consoleRing) Page() []byte           { return r.page.Bytes() }
func (r *consoleRing) Notify() error          { return r.dom0.EvtchnSend(r.port) }
func (r *consoleRing) Kicks() <-chan struct{} { return r.kicks }

// Close unbinds the port and unmaps the page; later calls do nothing.
func (r *consoleRing) Close() error {
	var err error
	r.once.Do(func() {
		err = r.dom0.EvtchnClose(r.port)
		r.page.Unmap()
	})
	return err
}
