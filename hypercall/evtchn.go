package hypercall

import "fmt"

// resolveDom maps DomidSelf to the caller's own domid.
func resolveDom(c Caller, dom uint16) uint16 {
	if dom == DomidSelf {
		return c.DomID()
	}
	return dom
}

// eventChannelOp serves event_channel_op(cmd, arg) for the 2-level ABI
// (xen/event_channel.h). The FIFO sub-ops answer -ENOSYS, which keeps
// Linux on the 2-level ABI.
func eventChannelOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, arg := a[0], a[1]
	switch cmd {
	case EvtchnopAllocUnbound:
		var op EvtchnAllocUnbound
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		p, err := c.EvtchnAllocUnbound(resolveDom(c, op.Dom), resolveDom(c, op.RemoteDom))
		if err != nil {
			return 0, err
		}
		op.Port = p
		return 0, put(c, arg, &op)
	case EvtchnopBindInterdomain:
		var op EvtchnBindInterdomain
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		p, err := c.EvtchnBindInterdomain(resolveDom(c, op.RemoteDom), op.RemotePort)
		if err != nil {
			return 0, err
		}
		op.LocalPort = p
		return 0, put(c, arg, &op)
	case EvtchnopBindVirq:
		var op EvtchnBindVirq
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		p, err := c.EvtchnBindVirq(op.Virq, op.Vcpu)
		if err != nil {
			return 0, err
		}
		op.Port = p
		return 0, put(c, arg, &op)
	case EvtchnopBindIpi:
		var op EvtchnBindIpi
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		p, err := c.EvtchnBindIPI(op.Vcpu)
		if err != nil {
			return 0, err
		}
		op.Port = p
		return 0, put(c, arg, &op)
	case EvtchnopClose:
		var op EvtchnClose
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		return 0, c.EvtchnClose(op.Port)
	case EvtchnopSend:
		var op EvtchnSend
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		return 0, c.EvtchnSend(op.Port)
	case EvtchnopStatus:
		var op EvtchnStatus
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		if err := c.EvtchnStatus(resolveDom(c, op.Dom), op.Port, &op); err != nil {
			return 0, err
		}
		return 0, put(c, arg, &op)
	case EvtchnopBindVcpu:
		var op EvtchnBindVcpu
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		return 0, c.EvtchnBindVCPU(op.Port, op.Vcpu)
	case EvtchnopUnmask:
		var op EvtchnUnmask
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		return 0, c.EvtchnUnmask(op.Port)
	case EvtchnopReset:
		var op EvtchnReset
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		return 0, c.EvtchnReset(resolveDom(c, op.Dom))
	case EvtchnopBindPirq:
		// A PVH domU has no physical IRQs.
		return 0, fmt.Errorf("bind_pirq: %w", EINVAL)
	}
	return 0, ENOSYS
}
