package domains

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/hypervisor"
)

// Config is what the domain builder needs; the toolstack fills it from
// xl.cfg.
type Config struct {
	Name      string
	UUID      [16]byte
	MemoryMiB uint64
	VCPUs     int
	Kernel    []byte // PVH kernel image (ELF with XEN_ELFNOTE_PHYS32_ENTRY)
	// Ramdisk, if not empty, is loaded page-aligned after the kernel and
	// passed as the first PVH module (Linux's initrd).
	Ramdisk []byte
	Cmdline string
	// MaxPorts is the highest event-channel port (0: DefaultMaxPorts).
	MaxPorts uint32
	// MaxGrantFrames bounds the grant table (0: DefaultMaxGrantFrames).
	MaxGrantFrames int
	// MaxMaptrack bounds the foreign grants mapped at once (0:
	// DefaultMaxMaptrack).
	MaxMaptrack int
	// Console receives the guest's console output. Writes come from vCPU
	// threads; Domain serialises them.
	Console io.Writer
	Log     *slog.Logger
}

// MaxVCPUs is the most vCPUs a domain may have (vcpu_info slots in
// shared_info; more need VCPUOP_register_vcpu_info, which works too, but
// the builder keeps to the legacy slots).
const MaxVCPUs = hypercall.XenLegacyMaxVcpus

// ErrBadConfig reports a configuration the builder refuses.
var ErrBadConfig = errors.New("domains: invalid domain configuration")

// Domain is one guest (or dom0): its memory, vCPUs, event channels,
// timers and lifecycle state.
type Domain struct {
	ID   uint16
	Name string
	UUID [16]byte

	cfg        Config
	reg        *Registry
	log        *slog.Logger
	vm         *hypervisor.VM // nil for dom0 and test domains
	mem        *hypervisor.Memory
	vcpus      []*vcpu
	ramBytes   uint64
	memmap     []hypercall.E820Entry
	dispatcher *hypercall.Dispatcher
	start      time.Time // system time 0 (monotonic)

	evtchn     evtchnTable
	gnt        grantTable
	sharedInfo atomic.Uint64 // gpa of shared_info
	callback   atomic.Uint32 // HVM_PARAM_CALLBACK_IRQ vector, 0 = none
	dying      atomic.Bool   // set when destruction starts

	consoleMu sync.Mutex // serialises cfg.Console writes

	mu          sync.Mutex // guards the fields below and every vcpu.state
	cond        *sync.Cond // broadcast on every state change
	state       State
	reason      uint32 // SHUTDOWN_* reason in Shutdown and Crashed
	crashDetail string // how it crashed, for the user
	running     int    // vCPU goroutines alive
	closed      bool
	params      [hypercall.HvmNrParams]uint64
	poolNext    uint64 // dom0: next free page of the pool
}

// build creates domain id from cfg: checks the config and the kernel, sets
// up memory (RAM from gpa 0 plus the special pages), loads the kernel,
// writes hvm_start_info and creates the vCPUs, vCPU 0 in PVH entry state.
// The domain starts Paused.
func build(r *Registry, id uint16, cfg Config) (*Domain, error) {
	if cfg.Log == nil {
		cfg.Log = r.log
	}
	if cfg.Console == nil {
		cfg.Console = io.Discard
	}
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	k, err := ParseKernel(cfg.Kernel)
	if err != nil {
		return nil, fmt.Errorf("domain %s: kernel: %w", cfg.Name, err)
	}
	ram := cfg.MemoryMiB << 20
	if err := k.CheckFits(ram); err != nil {
		return nil, fmt.Errorf("domain %s: kernel: %w", cfg.Name, err)
	}
	d, err := newDomain(r, id, cfg, ram)
	if err != nil {
		return nil, fmt.Errorf("domain %s: %w", cfg.Name, err)
	}
	if err := d.buildVM(r.host.sys, k); err != nil {
		d.release()
		return nil, fmt.Errorf("domain %s: %w", cfg.Name, err)
	}
	return d, nil
}

