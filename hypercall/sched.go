package hypercall

import "fmt"

func schedOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, arg := a[0], a[1]
	switch cmd {
	case SchedopYield:
		c.Yield()
		return 0, nil
	case SchedopBlock:
		return 0, c.Block()
	case SchedopPoll:
		var p SchedPoll
		if err := get(c, arg, &p); err != nil {
			return 0, err
		}
		// Xen bounds the port list (sched_poll in common/sched/core.c).
		if p.NrPorts > maxPollPorts {
			return 0, fmt.Errorf("poll on %d ports: %w", p.NrPorts, EINVAL)
		}
		buf := make([]byte, 4*p.NrPorts)
		if err := c.CopyFromGuest(buf, p.Ports); err != nil {
			return 0, err
		}
		ports := make([]uint32, p.NrPorts)
		for i := range ports {
			ports[i] = uint32(buf[4*i]) | uint32(buf[4*i+1])<<8 | uint32(buf[4*i+2])<<16 | uint32(buf[4*i+3])<<24
		}
		return 0, c.Poll(ports, p.Timeout)
	case SchedopShutdown:
		var s SchedShutdown
		if err := get(c, arg, &s); err != nil {
			return 0, err
		}
		switch s.Reason {
		case ShutdownPoweroff, ShutdownReboot, ShutdownCrash, ShutdownWatchdog:
			return 0, c.Shutdown(s.Reason)
		case ShutdownSuspend, ShutdownSoftReset:
			// Needs save/restore or soft reset in the toolstack.
			return 0, fmt.Errorf("shutdown reason %d: %w", s.Reason, EOPNOTSUPP)
		}
		return 0, fmt.Errorf("shutdown reason %d: %w", s.Reason, EINVAL)
	}
	return 0, ENOSYS
}

// maxPollPorts is the most ports one SCHEDOP_poll may wait on.
const maxPollPorts = 128
