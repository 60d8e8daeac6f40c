package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// Create parses, checks and builds a domain, then unpauses it unless
// req.Paused. See api.Lifecycle.
func (d *Daemon) Create(ctx context.Context, req api.CreateRequest) (api.CreateResponse, error) {
	cfg, kernelAt, err := parseConfig(req)
	if err != nil {
		return api.CreateResponse{}, err
	}
	uuid := cfg.UUID
	if !cfg.HasUUID {
		if uuid, err = dom0.NewUUID(); err != nil {
			return api.CreateResponse{}, err
		}
	}
	rec, err := d.build(spec{cfg: cfg, file: req.File, kernelAt: kernelAt, uuid: uuid}, nil, req.Paused)
	if err != nil {
		return api.CreateResponse{}, err
	}
	return api.CreateResponse{DomID: rec.id, Name: rec.spec.cfg.Name, Warnings: cfg.Warnings}, nil
}

// parseConfig decodes a CreateRequest's config and overrides; every
// error is a 400 whose message carries xlcfg's file:line: key. kernelAt
// is where the kernel key was set ("FILE:LINE" or "command line").
func parseConfig(req api.CreateRequest) (cfg *xlcfg.DomainConfig, kernelAt string, err error) {
	name := req.File
	if name == "" {
		name = "config"
	}
	f, err := xlcfg.Parse(name, []byte(req.Config))
	if err != nil {
		return nil, "", api.BadRequest("config", "%v", err)
	}
	if cfg, err = xlcfg.Decode(f); err != nil {
		return nil, "", api.BadRequest("config", "%v", err)
	}
	for _, o := range req.Overrides {
		if err := cfg.Override(o); err != nil {
			return nil, "", api.BadRequest("overrides", "%v", err)
		}
	}
	if err := checkActions(cfg, f, req.Overrides); err != nil {
		return nil, "", err
	}
	kernelAt = settingAt(f, "kernel", req.Overrides)
	if k := cfg.KernelPath(); !filepath.IsAbs(k) {
		return nil, "", api.BadRequest("file", "%s: key \"kernel\": %q is relative and file is not an absolute path: send the config's absolute path in file, or make kernel absolute", kernelAt, cfg.Kernel)
	}
	return cfg, kernelAt, nil
}

// settingAt names where key was last set: "command line" for an
// override, else "FILE:LINE".
func settingAt(f *xlcfg.File, key string, overrides []string) string {
	if overridden(key, overrides) {
		return "command line"
	}
	if s, ok := f.Lookup(key); ok {
		return f.Name + ":" + strconv.Itoa(s.Line)
	}
	return f.Name
}

// checkActions refuses on_* actions the daemon cannot carry out, naming
// where the action was set.
func checkActions(cfg *xlcfg.DomainConfig, f *xlcfg.File, overrides []string) error {
	for _, a := range []struct {
		key string
		act xlcfg.Action
	}{{"on_poweroff", cfg.OnPoweroff}, {"on_reboot", cfg.OnReboot}, {"on_crash", cfg.OnCrash}} {
		switch a.act {
		case xlcfg.ActionDestroy, xlcfg.ActionRestart, xlcfg.ActionRenameRestart, xlcfg.ActionPreserve:
			continue
		}
		where, field := settingAt(f, a.key, overrides), "config"
		if overridden(a.key, overrides) {
			field = "overrides"
		}
		return api.BadRequest(field, "%s: key %q: %q is not supported (Xenolith has no core dumps or soft reset yet): use destroy, restart, rename-restart or preserve", where, a.key, a.act)
	}
	return nil
}

func overridden(key string, overrides []string) bool {
	for _, o := range overrides {
		k, _, ok := strings.Cut(o, "=")
		if ok && strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(k), "+")) == key {
			return true
		}
	}
	return false
}

// build creates a domain from sp: it reserves the name (prev may hold it:
// the domain being restarted), reads the kernel, builds the domain,
// introduces it to xenstored, starts its console and its watcher, and
// unpauses it unless paused.
func (d *Daemon) build(sp spec, prev *record, paused bool) (*record, error) {
	rec := newRecord(sp)
	name := sp.cfg.Name
	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		return nil, api.Conflict("%v: not creating domain %s", errStopping, name)
	}
	switch o := d.names[name]; {
	case o == nil:
		d.names[name] = rec // a placeholder: Building records are not listed
	case o == prev:
		// A restart: the old record keeps the name (and answers lookups)
		// until the new one is built.
	case o.phase == phaseBuilding:
		d.mu.Unlock()
		return nil, api.Conflict("domain name %q is in use by a domain being built", name)
	default:
		d.mu.Unlock()
		return nil, api.Conflict("domain name %q is in use by domain %d", name, o.id)
	}
	d.mu.Unlock()

	dom, err := d.buildDomain(rec)
	if err != nil {
		d.mu.Lock()
		if o := d.names[name]; o == rec || (o != nil && o == prev) {
			delete(d.names, name)
		}
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Lock()
	if d.stopping {
		d.mu.Unlock()
		d.teardown(rec, false)
		d.mu.Lock()
		if o := d.names[name]; o != nil && o == prev {
			delete(d.names, name)
		}
		d.mu.Unlock()
		return nil, api.Conflict("%v: not creating domain %s", errStopping, name)
	}
	rec.transitionLocked(evBuilt)
	d.byID[rec.id] = rec
	d.names[name] = rec
	d.watchers.Add(1) // under mu, so never after Stop's Wait began
	d.mu.Unlock()
	go d.watch(rec)
	d.log.Info("domain created", "domain", name, "domid", rec.id, "memory_mib", sp.cfg.MemoryMiB, "vcpus", sp.cfg.VCPUs, "paused", paused)
	if !paused {
		if err := dom.Unpause(); err != nil {
			d.log.Warn("unpause after create", "domain", name, "domid", rec.id, "err", err)
		}
	}
	return rec, nil
}

