package dom0

import (
	"fmt"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/backend/console"
)

var _ console.Ring = (*sharedRing)(nil)

// ConnectConsole maps domid's console ring (reserved grant ref 0, what
// xenconsoled maps with xengnttab) and binds its console port
// (domains.(*Domain).ConsolePort()). The domain must have been built (the
// builder sets up the page, port and grant). The caller passes the Ring to
// console.New, which closes it.
func ConnectConsole(reg *domains.Registry, domid uint16) (console.Ring, error) {
	d, ok := reg.Lookup(domid)
	if !ok || d == nil {
		return nil, fmt.Errorf("dom0: no domain %d to connect a console to", domid)
	}
	port, _ := d.ConsolePort()
	if port == 0 {
		return nil, fmt.Errorf("dom0: domain %d has no console port (not built yet?)", domid)
	}
	return connectRing(reg, domid, hypercall.GnttabReservedConsole, port, "console")
}