// newDomain sets up everything of a domain but its memory and vCPUs.
func newDomain(r *Registry, id uint16, cfg Config, ram uint64) (*Domain, error) {
	now := time.Now()
	d := &Domain{
		ID: id, Name: cfg.Name, UUID: cfg.UUID, cfg: cfg, reg: r,
		log:        cfg.Log.With("domid", id, "domain", cfg.Name),
		ramBytes:   ram,
		dispatcher: hypercall.NewDispatcher(cfg.Log),
		start:      now,
	}
	d.cond = sync.NewCond(&d.mu)
	d.memmap = []hypercall.E820Entry{
		{Addr: 0, Size: ram, Type: hypercall.XenHvmMemmapTypeRam},
		{Addr: SpecialBase, Size: SpecialEnd - SpecialBase, Type: hypercall.XenHvmMemmapTypeReserved},
	}
	maxPorts := cfg.MaxPorts
	if maxPorts == 0 {
		maxPorts = DefaultMaxPorts
	}
	d.evtchn.init(maxPorts, cfg.VCPUs)
	d.sharedInfo.Store(sharedInfoInitGPA)
	frames, maps := cfg.MaxGrantFrames, cfg.MaxMaptrack
	if frames == 0 {
		frames = DefaultMaxGrantFrames
	}
	if maps == 0 {
		maps = DefaultMaxMaptrack
	}
	if err := d.gnt.init(fmt.Sprintf("d%d", id), frames, maps); err != nil {
		return nil, err
	}
	return d, nil
}

func checkConfig(c *Config) error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: name is empty", ErrBadConfig)
	case c.MemoryMiB == 0:
		return fmt.Errorf("%w: memory is 0 MiB: set memory to the guest's RAM in MiB", ErrBadConfig)
	case c.MemoryMiB > MaxMemoryMiB:
		return fmt.Errorf("%w: memory %d MiB is above the %d MiB Xenolith supports (no RAM above 4 GiB yet): lower memory", ErrBadConfig, c.MemoryMiB, MaxMemoryMiB)
	case c.VCPUs < 1 || c.VCPUs > MaxVCPUs:
		return fmt.Errorf("%w: vcpus = %d: set vcpus between 1 and %d", ErrBadConfig, c.VCPUs, MaxVCPUs)
	case len(c.Cmdline) >= MaxCmdlineBytes:
		return fmt.Errorf("%w: cmdline is %d bytes, the limit is %d (Xen's MAX_GUEST_CMDLINE): shorten it", ErrBadConfig, len(c.Cmdline), MaxCmdlineBytes-1)
	case c.MaxPorts > hypercall.Evtchn2lNrChannels-1:
		return fmt.Errorf("%w: max event channels %d above the 2-level ABI's %d", ErrBadConfig, c.MaxPorts, hypercall.Evtchn2lNrChannels-1)
	case c.MaxGrantFrames < 0 || c.MaxGrantFrames > 1024 || c.MaxMaptrack < 0 || c.MaxMaptrack > 1<<20:
		return fmt.Errorf("%w: max_grant_frames %d / maptrack %d out of range", ErrBadConfig, c.MaxGrantFrames, c.MaxMaptrack)
	}
	return nil
}