// buildDomain makes rec's domain: kernel, registry.Create, xenstore,
// console. On error nothing is left behind.
func (d *Daemon) buildDomain(rec *record) (*domains.Domain, error) {
	cfg := rec.spec.cfg
	image, err := dom0.ReadImage(cfg.KernelPath(), "kernel")
	if err != nil {
		return nil, api.BadRequest("config", "%s: key \"kernel\": %v", rec.spec.kernelAt, err)
	}
	var ramdisk []byte
	if cfg.Ramdisk != "" {
		if ramdisk, err = dom0.ReadImage(cfg.RamdiskPath(), "ramdisk"); err != nil {
			return nil, api.BadRequest("config", "key \"ramdisk\": %v", err)
		}
	}
	log := d.log.With("domain", cfg.Name)
	var logPath string
	if d.opts.ConsoleLogDir != "" {
		logPath = filepath.Join(d.opts.ConsoleLogDir, cfg.Name+".log")
	}
	// The hub learns its domid once the registry picked one; console_io
	// output before the first unpause cannot happen.
	h := newHub(0, logPath, d.opts.ConsoleHistoryBytes, log)
	dom, err := d.reg.Create(domains.Config{
		Name: cfg.Name, UUID: rec.spec.uuid, MemoryMiB: cfg.MemoryMiB, VCPUs: cfg.VCPUs,
		Kernel: image, Ramdisk: ramdisk, Cmdline: cfg.Cmdline, Console: h, Log: d.log,
	})
	if err != nil {
		h.close()
		if isUserError(err) {
			return nil, api.BadRequest("config", "%v", err)
		}
		return nil, fmt.Errorf("building domain %s: %w", cfg.Name, err)
	}
	h.domid = dom.ID
	h.log = log.With("domid", dom.ID)
	rec.d, rec.id, rec.built, rec.console = dom, dom.ID, time.Now(), h
	if err := dom0.IntroduceDomain(d.xs, d.reg, dom, cfg.VCPUs, cfg.MemoryMiB); err != nil {
		dom.Destroy()
		d.xs.DomainDied(dom.ID)
		h.close()
		return nil, fmt.Errorf("domain %s: xenstore: %w", cfg.Name, err)
	}
	if err := h.connect(d.reg, cfg.Name); err != nil {
		// The guest still prints through console_io; only the PV
		// console (and input) is missing.
		h.log.Warn("console back end not started", "err", err)
	}
	for _, spec := range cfg.Disks {
		disk, err := dom0.AttachDisk(d.xs, d.reg, dom, spec, cfg.DiskPath(spec), log.With("domid", dom.ID, "vdev", spec.VDev))
		if err != nil {
			for _, k := range rec.disks {
				k.Close()
			}
			rec.disks = nil
			dom.Destroy()
			d.xs.DomainDied(dom.ID)
			h.close()
			if spec.Line == 0 { // attached with block-attach, now a restart
				return nil, api.BadRequest("config", "key \"disk\" (attached with block-attach): %v", err)
			}
			return nil, api.BadRequest("config", "line %d: key \"disk\": %v", spec.Line, err)
		}
		rec.disks = append(rec.disks, disk)
	}
	return dom, nil
}

// isUserError tells a config or kernel problem (400) from a host one.
func isUserError(err error) bool {
	for _, e := range []error{
		domains.ErrBadConfig, domains.ErrNotELF, domains.ErrImageTooLarge, domains.ErrNotExecutable,
		domains.ErrBadMachine, domains.ErrNoPVHNote, domains.ErrBadNote, domains.ErrBadSegment,
		domains.ErrNoSegments, domains.ErrSegmentsOverlap, domains.ErrEntryOutsideImage,
		domains.ErrSegmentOutsideRAM, domains.ErrKernelTooBig,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// checkName applies xl.cfg's rules for name (xlcfg's decoder): 1 to
// xlcfg.MaxNameLen bytes of UTF-8, no '/' or control characters, not all
// digits (it would read as a domid), not "Domain-0".
func checkName(name string) error {
	switch {
	case name == "":
		return api.BadRequest("name", "name is empty")
	case len(name) > xlcfg.MaxNameLen:
		return api.BadRequest("name", "name is %d bytes, more than %d", len(name), xlcfg.MaxNameLen)
	case !utf8.ValidString(name):
		return api.BadRequest("name", "name is not valid UTF-8")
	case name == "Domain-0":
		return api.BadRequest("name", "Domain-0 is dom0's name")
	case strings.ContainsFunc(name, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
		return api.BadRequest("name", "name %q has a '/' or a control character", name)
	case strings.Trim(name, "0123456789") == "":
		return api.BadRequest("name", "name %q is all digits: it would read as a domid", name)
	}
	return nil
}
