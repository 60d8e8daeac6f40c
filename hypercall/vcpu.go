package hypercall

import "fmt"

// vcpuOp serves vcpu_op(cmd, vcpuid, arg) (xen/vcpu.h).
func vcpuOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, id, arg := a[0], a[1], a[2]
	if id >= uint64(c.NumVCPUs()) {
		return 0, fmt.Errorf("vcpu_op %d on vCPU %d of %d: %w", cmd, id, c.NumVCPUs(), ENOENT)
	}
	v := uint32(id)
	switch cmd {
	case VcpuopInitialise:
		var ctx VcpuHvmContext
		if err := get(c, arg, &ctx); err != nil {
			return 0, err
		}
		return 0, c.VCPUInitialise(v, &ctx)
	case VcpuopUp:
		return 0, c.VCPUUp(v)
	case VcpuopDown:
		return 0, c.VCPUDown(v)
	case VcpuopIsUp:
		if c.VCPUIsUp(v) {
			return 1, nil
		}
		return 0, nil
	case VcpuopSetSingleshotTimer:
		// Xen arms singleshot timers only for the calling vCPU.
		if v != c.VCPUID() {
			return 0, fmt.Errorf("singleshot timer for vCPU %d from vCPU %d: %w", v, c.VCPUID(), EINVAL)
		}
		var t VcpuSetSingleshotTimer
		if err := get(c, arg, &t); err != nil {
			return 0, err
		}
		return 0, c.SetSingleshotTimer(v, t.TimeoutAbsNs, t.Flags&VcpuSshottmrFuture != 0)
	case VcpuopStopSingleshotTimer:
		if v != c.VCPUID() {
			return 0, fmt.Errorf("singleshot timer for vCPU %d from vCPU %d: %w", v, c.VCPUID(), EINVAL)
		}
		return 0, c.StopSingleshotTimer(v)
	case VcpuopSetPeriodicTimer:
		var t VcpuSetPeriodicTimer
		if err := get(c, arg, &t); err != nil {
			return 0, err
		}
		return 0, c.SetPeriodicTimer(v, t.PeriodNs)
	case VcpuopStopPeriodicTimer:
		return 0, c.StopPeriodicTimer(v)
	case VcpuopRegisterVcpuInfo:
		var r VcpuRegisterVcpuInfo
		if err := get(c, arg, &r); err != nil {
			return 0, err
		}
		if r.Offset > PageSize-uint32(SizeOf[VcpuInfo]()) {
			return 0, fmt.Errorf("vcpu_info at offset %d crosses a page: %w", r.Offset, EINVAL)
		}
		return 0, c.RegisterVCPUInfo(v, r.Mfn, r.Offset)
	}
	return 0, ENOSYS
}

// PageSize is Xen's ABI page size.
const PageSize = 4096
