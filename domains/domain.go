package domains

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

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
	Cmdline   string
	// Console receives the guest's console output. Writes come from vCPU
	// threads; Domain serialises them.
	Console io.Writer
	Log     *slog.Logger
}

// Errors for configurations the builder refuses.
var (
	ErrBadConfig = errors.New("domains: invalid domain configuration")
)

// Domain is one guest: its VM, memory layout, vCPUs and lifecycle state.
type Domain struct {
	ID   uint16
	Name string
	UUID [16]byte

	cfg        Config
	log        *slog.Logger
	vm         *hypervisor.VM
	vcpus      []*vcpu
	ramBytes   uint64
	memmap     []hypercall.E820Entry
	dispatcher *hypercall.Dispatcher

	consoleMu sync.Mutex // serialises cfg.Console writes

	mu          sync.Mutex // guards the fields below
	cond        *sync.Cond // broadcast on every state change
	state       State
	reason      uint32 // SHUTDOWN_* reason in Shutdown and Crashed
	crashDetail string // how it crashed, for the user
	running     int    // vCPU goroutines still in Run
	closed      bool
}

// Build creates domain id from cfg: checks the config and the kernel, sets
// up memory (RAM from gpa 0 plus the special pages), loads the kernel,
// writes hvm_start_info and creates the vCPUs in PVH entry state. The
// domain starts Paused; Unpause runs it.
func Build(h *Host, id uint16, cfg Config) (*Domain, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
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
	d := &Domain{
		ID: id, Name: cfg.Name, UUID: cfg.UUID, cfg: cfg,
		log:        cfg.Log.With("domid", id, "domain", cfg.Name),
		ramBytes:   ram,
		dispatcher: hypercall.NewDispatcher(cfg.Log.With("domid", id)),
	}
	d.cond = sync.NewCond(&d.mu)
	d.memmap = []hypercall.E820Entry{
		{Addr: 0, Size: ram, Type: hypercall.XenHvmMemmapTypeRam},
		{Addr: SpecialBase, Size: SpecialEnd - SpecialBase, Type: hypercall.XenHvmMemmapTypeReserved},
	}
	if err := d.build(h.sys, k); err != nil {
		d.release()
		return nil, fmt.Errorf("domain %s: %w", cfg.Name, err)
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
	case c.VCPUs != 1:
		return fmt.Errorf("%w: vcpus = %d: Xenolith runs 1 vCPU per domain until SMP support lands: set vcpus = 1", ErrBadConfig, c.VCPUs)
	case len(c.Cmdline) >= MaxCmdlineBytes:
		return fmt.Errorf("%w: cmdline is %d bytes, the limit is %d (Xen's MAX_GUEST_CMDLINE): shorten it", ErrBadConfig, len(c.Cmdline), MaxCmdlineBytes-1)
	}
	return nil
}

func (d *Domain) build(sys *hypervisor.System, k *Kernel) error {
	vm, err := sys.NewVM()
	if err != nil {
		return err
	}
	d.vm = vm
	if _, err := vm.Mem.AddRegion(fmt.Sprintf("d%d-ram", d.ID), 0, d.ramBytes); err != nil {
		return err
	}
	if _, err := vm.Mem.AddRegion(fmt.Sprintf("d%d-special", d.ID), SpecialBase, SpecialEnd-SpecialBase); err != nil {
		return err
	}
	if err := vm.TrapMSRs([]uint32{hypercall.HypercallMSR}); err != nil {
		return err
	}
	for _, s := range k.Segments {
		// RAM is a fresh memfd, so bytes past the file data (.bss) are zero.
		if err := vm.Mem.WriteAt(s.Data, s.Paddr); err != nil {
			return fmt.Errorf("load segment at %#x: %w", s.Paddr, err)
		}
	}
	if err := d.writeStartInfo(); err != nil {
		return err
	}
	for i := 0; i < d.cfg.VCPUs; i++ {
		v, err := newVCPU(d, i, k.Entry32)
		if err != nil {
			return err
		}
		d.vcpus = append(d.vcpus, v)
	}
	return nil
}

