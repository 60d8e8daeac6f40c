package domains

import (
	"fmt"
	"sync"

	"github.com/xenolith/xenolith/hypercall"
)

// DefaultMaxPorts is the highest event-channel port a domain may use: xl's
// default max_event_channels (1023). Port 0 is never allocated.
const DefaultMaxPorts = 1023

// channel is one event-channel port (Xen's struct evtchn). State is one
// of hypercall.Evtchnstat*; the other fields are meaningful per state.
type channel struct {
	state  uint32
	vcpu   uint32 // vCPU notified
	remote uint16 // unbound: domain allowed to bind; interdomain: peer
	rport  uint32 // interdomain: peer's port
	virq   uint32 // virq: which
	dom0   *dom0Port
}

// dom0Port delivers a dom0 port's events to a Go callback. pending has
// room for one event: like the pending bit, events coalesce until the
// callback runs.
type dom0Port struct {
	pending chan struct{}
	done    chan struct{}
}

// evtchnTable is a domain's event-channel table.
type evtchnTable struct {
	mu    sync.Mutex // guards everything below; see lockPair for two tables
	ch    []channel  // indexed by port; len = max port + 1
	virqs [][hypercall.NrVirqs]uint32
}

func (t *evtchnTable) init(maxPort uint32, vcpus int) {
	t.ch = make([]channel, maxPort+1)
	t.virqs = make([][hypercall.NrVirqs]uint32, max(vcpus, 1))
}

// valid reports whether port names a slot of the table (it may be closed).
func (t *evtchnTable) valid(port uint32) bool { return port != 0 && port < uint32(len(t.ch)) }

// alloc returns the lowest free port, or -ENOSPC.
func (t *evtchnTable) alloc() (uint32, error) {
	for p := uint32(1); p < uint32(len(t.ch)); p++ {
		if t.ch[p].state == hypercall.EvtchnstatClosed {
			return p, nil
		}
	}
	return 0, fmt.Errorf("all %d ports in use: %w", len(t.ch)-1, hypercall.ENOSPC)
}

// lockPair locks the tables of a and b (once if they are the same domain)
// in domid order, as Xen's double_evtchn_lock, and returns the unlock.
func lockPair(a, b *Domain) func() {
	if a == b {
		a.evtchn.mu.Lock()
		return a.evtchn.mu.Unlock
	}
	first, second := a, b
	if b.ID < a.ID {
		first, second = b, a
	}
	first.evtchn.mu.Lock()
	second.evtchn.mu.Lock()
	return func() { second.evtchn.mu.Unlock(); first.evtchn.mu.Unlock() }
}

// errno wraps a Xen errno with what the domain tried.
func errno(e hypercall.Errno, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), e)
}

// target resolves the domain an operation names: a domain may name
// itself; dom0 may name any domain (it is the toolstack).
func (d *Domain) target(dom uint16) (*Domain, error) {
	if dom == d.ID {
		return d, nil
	}
	if d.ID != 0 {
		return nil, errno(hypercall.EPERM, "domain %d acting on domain %d", d.ID, dom)
	}
	t, ok := d.reg.Lookup(dom)
	if !ok || t == nil {
		return nil, errno(hypercall.ESRCH, "no domain %d", dom)
	}
	return t, nil
}

func (d *Domain) checkVCPU(vcpu uint32) error {
	if vcpu >= uint32(len(d.evtchn.virqs)) || (d.ID != 0 && vcpu >= uint32(len(d.vcpus))) {
		return errno(hypercall.ENOENT, "vCPU %d", vcpu)
	}
	return nil
}

// EvtchnAllocUnbound allocates a port in domain dom (d itself, or any
// domain when d is dom0) that domain remote may bind.
func (d *Domain) EvtchnAllocUnbound(dom, remote uint16) (uint32, error) {
	t, err := d.target(dom)
	if err != nil {
		return 0, err
	}
	t.evtchn.mu.Lock()
	defer t.evtchn.mu.Unlock()
	p, err := t.evtchn.alloc()
	if err != nil {
		return 0, err
	}
	t.evtchn.ch[p] = channel{state: hypercall.EvtchnstatUnbound, remote: remote}
	t.attachDom0(p)
	return p, nil
}

