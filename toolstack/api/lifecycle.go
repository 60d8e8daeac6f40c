package api

import "context"

// Lifecycle is what the API server asks of the daemon: every domain
// operation, one method per route. ref is a domid in decimal or a name
// (xl's find_domain: all digits means a domid); an unknown ref is a 404
// (NotFound(ref)). Each method lists the domain states it allows; any
// other state is a 409 (Conflict). States are DomainInfo.Status values;
// Domain-0 is always "running" and only List, Get, VCPUs and Info
// accept it.
type Lifecycle interface {
	// Create parses, checks and builds a domain, starts its console back
	// end and, unless req.Paused, unpauses it. 400 for a bad config (the
	// message carries file:line: key), 409 if the name is taken or the
	// daemon is stopping.
	Create(ctx context.Context, req CreateRequest) (CreateResponse, error)
	// List returns every domain, Domain-0 first, then by domid.
	List(ctx context.Context) ([]DomainInfo, error)
	// Get returns one domain with its config. Any state.
	Get(ctx context.Context, ref string) (DomainDetail, error)
	// Destroy tears the domain down at once (and stops a pending
	// restart). States: running, paused, shutdown, crashed; dying is a
	// 409 only if the teardown does not finish.
	Destroy(ctx context.Context, ref string) error
	// Shutdown asks the guest to power off or reboot (reason "poweroff"
	// or "reboot") by writing control/shutdown in xenstore, as xl does;
	// with req.Wait it returns once the on_* action has been applied,
	// or 504 if the guest did not shut down within the timeout (it is
	// left running). States: running, paused.
	Shutdown(ctx context.Context, ref, reason string, req ShutdownRequest) (ShutdownResult, error)
	// Pause stops the domain's vCPUs. States: running.
	Pause(ctx context.Context, ref string) error
	// Unpause resumes them. States: paused.
	Unpause(ctx context.Context, ref string) error
	// Rename gives the domain a new name (unique: 409 if taken; 400 if
	// invalid). States: running, paused, shutdown, crashed.
	Rename(ctx context.Context, ref, name string) error
	// VCPUs lists the domain's vCPUs. Any state but dying.
	VCPUs(ctx context.Context, ref string) (VCPUList, error)
	// Console attaches to the domain's console: output history and live
	// output, and with write the right to send input (409 if another
	// session writes or the console takes no input). States: running,
	// paused, shutdown, crashed.
	Console(ctx context.Context, ref string, write bool) (ConsoleSession, error)
	// AttachDisk attaches a disk while the guest runs (xl block-attach):
	// it publishes the vbd in xenstore and starts its back end; the
	// guest's front end finds it by watching device/vbd. 400 for a bad
	// spec (the message names what to fix) or an image that cannot be
	// opened, 409 if the vdev is in use. States: running, paused.
	AttachDisk(ctx context.Context, ref string, req DiskAttachRequest) (DiskInfo, error)
	// Disks lists the domain's vbds in devid order (xl block-list).
	// States: running, paused, shutdown, crashed.
	Disks(ctx context.Context, ref string) ([]DiskInfo, error)
	// DetachDisk removes a vbd named by vdev (xvdb) or devid (51728)
	// (xl block-detach): the back end goes Closing and waits for the
	// front end to close, up to 10 s, then disconnects it anyway
	// (DiskDetachResult.Forced). 404 if no such disk. States: running,
	// paused, shutdown, crashed.
	DetachDisk(ctx context.Context, ref, vdev string) (DiskDetachResult, error)
	// Info describes the host (xl info).
	Info(ctx context.Context) (HostInfo, error)
	// Dmesg returns the daemon's recent log lines.
	Dmesg(ctx context.Context) (Dmesg, error)
}

// ConsoleSession is one attachment to a domain console.
type ConsoleSession interface {
	// Output returns the output kept so far and a channel carrying all
	// later output in order; the channel is closed when the console ends
	// (the domain is destroyed) or the reader falls too far behind.
	// Called once.
	Output() (history []byte, live <-chan []byte)
	// Input sends bytes to the guest; an error for a read-only session.
	Input(ctx context.Context, p []byte) (int, error)
	// Close detaches: releases the writer and stops the output.
	Close() error
}

// Shutdown reasons for Lifecycle.Shutdown, the values xl writes to
// control/shutdown.
const (
	ReasonPoweroff = "poweroff"
	ReasonReboot   = "reboot"
)