// writeStartInfo writes hvm_start_info, the memory map and the command
// line into the special pages (the PVH boot protocol, start_info.h).
func (d *Domain) writeStartInfo() error {
	mem := d.vm.Mem
	var mm []byte
	for _, e := range d.memmap {
		mm, _ = hypercall.Append(mm, &hypercall.HvmMemmapTableEntry{Addr: e.Addr, Size: e.Size, Type: e.Type})
	}
	if err := mem.WriteAt(mm, MemmapGPA); err != nil {
		return err
	}
	si := hypercall.HvmStartInfo{
		Magic:         hypercall.XenHvmStartMagicValue,
		Version:       1,
		MemmapPaddr:   MemmapGPA,
		MemmapEntries: uint32(len(d.memmap)),
	}
	if d.cfg.Cmdline != "" {
		if err := mem.WriteAt(append([]byte(d.cfg.Cmdline), 0), CmdlineGPA); err != nil {
			return err
		}
		si.CmdlinePaddr = CmdlineGPA
	}
	b, err := hypercall.Append(nil, &si)
	if err != nil {
		return err
	}
	return mem.WriteAt(b, StartInfoGPA)
}

// State returns the domain's state and, for Shutdown and Crashed, the
// SHUTDOWN_* reason and a description.
func (d *Domain) State() (State, uint32, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state, d.reason, d.crashDetail
}

// transition applies ev under d.mu and wakes waiters.
func (d *Domain) transitionLocked(ev Event) error {
	s, err := next(d.state, ev)
	if err != nil {
		return fmt.Errorf("domain %d (%s): %w", d.ID, d.Name, err)
	}
	d.state = s
	d.cond.Broadcast()
	return nil
}

// Unpause starts (or resumes) the domain's vCPUs.
func (d *Domain) Unpause() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	first := d.running == 0 && d.state == Paused
	if err := d.transitionLocked(EvUnpause); err != nil {
		return err
	}
	if first {
		for _, v := range d.vcpus {
			if !v.started {
				v.started = true
				d.running++
				go v.run()
			}
		}
	}
	return nil
}

// Pause stops the domain's vCPUs at their next exit and returns once the
// state is Paused; the vCPU threads wait until Unpause.
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
	d.kickAll()
	return nil
}

func (d *Domain) kickAll() {
	for _, v := range d.vcpus {
		v.hv.Kick()
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

// Done reports whether the domain has stopped for good: it shut down,
// crashed or was destroyed, and no vCPU thread runs.
func (d *Domain) Done() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state != Running && d.state != Paused && d.running == 0
}

// Destroy stops every vCPU and releases the VM and its memory. Safe to
// call in any state and more than once.
func (d *Domain) Destroy() {
	d.mu.Lock()
	if d.state != Dead {
		d.transitionLocked(EvDestroy)
	}
	d.mu.Unlock()
	d.kickAll()
	d.mu.Lock()
	for d.running > 0 {
		d.cond.Wait()
	}
	d.mu.Unlock()
	d.release()
}

func (d *Domain) release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	for _, v := range d.vcpus {
		v.hv.Close()
	}
	if d.vm != nil {
		d.vm.Close()
	}
}

// Stats are a domain's exit and hypercall counters.
type Stats struct {
	Exits      map[string]uint64 // by KVM exit reason name, summed over vCPUs
	TotalExits uint64
	Hypercalls map[string]uint64 // by hypercall name (or number)
}

// Stats returns the domain's counters so far.
func (d *Domain) Stats() Stats {
	s := Stats{Exits: map[string]uint64{}, Hypercalls: map[string]uint64{}}
	for _, v := range d.vcpus {
		counts, eintr := v.hv.ExitCounts()
		for r, n := range counts {
			if n > 0 {
				s.Exits[hypervisor.ExitReasonName(uint32(r))] += n
				s.TotalExits += n
			}
		}
		if eintr > 0 {
			s.Exits["EINTR"] += eintr
		}
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