// EvtchnBindInterdomain connects a new local port to remotePort of
// remoteDom, which must be unbound and offered to d. The new local port
// starts pending, so a notification sent before the bind is not lost.
func (d *Domain) EvtchnBindInterdomain(remoteDom uint16, remotePort uint32) (uint32, error) {
	rd, ok := d.reg.Lookup(remoteDom)
	if !ok || rd == nil {
		return 0, errno(hypercall.ESRCH, "bind_interdomain to missing domain %d", remoteDom)
	}
	unlock := lockPair(d, rd)
	defer unlock()
	if rd.dying.Load() {
		return 0, errno(hypercall.ESRCH, "bind_interdomain to dying domain %d", remoteDom)
	}
	if !rd.evtchn.valid(remotePort) {
		return 0, errno(hypercall.EINVAL, "bind_interdomain to port %d of domain %d: no such port", remotePort, remoteDom)
	}
	rc := &rd.evtchn.ch[remotePort]
	if rc.state != hypercall.EvtchnstatUnbound || rc.remote != d.ID {
		return 0, errno(hypercall.EINVAL, "bind_interdomain to port %d of domain %d: not offered to domain %d", remotePort, remoteDom, d.ID)
	}
	lp, err := d.evtchn.alloc()
	if err != nil {
		return 0, err
	}
	d.evtchn.ch[lp] = channel{state: hypercall.EvtchnstatInterdomain, remote: remoteDom, rport: remotePort}
	d.attachDom0(lp)
	rc.state, rc.rport = hypercall.EvtchnstatInterdomain, lp
	d.raiseLocked(lp)
	return lp, nil
}

// EvtchnBindVirq binds virq on vcpu to a new port. Global VIRQs bind on
// vCPU 0 only; each VIRQ binds once per vCPU (-EEXIST).
func (d *Domain) EvtchnBindVirq(virq, vcpu uint32) (uint32, error) {
	if virq >= hypercall.NrVirqs {
		return 0, errno(hypercall.EINVAL, "bind_virq %d", virq)
	}
	if !virqPerVCPU(virq) && vcpu != 0 {
		return 0, errno(hypercall.EINVAL, "bind_virq: global VIRQ %d on vCPU %d", virq, vcpu)
	}
	if err := d.checkVCPU(vcpu); err != nil {
		return 0, err
	}
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	if d.evtchn.virqs[vcpu][virq] != 0 {
		return 0, errno(hypercall.EEXIST, "VIRQ %d already bound on vCPU %d", virq, vcpu)
	}
	p, err := d.evtchn.alloc()
	if err != nil {
		return 0, err
	}
	d.evtchn.ch[p] = channel{state: hypercall.EvtchnstatVirq, vcpu: vcpu, virq: virq}
	d.evtchn.virqs[vcpu][virq] = p
	d.attachDom0(p)
	return p, nil
}

// virqPerVCPU reports whether a VIRQ is per-vCPU (xen.h): TIMER, DEBUG,
// XENOPROF, XENPMU; the rest are global.
func virqPerVCPU(virq uint32) bool {
	switch virq {
	case hypercall.VirqTimer, hypercall.VirqDebug, hypercall.VirqXenoprof, hypercall.VirqXenpmu:
		return true
	}
	return false
}

// EvtchnBindIPI binds a new port that notifies vcpu of d itself.
func (d *Domain) EvtchnBindIPI(vcpu uint32) (uint32, error) {
	if err := d.checkVCPU(vcpu); err != nil {
		return 0, err
	}
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	p, err := d.evtchn.alloc()
	if err != nil {
		return 0, err
	}
	d.evtchn.ch[p] = channel{state: hypercall.EvtchnstatIpi, vcpu: vcpu}
	d.attachDom0(p)
	return p, nil
}