func (d *Domain) buildVM(sys *hypervisor.System, k *Kernel) error {
	vm, err := sys.NewVM()
	if err != nil {
		return err
	}
	d.vm, d.mem = vm, vm.Mem
	if _, err := vm.Mem.AddRegion(fmt.Sprintf("d%d-ram", d.ID), 0, d.ramBytes); err != nil {
		return err
	}
	if _, err := vm.Mem.AddRegion(fmt.Sprintf("d%d-special", d.ID), SpecialBase, SpecialEnd-SpecialBase); err != nil {
		return err
	}
	if err := vm.TrapMSRs(trappedMSRs); err != nil {
		return err
	}
	for _, s := range k.Segments {
		// RAM is a fresh memfd, so bytes past the file data (.bss) are zero.
		if err := vm.Mem.WriteAt(s.Data, s.Paddr); err != nil {
			return fmt.Errorf("load segment at %#x: %w", s.Paddr, err)
		}
	}
	var module *hypercall.HvmModlistEntry
	if len(d.cfg.Ramdisk) > 0 {
		_, end := k.Extent()
		at := (end + PageSize - 1) &^ (PageSize - 1)
		size := uint64(len(d.cfg.Ramdisk))
		if at > d.ramBytes || size > d.ramBytes-at {
			return fmt.Errorf("%w: the ramdisk (%d KiB) does not fit in memory after the kernel (which ends at %d KiB of %d MiB): raise memory",
				ErrBadConfig, size>>10, at>>10, d.ramBytes>>20)
		}
		if err := vm.Mem.WriteAt(d.cfg.Ramdisk, at); err != nil {
			return err
		}
		module = &hypercall.HvmModlistEntry{Paddr: at, Size: size}
	}
	if err := d.writeStartInfo(module); err != nil {
		return err
	}
	if err := d.setupStore(); err != nil {
		return err
	}
	d.writeWallclock()
	for i := 0; i < d.cfg.VCPUs; i++ {
		v, err := newVCPU(d, i)
		if err != nil {
			return err
		}
		d.vcpus = append(d.vcpus, v)
	}
	return d.vcpus[0].enterPVH(k.Entry32)
}

// setupStore prepares what a guest needs to reach xenstore and its
// primary console, as libxl's domain builder does: each ring page, a port
// allocated in the guest toward dom0, both published as HVM params, and
// the reserved grant refs (1 xenstore, 0 console) giving dom0 the pages.
// The toolstack connects xenstored and the console back end to them.
func (d *Domain) setupStore() error {
	rings := []struct {
		what       string
		gpa        uint64
		pfn, event uint32
		ref        uint32
	}{
		{"xenstore", StoreGPA, hypercall.HvmParamStorePfn, hypercall.HvmParamStoreEvtchn, hypercall.GnttabReservedXenstore},
		{"console", ConsoleGPA, hypercall.HvmParamConsolePfn, hypercall.HvmParamConsoleEvtchn, hypercall.GnttabReservedConsole},
	}
	for _, r := range rings {
		// The builder acts for dom0 (the domain is not in the registry yet).
		port, err := d.EvtchnAllocUnbound(d.ID, 0)
		if err != nil {
			return fmt.Errorf("%s port: %w", r.what, err)
		}
		d.params[r.pfn] = r.gpa / PageSize
		d.params[r.event] = uint64(port)
		if err := d.GrantAccess(r.ref, 0, r.gpa/PageSize, false); err != nil {
			return err
		}
	}
	return nil
}

// ConsolePort returns the guest's primary console port and ring frame.
func (d *Domain) ConsolePort() (port uint32, gfn uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return uint32(d.params[hypercall.HvmParamConsoleEvtchn]), d.params[hypercall.HvmParamConsolePfn]
}

// StorePort returns the guest's xenstore port and ring frame.
func (d *Domain) StorePort() (port uint32, gfn uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return uint32(d.params[hypercall.HvmParamStoreEvtchn]), d.params[hypercall.HvmParamStorePfn]
}

// writeStartInfo writes hvm_start_info, the memory map, the module list
// (module: the ramdisk, or nil) and the command line into the special
// pages (the PVH boot protocol, start_info.h).
func (d *Domain) writeStartInfo(module *hypercall.HvmModlistEntry) error {
	var mm []byte
	for _, e := range d.memmap {
		mm, _ = hypercall.Append(mm, &hypercall.HvmMemmapTableEntry{Addr: e.Addr, Size: e.Size, Type: e.Type})
	}
	if err := d.mem.WriteAt(mm, MemmapGPA); err != nil {
		return err
	}
	si := hypercall.HvmStartInfo{
		Magic:         hypercall.XenHvmStartMagicValue,
		Version:       1,
		MemmapPaddr:   MemmapGPA,
		MemmapEntries: uint32(len(d.memmap)),
	}
	if d.cfg.Cmdline != "" {
		if err := d.mem.WriteAt(append([]byte(d.cfg.Cmdline), 0), CmdlineGPA); err != nil {
			return err
		}
		si.CmdlinePaddr = CmdlineGPA
	}
	if module != nil {
		b, _ := hypercall.Append(nil, module)
		if err := d.mem.WriteAt(b, ModlistGPA); err != nil {
			return err
		}
		si.NrModules, si.ModlistPaddr = 1, ModlistGPA
	}
	b, err := hypercall.Append(nil, &si)
	if err != nil {
		return err
	}
	return d.mem.WriteAt(b, StartInfoGPA)
}

