package api

import "encoding/json"

// CreateRequest is the body of POST /v1/domains.
type CreateRequest struct {
	// Config is the xl.cfg text (at most MaxConfigBytes).
	Config string `json:"config"`
	// File is the config's path: error messages name it, and relative
	// kernel paths are taken relative to its directory, so it should be
	// absolute. Empty: errors say "config" and paths must be absolute.
	File string `json:"file,omitempty"`
	// Overrides are xl create's KEY=VALUE arguments, applied in order
	// after the file (`memory=64`, `name="vm2"`).
	Overrides []string `json:"overrides,omitempty"`
	// Paused leaves the new domain paused (xl create -p).
	Paused bool `json:"paused,omitempty"`
}

// CreateResponse is the 201 answer to POST /v1/domains.
type CreateResponse struct {
	DomID    uint16   `json:"domid"`
	Name     string   `json:"name"`
	Warnings []string `json:"warnings,omitempty"` // "FILE:LINE: text" about accepted settings
}

// Domain states in DomainInfo.Status.
const (
	StatusRunning  = "running"
	StatusPaused   = "paused"
	StatusShutdown = "shutdown" // shut down and kept (preserve, rename-restart, suspend)
	StatusCrashed  = "crashed"  // crashed and kept
	StatusDying    = "dying"    // being destroyed
)

// DomainInfo is one domain in GET /v1/domains.
type DomainInfo struct {
	DomID uint16 `json:"domid"`
	Name  string `json:"name"`
	UUID  string `json:"uuid"`
	// State is xl list's six flags: r running, b blocked, p paused,
	// s shutdown, then the shutdown reason (- poweroff, r reboot,
	// s suspend, c crash, w watchdog, S soft reset) and d dying; "-"
	// where a flag is not set, e.g. "r-----", "--p---", "---sc-".
	State string `json:"state"`
	// Status is the same as one word: running, paused, shutdown,
	// crashed or dying.
	Status string `json:"status"`
	// ShutdownReason is set in shutdown and crashed: poweroff, reboot,
	// suspend, crash, watchdog or soft_reset.
	ShutdownReason string `json:"shutdown_reason,omitempty"`
	// CrashDetail says how a crashed domain crashed, if known.
	CrashDetail string  `json:"crash_detail,omitempty"`
	MemoryMiB   uint64  `json:"memory_mib"`
	VCPUs       int     `json:"vcpus"`      // vCPUs online
	CPUTimeS    float64 `json:"cpu_time_s"` // seconds of host CPU used (0 where not measured yet)
	UptimeS     float64 `json:"uptime_s"`   // seconds since the domain was built
}

// DomainDetail is GET /v1/domains/{id|name}: the list entry plus the
// configuration it was built from.
type DomainDetail struct {
	DomainInfo
	// Config is the decoded xl.cfg as JSON (xlcfg.DomainConfig), null for
	// Domain-0.
	Config json.RawMessage `json:"config"`
	// ConfigFile is the CreateRequest's File.
	ConfigFile string `json:"config_file,omitempty"`
	// Restarts counts the restarts (on_* = restart) behind this domain.
	Restarts int `json:"restarts"`
}

// ShutdownRequest is the body of POST .../shutdown and .../reboot (an
// empty body means the defaults).
type ShutdownRequest struct {
	// Wait blocks until the domain has shut down and its on_* action
	// has been applied (destroyed, preserved, or restarted with a new
	// domid), or until the timeout.
	Wait bool `json:"wait,omitempty"`
	// TimeoutS bounds Wait, in seconds (0: DefaultShutdownTimeoutS).
	// A guest that does not react in time is left as it is and the
	// answer is a 504.
	TimeoutS float64 `json:"timeout_s,omitempty"`
}

// DefaultShutdownTimeoutS is ShutdownRequest.TimeoutS when unset.
const DefaultShutdownTimeoutS = 60

// ShutdownResult is the answer to shutdown and reboot. Without Wait it
// only says the request was written.
type ShutdownResult struct {
	DomID uint16 `json:"domid"`
	Name  string `json:"name"`
	// Outcome (with Wait): "destroyed", "preserved" or "restarted";
	// empty without Wait.
	Outcome string `json:"outcome,omitempty"`
	// Reason is how the guest ended (poweroff, reboot, crash...), with Wait.
	Reason string `json:"reason,omitempty"`
	// NewDomID is the restarted domain's domid, for Outcome "restarted".
	NewDomID uint16 `json:"new_domid,omitempty"`
}

