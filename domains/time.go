package domains

import (
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// SystemTimeNs is Xen system time for the domain: nanoseconds since it
// was built, on the host's monotonic clock.
func (d *Domain) SystemTimeNs() uint64 { return uint64(time.Since(d.start)) }

// timeScale converts TSC ticks to ns as vcpu_time_info wants it:
// ns = ((ticks << shift) * mul) >> 32 with a signed shift (Xen's
// set_time_scale).
func timeScale(tscHz uint64) (mul uint32, shift int8) {
	const nsPerSec = 1_000_000_000
	tps := tscHz
	for tps > 2*nsPerSec {
		tps >>= 1
		shift--
	}
	tps32 := uint32(tps)
	for tps32 <= nsPerSec {
		tps32 <<= 1
		shift++
	}
	return uint32((uint64(nsPerSec) << 32) / uint64(tps32)), shift
}

// updateTime refreshes the vCPU's vcpu_time_info (pvclock) from a fresh
// (guest TSC, system time) pair. Runs on the vCPU thread. The version is
// odd while the fields change, so readers retry.
func (v *vcpu) updateTime() {
	vi := v.vcpuInfo.Load()
	if vi == 0 || v.hv == nil || v.tscMul == 0 {
		return
	}
	tsc, err := v.hv.GuestTSC()
	if err != nil {
		return
	}
	now := v.d.SystemTimeNs()
	mem := v.d.mem
	ver, _ := mem.Load32(vi + viTime)
	mem.Store32(vi+viTime, (ver|1)+0)
	var b [24]byte
	binary.LittleEndian.PutUint64(b[0:], tsc)
	binary.LittleEndian.PutUint64(b[8:], now)
	binary.LittleEndian.PutUint32(b[16:], v.tscMul)
	b[20] = byte(v.tscShift)
	b[21] = hypercall.XenPvclockTscStableBit
	mem.WriteAt(b[:22], vi+viTime+8)
	mem.Store32(vi+viTime, (ver|1)+1)
	v.lastTimeUpdate = time.Now()
	if v.id == 0 {
		v.d.writeWallclock()
	}
}

// timers are a vCPU's singleshot and periodic timers (Go timers that
// raise VIRQ_TIMER).
type timers struct {
	mu       sync.Mutex
	single   *time.Timer
	periodic *time.Timer
	period   time.Duration
}

func (t *timers) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.single != nil {
		t.single.Stop()
		t.single = nil
	}
	if t.periodic != nil {
		t.periodic.Stop()
		t.periodic = nil
	}
}

func (v *vcpu) timerFired() {
	v.timeStale.Store(true)
	v.d.SendVirq(hypercall.VirqTimer, uint32(v.id))
}

// SetSingleshotTimer arms vcpu's one-shot timer for system time deadline.
// With future set, a deadline already past fails with -ETIME.
func (d *Domain) SetSingleshotTimer(vcpu uint32, deadlineNs uint64, future bool) error {
	v, err := d.vcpuByID(vcpu)
	if err != nil {
		return err
	}
	now := d.SystemTimeNs()
	if future && deadlineNs < now {
		return errno(hypercall.ETIME, "singleshot deadline %d ns is %d ns in the past", deadlineNs, now-deadlineNs)
	}
	wait := time.Duration(0)
	if deadlineNs > now {
		wait = time.Duration(deadlineNs - now)
	}
	v.timers.mu.Lock()
	defer v.timers.mu.Unlock()
	if v.timers.single != nil {
		v.timers.single.Stop()
	}
	v.timers.single = time.AfterFunc(wait, v.timerFired)
	return nil
}

// StopSingleshotTimer disarms vcpu's one-shot timer.
func (d *Domain) StopSingleshotTimer(vcpu uint32) error {
	return d.stopTimer(vcpu, func(t *timers) **time.Timer { return &t.single })
}

// stopTimer stops and forgets the timer which picks from vcpu's timers.
func (d *Domain) stopTimer(vcpu uint32, which func(*timers) **time.Timer) error {
	v, err := d.vcpuByID(vcpu)
	if err != nil {
		return err
	}
	v.timers.mu.Lock()
	defer v.timers.mu.Unlock()
	if t := which(&v.timers); *t != nil {
		(*t).Stop()
		*t = nil
	}
	return nil
}

