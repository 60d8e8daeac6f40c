package dom0

import (
	"fmt"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

var _ xenstore.Ring = (*sharedRing)(nil)

// ConnectStore maps domid's xenstore page (reserved grant ref 1, what C
// xenstored maps with xengnttab) and binds its store port. The domain
// must have been built (its store page, port and grant are set up by the
// builder); port must be the guest's store port.
func ConnectStore(reg *domains.Registry, domid uint16, port uint32) (xenstore.Ring, error) {
	d, ok := reg.Lookup(domid)
	if !ok || d == nil {
		return nil, fmt.Errorf("dom0: no domain %d to connect to xenstore", domid)
	}
	if want, _ := d.StorePort(); port != want {
		return nil, fmt.Errorf("dom0: domain %d's store port is %d, not %d", domid, want, port)
	}
	return connectRing(reg, domid, hypercall.GnttabReservedXenstore, port, "xenstore")
}

// StoreConnector is a xenstore.Connector over reg, for INTRODUCE messages
// from dom0 tools. The gfn must be the domain's store frame.
func StoreConnector(reg *domains.Registry) xenstore.Connector {
	return func(domid uint16, gfn uint64, port uint32) (xenstore.Ring, error) {
		d, ok := reg.Lookup(domid)
		if !ok || d == nil {
			return nil, fmt.Errorf("dom0: no domain %d", domid)
		}
		if _, want := d.StorePort(); gfn != want {
			return nil, fmt.Errorf("dom0: domain %d's store frame is %#x, not %#x", domid, want, gfn)
		}
		return ConnectStore(reg, domid, port)
	}
}

// IntroduceDomain writes a new domain's standard xenstore nodes and
// connects its ring, as libxl does after building a domain.
func IntroduceDomain(xs *xenstore.Server, reg *domains.Registry, d *domains.Domain, vcpus int, memMiB uint64) error {
	port, gfn := d.StorePort()
	cport, cgfn := d.ConsolePort()
	if err := xs.WriteDomainNodes(xenstore.DomainNodes{
		Domid: d.ID, Name: d.Name, UUID: UUIDString(d.UUID),
		VCPUs: vcpus, MaxMemKiB: memMiB << 10, StorePort: port, StoreGfn: gfn,
		ConsolePort: cport, ConsoleGfn: cgfn,
	}); err != nil {
		return err
	}
	ring, err := ConnectStore(reg, d.ID, port)
	if err != nil {
		return err
	}
	if err := xs.Introduce(d.ID, ring); err != nil {
		ring.Close()
		return err
	}
	return nil
}

// UUIDString formats a domain handle as xl prints it.
func UUIDString(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