// RenameRequest is the body of POST .../rename.
type RenameRequest struct {
	Name string `json:"name"`
}

// VCPUInfo is one vCPU in GET .../vcpus.
type VCPUInfo struct {
	VCPU    int  `json:"vcpu"`
	Online  bool `json:"online"`
	Running bool `json:"running"`
	Blocked bool `json:"blocked"`
	Paused  bool `json:"paused"`
	// CPU is the host CPU it last ran on, -1 when not known.
	CPU          int     `json:"cpu"`
	TimeS        float64 `json:"time_s"`
	Affinity     string  `json:"affinity"`      // hard affinity, xl's syntax ("all", "0-3,5")
	SoftAffinity string  `json:"soft_affinity"` // soft affinity
}

// VCPUList is GET /v1/domains/{id|name}/vcpus.
type VCPUList struct {
	DomID uint16     `json:"domid"`
	Name  string     `json:"name"`
	VCPUs []VCPUInfo `json:"vcpus"`
}

// HostInfo is GET /v1/info: what xl info prints.
type HostInfo struct {
	Host           string  `json:"host"`
	Release        string  `json:"release"`
	Version        string  `json:"version"`
	Machine        string  `json:"machine"`
	NrCPUs         int     `json:"nr_cpus"`
	MaxCPUID       int     `json:"max_cpu_id"`
	NrNodes        int     `json:"nr_nodes"`
	CPUMHz         string  `json:"cpu_mhz"`
	VirtCaps       string  `json:"virt_caps"`
	TotalMemMiB    uint64  `json:"total_memory_mib"`
	FreeMemMiB     uint64  `json:"free_memory_mib"`
	XenMajor       int     `json:"xen_major"`
	XenMinor       int     `json:"xen_minor"`
	XenExtra       string  `json:"xen_extra"`
	XenVersion     string  `json:"xen_version"`
	XenCaps        string  `json:"xen_caps"`
	XenScheduler   string  `json:"xen_scheduler"`
	XenPagesize    int     `json:"xen_pagesize"`
	XenChangeset   string  `json:"xen_changeset"`
	XenCommandline string  `json:"xen_commandline"`
	CCCompiler     string  `json:"cc_compiler"`
	Domains        int     `json:"domains"` // domains listed, Domain-0 included
	DaemonPID      int     `json:"daemon_pid"`
	UptimeS        float64 `json:"uptime_s"` // host uptime
}

// Dmesg is GET /v1/dmesg: the daemon's recent log lines, oldest first.
type Dmesg struct {
	Lines []string `json:"lines"`
}

// DiskAttachRequest is the body of POST /v1/domains/{ref}/disks (xl
// block-attach).
type DiskAttachRequest struct {
	// Spec is one disk in xl-disk-configuration(5) syntax, e.g.
	// "/images/data.img,raw,xvdb,rw" or "format=raw, vdev=xvdb,
	// access=ro, target=/images/data.img". The target must be an
	// absolute path (the daemon has no working directory of yours).
	Spec string `json:"spec"`
}

// DiskInfo is one vbd in GET /v1/domains/{ref}/disks: what xl block-list
// prints, plus the disk's configuration. State, EvtchnPort and RingRef
// are the front end's xenstore keys (the guest's values): -1 when
// missing or not a number.
type DiskInfo struct {
	VDev        string `json:"vdev"`   // xvdb
	DevID       uint32 `json:"devid"`  // virtual-device number, 51728 for xvdb
	Target      string `json:"target"` // the image or block device
	Access      string `json:"access"` // "rw" or "ro"
	DeviceType  string `json:"device_type"`
	BackendID   uint16 `json:"backend_id"`  // the back end's domid (0)
	FrontendID  uint16 `json:"frontend_id"` // the guest's domid: xl's "handle" column
	State       int    `json:"state"`       // front end's XenbusState: 1 Initialising ... 4 Connected, 6 Closed
	BackState   int    `json:"backend_state"`
	EvtchnPort  int    `json:"evtchn"`
	RingRef     int    `json:"ring_ref"`
	BackendPath string `json:"backend_path"`
}

// DiskDetachResult is the answer to DELETE /v1/domains/{ref}/disks/{vdev}
// (xl block-detach).
type DiskDetachResult struct {
	// Forced: the front end did not close within the detach timeout
	// (10 s), so the back end disconnected it anyway, as libxl's forced
	// removal does. The guest may see I/O errors on the disk.
	Forced bool `json:"forced"`
}
