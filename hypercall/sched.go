package hypercall

import "fmt"

func schedOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, arg := a[0], a[1]
	switch cmd {
	case SchedopYield:
		c.Yield()
		return 0, nil
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
