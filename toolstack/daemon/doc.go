// Package daemon is `xenolith daemon`: the long-running dom0 toolstack
// that owns every domain of the host and serves the REST API
// (toolstack/api) on a Unix socket.
//
// Data flow:
//
//	CLI -> api.Client -> Unix socket -> api.NewHandler -> Daemon (api.Lifecycle)
//	Daemon -> domains.Registry (build, pause, destroy)
//	       -> xenstore.Server (domain nodes, control/shutdown, @releaseDomain;
//	          also served on a socket for Xen's tools)
//	       -> console hub per domain (console_io output and the PV console
//	          back end's ring output; log file, history, API sessions)
//
// A Daemon owns one registry, one embedded xenstored, and a record per
// domain (record.go). Each record has a watcher goroutine (watch.go) that
// waits for the guest to end and applies on_poweroff, on_reboot or
// on_crash as xl does: destroy, restart (same config, new domid, same
// name), preserve (kept, listed as shut down or crashed, until destroyed)
// or rename-restart (the old domain is renamed "<name>-YYYYMMDDTHHMMZ" and
// preserved, a new one starts under the name). A record's phase (Live,
// Ended, Preserved, Dying, Gone) changes only in nextPhase.
//
// Locking: Daemon.mu guards the record tables (by domid, by name), every
// record's name, phase and successor, and the stopping flag. It is never
// held while building or destroying a domain or calling xenstored.
//
// Start takes an exclusive flock on "<socket>.lock", so a second daemon on
// the same socket refuses to start and names the first one's pid; Stop
// (SIGTERM or SIGINT in `xenolith daemon`) asks every guest to power off,
// waits up to Options.ShutdownTimeout and destroys what is left.
package daemon