// State returns the domain's state and, for Shutdown and Crashed, the
// SHUTDOWN_* reason and a description.
func (d *Domain) State() (State, uint32, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state, d.reason, d.crashDetail
}

func (d *Domain) isRunning() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state == Running
}

// transitionLocked applies ev under d.mu and wakes waiters.
func (d *Domain) transitionLocked(ev Event) error {
	s, err := next(d.state, ev)
	if err != nil {
		return fmt.Errorf("domain %d (%s): %w", d.ID, d.Name, err)
	}
	d.state = s
	d.cond.Broadcast()
	return nil
}

// Unpause starts (or resumes) the domain's vCPUs that are up.
func (d *Domain) Unpause() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.transitionLocked(EvUnpause); err != nil {
		return err
	}
	for _, v := range d.vcpus {
		if v.state == vcpuUp {
			d.startLocked(v)
		}
	}
	return nil
}

// startLocked starts v's goroutine if it has none; d.mu is held.
func (d *Domain) startLocked(v *vcpu) {
	if v.started || v.hv == nil {
		return
	}
	v.started = true
	d.running++
	go v.run()
}

// Pause stops the domain's vCPUs at their next exit; their threads wait
// until Unpause.
func (d *Domain) Pause() error {
	d.mu.Lock()
	err := d.transitionLocked(EvPause)
	d.mu.Unlock()
	if err != nil {
		return err
	}
	d.kickAll()
	return nil
}

// guestShutdown records SCHEDOP_shutdown (or a crash) and makes every vCPU
// stop at its next exit.
func (d *Domain) guestShutdown(reason uint32, detail string) error {
	ev := EvShutdown
	if reason == hypercall.ShutdownCrash || reason == hypercall.ShutdownWatchdog {
		ev = EvCrash
	}
	d.mu.Lock()
	err := d.transitionLocked(ev)
	if err == nil {
		d.reason, d.crashDetail = reason, detail
	}
	d.mu.Unlock()
	if err != nil {
		return err
	}
	d.log.Info("domain shut down", "reason", ShutdownReasonName(reason), "detail", detail)
	d.stopTimers()
	d.kickAll()
	return nil
}

func (d *Domain) kickAll() {
	for _, v := range d.vcpus {
		v.notify()
	}
}

func (d *Domain) stopTimers() {
	for _, v := range d.vcpus {
		v.timers.stop()
	}
}

// Wait blocks until the domain is no longer running or paused (it shut
// down, crashed or was destroyed) and every vCPU thread has returned.
func (d *Domain) Wait() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.state == Running || d.state == Paused || d.running > 0 {
		d.cond.Wait()
	}
	return d.state
}

// Destroy stops every vCPU, closes the domain's event channels (peers'
// interdomain ports become unbound, as in Xen), removes it from the
// registry and releases its memory. Safe in any state and more than once.
func (d *Domain) Destroy() {
	if d.ID == 0 {
		return
	}
	d.dying.Store(true)
	d.mu.Lock()
	if d.state != Dead {
		d.transitionLocked(EvDestroy)
	}
	d.mu.Unlock()
	d.stopTimers()
	d.kickAll()
	d.mu.Lock()
	for d.running > 0 {
		d.cond.Wait()
	}
	d.mu.Unlock()
	d.releaseMappings()
	d.closeAll()
	if d.reg != nil {
		d.reg.remove(d)
	}
	d.release()
}

func (d *Domain) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	d.gnt.release()
	for _, v := range d.vcpus {
		if v.hv != nil {
			v.hv.Close()
		}
	}
	if d.vm != nil {
		d.vm.Close()
	} else if d.mem != nil {
		d.mem.Close()
	}
}

