package hypercall

import "fmt"

// Grants is what grant_table_op needs from the calling domain. Per-op
// results are GNTST_* statuses, written into each op; the hypercall itself
// returns 0 or a negated errno for the whole call.
type Grants interface {
	GrantSetupTable(dom uint16, nr uint32) ([]uint64, int16)
	GrantQuerySize(dom uint16) (cur, max uint32, st int16)
	MapGrantRef(dom uint16, ref uint32, hostAddr uint64, flags uint32) (handle uint32, st int16)
	UnmapGrantRef(handle uint32, hostAddr uint64) int16
	GrantCopy(op *GnttabCopy) int16
	// MapGrantFrame places grant-table frame idx at gfn (add_to_physmap).
	MapGrantFrame(idx, gfn uint64) error
	// StillRunning lets long batches stop when the domain is destroyed.
	StillRunning() bool
}

// grantTableOp serves grant_table_op(cmd, uop, count) for grant tables v1
// (xen/grant_table.h). Version 2 is off: set_version(2) gets -ENOSYS with
// the version in effect written back, as Xen does when v2 is disabled.
func grantTableOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, uop, count := a[0], a[1], a[2]
	switch cmd {
	case GnttabopSetupTable:
		if count != 1 {
			return 0, fmt.Errorf("setup_table count %d: %w", count, EINVAL)
		}
		var op GnttabSetupTable
		if err := get(c, uop, &op); err != nil {
			return 0, err
		}
		frames, st := c.GrantSetupTable(op.Dom, op.NrFrames)
		op.Status = st
		if st == GntstOkay {
			buf := make([]byte, 8*len(frames))
			for i, f := range frames {
				putU64(buf[8*i:], f)
			}
			if err := c.CopyToGuest(op.FrameList, buf); err != nil {
				return 0, err
			}
		}
		return 0, put(c, uop, &op)
	case GnttabopQuerySize:
		if count != 1 {
			return 0, fmt.Errorf("query_size count %d: %w", count, EINVAL)
		}
		var op GnttabQuerySize
		if err := get(c, uop, &op); err != nil {
			return 0, err
		}
		op.NrFrames, op.MaxNrFrames, op.Status = c.GrantQuerySize(op.Dom)
		return 0, put(c, uop, &op)
	case GnttabopSetVersion:
		if count != 1 {
			return 0, fmt.Errorf("set_version count %d: %w", count, EINVAL)
		}
		var op GnttabSetVersion
		if err := get(c, uop, &op); err != nil {
			return 0, err
		}
		want := op.Version
		op.Version = 1
		if err := put(c, uop, &op); err != nil {
			return 0, err
		}
		switch want {
		case 1:
			return 0, nil
		case 2:
			return 0, fmt.Errorf("grant table v2 is off: %w", ENOSYS)
		}
		return 0, fmt.Errorf("grant table version %d: %w", want, EINVAL)
	case GnttabopGetVersion:
		if count != 1 {
			return 0, fmt.Errorf("get_version count %d: %w", count, EINVAL)
		}
		var op GnttabGetVersion
		if err := get(c, uop, &op); err != nil {
			return 0, err
		}
		if dom := resolveDom(c, op.Dom); dom != c.DomID() {
			return 0, fmt.Errorf("get_version of domain %d: %w", dom, EPERM)
		}
		op.Version = 1
		return 0, put(c, uop, &op)
	case GnttabopMapGrantRef:
		return batch(c, uop, count, func(op *GnttabMapGrantRef) {
			op.Handle, op.Status = c.MapGrantRef(op.Dom, op.Ref, op.HostAddr, op.Flags)
			op.DevBusAddr = 0
		})
	case GnttabopUnmapGrantRef:
		return batch(c, uop, count, func(op *GnttabUnmapGrantRef) {
			op.Status = c.UnmapGrantRef(op.Handle, op.HostAddr)
		})
	case GnttabopCopy:
		return batch(c, uop, count, func(op *GnttabCopy) {
			op.Status = c.GrantCopy(op)
		})
	}
	return 0, ENOSYS
}

// batch runs fn over count ops of type T at guest address uop, copying
// each in and its result out. A fault stops the batch with -EFAULT, as in
// Xen; ops done before stay done.
func batch[T any](c Caller, uop, count uint64, fn func(*T)) (uint64, error) {
	size := uint64(SizeOf[T]())
	for i := uint64(0); i < count; i++ {
		if i%256 == 255 && !c.StillRunning() {
			return 0, fmt.Errorf("domain stopped during a grant batch: %w", EFAULT)
		}
		var op T
		addr := uop + i*size
		if err := get(c, addr, &op); err != nil {
			return 0, err
		}
		fn(&op)
		if err := put(c, addr, &op); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func putU64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}