// EvtchnClose closes port. Closing one end of an interdomain channel
// returns the peer's end to unbound, offered back to d, as Xen does.
func (d *Domain) EvtchnClose(port uint32) error {
	for {
		d.evtchn.mu.Lock()
		if !d.evtchn.valid(port) || d.evtchn.ch[port].state == hypercall.EvtchnstatClosed {
			d.evtchn.mu.Unlock()
			return errno(hypercall.EINVAL, "close of port %d: not open", port)
		}
		c := d.evtchn.ch[port]
		d.evtchn.mu.Unlock()
		if c.state != hypercall.EvtchnstatInterdomain {
			d.evtchn.mu.Lock()
			if d.evtchn.ch[port] == c {
				d.closeLocked(port)
				d.evtchn.mu.Unlock()
				return nil
			}
			d.evtchn.mu.Unlock()
			continue // changed under us: look again
		}
		rd, alive := d.reg.Lookup(c.remote)
		if !alive || rd == nil {
			rd, alive = d, false // peer already gone: only our end remains
		}
		unlock := lockPair(d, rd)
		if d.evtchn.ch[port] != c {
			unlock()
			continue
		}
		if alive && rd.evtchn.valid(c.rport) {
			rc := &rd.evtchn.ch[c.rport]
			if rc.state == hypercall.EvtchnstatInterdomain && rc.remote == d.ID && rc.rport == port {
				rc.state, rc.remote, rc.rport = hypercall.EvtchnstatUnbound, d.ID, 0
			}
		}
		d.closeLocked(port)
		unlock()
		return nil
	}
}

// closeLocked frees port; d.evtchn.mu is held.
func (d *Domain) closeLocked(port uint32) {
	c := &d.evtchn.ch[port]
	if c.state == hypercall.EvtchnstatVirq && d.evtchn.virqs[c.vcpu][c.virq] == port {
		d.evtchn.virqs[c.vcpu][c.virq] = 0
	}
	if c.dom0 != nil {
		close(c.dom0.done)
	}
	*c = channel{}
	d.clearPending(port)
}

// EvtchnSend notifies the other end of port: the peer of an interdomain
// port, or the bound vCPU of an IPI port. Sending on an unbound port is
// silently dropped, as in Xen; other states get -EINVAL.
func (d *Domain) EvtchnSend(port uint32) error {
	for {
		d.evtchn.mu.Lock()
		if !d.evtchn.valid(port) {
			d.evtchn.mu.Unlock()
			return errno(hypercall.EINVAL, "send on port %d beyond the limit %d", port, len(d.evtchn.ch)-1)
		}
		c := d.evtchn.ch[port]
		switch c.state {
		case hypercall.EvtchnstatIpi:
			d.raiseLocked(port)
			d.evtchn.mu.Unlock()
			return nil
		case hypercall.EvtchnstatUnbound:
			d.evtchn.mu.Unlock()
			return nil
		case hypercall.EvtchnstatInterdomain:
		default:
			d.evtchn.mu.Unlock()
			return errno(hypercall.EINVAL, "send on port %d in state %d", port, c.state)
		}
		d.evtchn.mu.Unlock()
		rd, ok := d.reg.Lookup(c.remote)
		if !ok || rd == nil {
			return nil // the peer is being destroyed; its close will unbind us
		}
		unlock := lockPair(d, rd)
		if d.evtchn.ch[port] != c {
			unlock()
			continue
		}
		rd.raiseLocked(c.rport)
		unlock()
		return nil
	}
}

// EvtchnStatus reports port of domain dom.
func (d *Domain) EvtchnStatus(dom uint16, port uint32, st *hypercall.EvtchnStatus) error {
	t, err := d.target(dom)
	if err != nil {
		return err
	}
	t.evtchn.mu.Lock()
	defer t.evtchn.mu.Unlock()
	if !t.evtchn.valid(port) {
		return errno(hypercall.EINVAL, "status of port %d", port)
	}
	c := t.evtchn.ch[port]
	st.Status, st.Vcpu, st.U = c.state, c.vcpu, [8]byte{}
	switch c.state {
	case hypercall.EvtchnstatUnbound:
		st.SetUnbound(c.remote)
	case hypercall.EvtchnstatInterdomain:
		st.SetInterdomain(c.remote, c.rport)
	case hypercall.EvtchnstatVirq:
		st.SetVirq(c.virq)
	}
	return nil
}