// Stats are a domain's exit and hypercall counters.
type Stats struct {
	Exits      map[string]uint64 // by KVM exit reason name (and EINTR), summed over vCPUs
	TotalExits uint64            // every return from KVM_RUN, EINTR included
	Hypercalls map[string]uint64 // by hypercall name (or number)
}

// Stats returns the domain's counters so far.
func (d *Domain) Stats() Stats {
	s := Stats{Exits: map[string]uint64{}, Hypercalls: map[string]uint64{}}
	for _, v := range d.vcpus {
		if v.hv == nil {
			continue
		}
		counts, eintr := v.hv.ExitCounts()
		for r, n := range counts {
			if n > 0 {
				s.Exits[hypervisor.ExitReasonName(uint32(r))] += n
				s.TotalExits += n
			}
		}
		if eintr > 0 {
			// A kicked KVM_RUN returns to user space like any exit.
			s.Exits["EINTR"] += eintr
			s.TotalExits += eintr
		}
	}
	if d.dispatcher == nil {
		return s
	}
	for nr, n := range d.dispatcher.Counts() {
		if n == 0 {
			continue
		}
		name := fmt.Sprint(nr)
		if nr < hypercall.NumHypercalls && hypercall.Table[nr] != nil {
			name = hypercall.Table[nr].Name
		}
		s.Hypercalls[name] = n
	}
	return s
}

// ShutdownReasonName names a SHUTDOWN_* reason as xl does.
func ShutdownReasonName(r uint32) string {
	switch r {
	case hypercall.ShutdownPoweroff:
		return "poweroff"
	case hypercall.ShutdownReboot:
		return "reboot"
	case hypercall.ShutdownSuspend:
		return "suspend"
	case hypercall.ShutdownCrash:
		return "crash"
	case hypercall.ShutdownWatchdog:
		return "watchdog"
	case hypercall.ShutdownSoftReset:
		return "soft_reset"
	}
	return fmt.Sprintf("reason %d", r)
}

// SetCallbackVia sets HVM_PARAM_CALLBACK_IRQ. Type 2 (vector) delivers
// upcalls by injecting the vector without the LAPIC; 0 turns delivery
// off; a GSI other than 0 is recorded without delivery (Linux writes a
// dummy GSI 1 when it uses per-vCPU vectors). PCI INTx needs a platform
// PCI device Xenolith does not have: -EINVAL, as are vectors below 0x10
// and unknown types.
func (d *Domain) SetCallbackVia(via uint64) error {
	switch typ := via >> 56; typ {
	case hypercall.HvmParamCallbackTypeGsi:
		d.callback.Store(0)
	case hypercall.HvmParamCallbackTypeVector:
		vec := uint8(via)
		if vec < 0x10 || via&^(0xFF|hypercall.HvmParamCallbackIrqTypeMask) != 0 {
			return errno(hypercall.EINVAL, "callback vector %#x", via)
		}
		d.callback.Store(uint32(vec))
	default:
		return errno(hypercall.EINVAL, "callback type %d (only GSI 0/dummy and vector are supported)", typ)
	}
	d.mu.Lock()
	d.params[hypercall.HvmParamCallbackIrq] = via
	d.mu.Unlock()
	d.kickAll() // pending events may now be deliverable
	return nil
}

// StillRunning reports whether the domain still runs (long hypercall
// batches check it so destruction is not held up).
func (d *Domain) StillRunning() bool { return d.isRunning() }

// SetHVMParam sets a parameter for the guest to read (toolstack side:
// store and console pages and ports).
func (d *Domain) SetHVMParam(index uint32, value uint64) error {
	if index >= hypercall.HvmNrParams {
		return fmt.Errorf("domains: HVM param %d: %w", index, hypercall.EINVAL)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.params[index] = value
	return nil
}

// HVMParam returns a parameter's value.
func (d *Domain) HVMParam(index uint32) (uint64, error) {
	if index >= hypercall.HvmNrParams {
		return 0, errno(hypercall.EINVAL, "HVM param %d", index)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.params[index], nil
}
