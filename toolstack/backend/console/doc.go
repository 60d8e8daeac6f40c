// Package console is the back end of a domain's primary PV console: what
// Xen's xenconsoled does for xl console, as a dom0 service.
//
// Data flow:
//
//   - The domain builder (domains) puts a xencons_interface page in guest
//     RAM, allocates the guest's console port toward dom0, publishes both
//     as HVM params 17/18 and grants the page to dom0 at reserved grant ref
//     0. toolstack/dom0.ConnectConsole maps that grant and binds the port,
//     giving a Ring; the daemon passes it to New, one Backend per domain.
//   - Output: the guest's kernel writes bytes into out[] and advances
//     out_prod, then notifies. The serving goroutine (one per console,
//     backend.go) wakes on the kick, or every 50 ms in case a kick was
//     lost, copies the bytes out, advances out_cons and notifies back
//     (ring.go). Each chunk is appended to the log file (Config.LogPath),
//     to a history buffer (Config.HistoryBytes) and to every reader's
//     queue (readers.go). Readers (xl console sessions through the daemon's
//     API) get the history plus a channel of everything after it; a reader
//     more than 1 MiB behind is dropped, so the guest never waits on a
//     reader.
//   - Input: one client at a time holds the writer role (AcquireWriter);
//     Write copies its bytes into in[] as the guest consumes, advancing
//     in_prod and notifying.
//
// The guest owns out_prod and in_cons and may set them to anything: the
// back end keeps its own copies of out_cons and in_prod, checks every
// guest index before using it (out_prod at most 2048 ahead of out_cons;
// in_cons between the last value seen and in_prod), and copies bytes out
// of the page before looking at them. A bad index is a hostile or broken
// front end: one error log line with the domid, the back end stops (Done
// closes), and the daemon and other domains carry on. Nothing here
// panics on guest input or spins.
//
// The back end's lifecycle (xenbus.go) is Connected -> Closing -> Closed;
// the primary console has no xenbus handshake, and this package has no
// xenstore code: the daemon writes ~/console/* itself.
//
// Files follow STYLE.md item 7: xenbus.go (state), ring.go (the
// xencons_interface protocol), backend.go (goroutine, Write, Close), plus
// readers.go (history and reader fan-out); the atomic index words are
// toolstack/internal/sharedpage's. Tests drive a fake Ring with a fake guest (helpers_test.go).
package console
