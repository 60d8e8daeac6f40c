package hypercall

import "fmt"

func memoryOp(c Caller, a *[5]uint64) (uint64, error) {
	// The bits above MemopCmdMask carry a continuation start extent.
	cmd, arg := a[0]&MemopCmdMask, a[1]
	switch cmd {
	case XenmemMemoryMap:
		var m XenMemoryMap
		if err := get(c, arg, &m); err != nil {
			return 0, err
		}
		entries := c.MemoryMap()
		if len(entries) == 0 {
			return 0, ENOSYS
		}
		n := min(uint64(m.NrEntries), uint64(len(entries)))
		buf := make([]byte, 0, n*e820EntrySize)
		for _, e := range entries[:n] {
			buf, _ = Append(buf, &e)
		}
		if err := c.CopyToGuest(m.Buffer, buf); err != nil {
			return 0, err
		}
		m.NrEntries = uint32(n)
		return 0, put(c, arg, &m)
	case XenmemAddToPhysmap:
		var m XenAddToPhysmap
		if err := get(c, arg, &m); err != nil {
			return 0, err
		}
		if dom := resolveDom(c, m.Domid); dom != c.DomID() {
			return 0, fmt.Errorf("add_to_physmap for domain %d: %w", dom, EPERM)
		}
		switch m.Space {
		case XenmapspaceSharedInfo:
			if m.Idx != 0 {
				return 0, fmt.Errorf("shared_info index %d: %w", m.Idx, EINVAL)
			}
			return 0, c.MapSharedInfo(m.Gpfn)
		case XenmapspaceGrantTable:
			return 0, c.MapGrantFrame(m.Idx, m.Gpfn)
		}
		return 0, fmt.Errorf("add_to_physmap space %d: %w", m.Space, EINVAL)
	case XenmemCurrentReservation, XenmemMaximumReservation, XenmemMaximumGpfn:
		var md XenMemoryDomain
		if err := get(c, arg, &md); err != nil {
			return 0, err
		}
		if dom := md.Domid; dom != DomidSelf && dom != c.DomID() {
			return 0, fmt.Errorf("memory_op %d on domain %d: %w", cmd, dom, EPERM)
		}
		cur, max, maxGFN := c.RAMPages()
		switch cmd {
		case XenmemCurrentReservation:
			return cur, nil
		case XenmemMaximumReservation:
			return max, nil
		}
		return maxGFN, nil
	}
	return 0, ENOSYS
}