// EvtchnBindVCPU moves port's notifications to vcpu. Per-vCPU VIRQs and
// IPIs stay where they were bound (-EINVAL).
func (d *Domain) EvtchnBindVCPU(port, vcpu uint32) error {
	if err := d.checkVCPU(vcpu); err != nil {
		return err
	}
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	if !d.evtchn.valid(port) {
		return errno(hypercall.EINVAL, "bind_vcpu of port %d", port)
	}
	c := &d.evtchn.ch[port]
	switch {
	case c.state == hypercall.EvtchnstatUnbound, c.state == hypercall.EvtchnstatInterdomain,
		c.state == hypercall.EvtchnstatVirq && !virqPerVCPU(c.virq):
		if c.state == hypercall.EvtchnstatVirq {
			d.evtchn.virqs[c.vcpu][c.virq], d.evtchn.virqs[vcpu][c.virq] = 0, port
		}
		c.vcpu = vcpu
		return nil
	}
	return errno(hypercall.EINVAL, "bind_vcpu of port %d in state %d", port, c.state)
}

// EvtchnUnmask clears port's mask bit and delivers it if it is pending.
func (d *Domain) EvtchnUnmask(port uint32) error {
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	if !d.evtchn.valid(port) {
		return errno(hypercall.EINVAL, "unmask of port %d", port)
	}
	d.unmaskLocked(port)
	return nil
}

// EvtchnReset closes every port of domain dom.
func (d *Domain) EvtchnReset(dom uint16) error {
	t, err := d.target(dom)
	if err != nil {
		return err
	}
	t.closeAll()
	return nil
}

// closeAll closes every open port of d (reset, or destruction).
func (d *Domain) closeAll() {
	for p := uint32(1); p < uint32(len(d.evtchn.ch)); p++ {
		d.evtchn.mu.Lock()
		open := d.evtchn.ch[p].state != hypercall.EvtchnstatClosed
		d.evtchn.mu.Unlock()
		if open {
			d.EvtchnClose(p)
		}
	}
}

// SendVirq raises virq on vcpu if the domain bound it. Global VIRQs are
// found on vCPU 0 unless bind_vcpu moved them.
func (d *Domain) SendVirq(virq, vcpu uint32) {
	d.evtchn.mu.Lock()
	defer d.evtchn.mu.Unlock()
	if virq >= hypercall.NrVirqs {
		return
	}
	if !virqPerVCPU(virq) {
		for v := range d.evtchn.virqs {
			if p := d.evtchn.virqs[v][virq]; p != 0 {
				d.raiseLocked(p)
			}
		}
		return
	}
	if vcpu < uint32(len(d.evtchn.virqs)) {
		if p := d.evtchn.virqs[vcpu][virq]; p != 0 {
			d.raiseLocked(p)
		}
	}
}

// attachDom0 gives a new dom0 port its delivery channel.
func (d *Domain) attachDom0(port uint32) {
	if d.ID == 0 {
		d.evtchn.ch[port].dom0 = &dom0Port{pending: make(chan struct{}, 1), done: make(chan struct{})}
	}
}

// raiseLocked marks port pending and notifies as the 2-level ABI says;
// d.evtchn.mu is held.
func (d *Domain) raiseLocked(port uint32) {
	c := &d.evtchn.ch[port]
	if d.ID == 0 {
		if c.dom0 != nil {
			select {
			case c.dom0.pending <- struct{}{}:
			default:
			}
		}
		return
	}
	d.setPending(port, c.vcpu)
}

// Dom0Handle runs fn for each notification on dom0 port (coalesced like a
// pending bit), on a goroutine of its own, until the port is closed. It
// returns -EINVAL if port is not an open port of dom0.
func (d *Domain) Dom0Handle(port uint32, fn func(port uint32)) error {
	if d.ID != 0 {
		return fmt.Errorf("domains: Dom0Handle on domain %d: %w", d.ID, hypercall.EINVAL)
	}
	d.evtchn.mu.Lock()
	if !d.evtchn.valid(port) || d.evtchn.ch[port].dom0 == nil {
		d.evtchn.mu.Unlock()
		return fmt.Errorf("domains: Dom0Handle: port %d is not open: %w", port, hypercall.EINVAL)
	}
	dp := d.evtchn.ch[port].dom0
	d.evtchn.mu.Unlock()
	go func() {
		for {
			select {
			case <-dp.done:
				return
			case <-dp.pending:
				fn(port)
			}
		}
	}()
	return nil
}
