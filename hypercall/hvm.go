package hypercall

import "fmt"

// hvmOp serves hvm_op(cmd, arg) (xen/hvm/hvm_op.h).
func hvmOp(c Caller, a *[5]uint64) (uint64, error) {
	cmd, arg := a[0], a[1]
	switch cmd {
	case HvmopSetParam, HvmopGetParam:
		var p XenHvmParam
		if err := get(c, arg, &p); err != nil {
			return 0, err
		}
		if dom := resolveDom(c, p.Domid); dom != c.DomID() {
			return 0, fmt.Errorf("hvm param of domain %d: %w", dom, EPERM)
		}
		if p.Index >= HvmNrParams {
			return 0, fmt.Errorf("hvm param %d: %w", p.Index, EINVAL)
		}
		if cmd == HvmopGetParam {
			v, err := c.HVMParam(p.Index)
			if err != nil {
				return 0, err
			}
			p.Value = v
			return 0, put(c, arg, &p)
		}
		if p.Index != HvmParamCallbackIrq {
			// The toolstack owns every other parameter.
			return 0, fmt.Errorf("set hvm param %d: %w", p.Index, EPERM)
		}
		return 0, c.SetCallbackVia(p.Value)
	case HvmopSetEvtchnUpcallVector:
		var op XenHvmEvtchnUpcallVector
		if err := get(c, arg, &op); err != nil {
			return 0, err
		}
		if op.Vcpu >= c.NumVCPUs() {
			return 0, fmt.Errorf("upcall vector for vCPU %d: %w", op.Vcpu, ENOENT)
		}
		if op.Vector < 0x10 {
			return 0, fmt.Errorf("upcall vector %#x: %w", op.Vector, EINVAL)
		}
		return 0, c.SetUpcallVector(op.Vcpu, op.Vector)
	case HvmopGetTime:
		return 0, put(c, arg, &XenHvmGetTime{Now: c.SystemTimeNs()})
	}
	return 0, ENOSYS
}