// minPeriodNs is the shortest periodic timer Xen accepts (1 ms).
const minPeriodNs = 1_000_000

// SetPeriodicTimer raises VIRQ_TIMER on vcpu every periodNs.
func (d *Domain) SetPeriodicTimer(vcpu uint32, periodNs uint64) error {
	v, err := d.vcpuByID(vcpu)
	if err != nil {
		return err
	}
	if periodNs < minPeriodNs {
		return errno(hypercall.EINVAL, "period %d ns below %d ns", periodNs, minPeriodNs)
	}
	t := &v.timers
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.periodic != nil {
		t.periodic.Stop()
	}
	period := time.Duration(periodNs)
	next := time.Now().Add(period)
	var tick func()
	tick = func() {
		v.timerFired()
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.periodic == nil || t.period != period {
			return
		}
		// Absolute deadlines: a late tick does not shift later ones.
		next = next.Add(period)
		t.periodic = time.AfterFunc(time.Until(next), tick)
	}
	t.period = period
	t.periodic = time.AfterFunc(period, tick)
	return nil
}

// StopPeriodicTimer stops vcpu's periodic timer.
func (d *Domain) StopPeriodicTimer(vcpu uint32) error {
	return d.stopTimer(vcpu, func(t *timers) **time.Timer { return &t.periodic })
}

// notify wakes v if it blocks and makes it re-check for an upcall to
// inject. Safe from any goroutine.
func (v *vcpu) notify() {
	select {
	case v.wake <- struct{}{}:
	default:
	}
	if v.hv != nil {
		v.hv.Kick()
	}
}

// block sleeps until v has an upcall it can take (if upcallWakes: the
// flag is set and a callback vector is registered, as Xen's
// hvm_local_events_need_delivery requires), until deadline (zero: none),
// until ready reports true, or until the domain stops running. Runs on
// v's thread.
func (v *vcpu) block(deadline time.Time, ready func() bool, upcallWakes bool) {
	v.blocked.Store(true)
	defer v.blocked.Store(false)
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	for {
		if upcallWakes && v.upcallDeliverable() || (ready != nil && ready()) || !v.d.isRunning() {
			return
		}
		select {
		case <-v.wake:
		case <-timeout:
			return
		}
	}
}

// Block is SCHEDOP_block: sleep until an event is pending for v.
func (v *vcpu) Block() error {
	v.block(time.Time{}, nil, true)
	v.timeStale.Store(true)
	return nil
}

// Poll is SCHEDOP_poll: sleep until one of ports is pending (masked or
// not) or system time passes timeoutNs (0: no timeout). A pending upcall
// also ends the poll, but only if the vCPU could take it (interrupts
// enabled), as Xen's do_poll checks local_events_need_delivery.
func (v *vcpu) Poll(ports []uint32, timeoutNs uint64) error {
	d := v.d
	for _, p := range ports {
		if !d.evtchn.valid(p) {
			return errno(hypercall.EINVAL, "poll on port %d", p)
		}
	}
	anyPending := func() bool {
		return slices.ContainsFunc(ports, d.isPending)
	}
	if anyPending() {
		return nil
	}
	var deadline time.Time
	if timeoutNs != 0 {
		deadline = d.start.Add(time.Duration(timeoutNs))
	}
	v.polling.Store(&ports)
	defer v.polling.Store(nil)
	v.block(deadline, anyPending, v.regs.RFLAGS&rflagsIF != 0)
	v.timeStale.Store(true)
	return nil
}

// upcallDeliverable reports whether v has an upcall pending and a vector
// to deliver it with (per-vCPU or the domain's callback).
func (v *vcpu) upcallDeliverable() bool {
	return (v.upcallVector.Load() != 0 || v.d.callback.Load() != 0) && v.upcallPending()
}

// rflagsIF is RFLAGS.IF.
const rflagsIF = 1 << 9

// wakePollers wakes the vCPUs polling port.
func (d *Domain) wakePollers(port uint32) {
	for _, v := range d.vcpus {
		if ps := v.polling.Load(); ps != nil && slices.Contains(*ps, port) {
			v.notify()
		}
	}
}
