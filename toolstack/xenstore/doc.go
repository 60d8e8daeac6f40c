// Package xenstore is Xenolith's xenstored: the dom0 key-value store that
// guests, back ends and the toolstack use to find each other (Xen's
// docs/misc/xenstore.txt, io/xs_wire.h). It is a dom0 service like any
// back end: it never touches KVM or guest memory directly, only the ring
// pages and event channels the toolstack hands it.
//
// Data flow:
//
//   - Dom0 tools (Debian's xenstore-read, -write, -ls, ..., and Xenolith's
//     own toolstack through Client) connect to a Unix socket (ServeUnix;
//     /run/xenolith/xenstored.sock, and /var/run/xenstored/socket where
//     Xen's tools look). Socket clients are dom0: privileged.
//   - When the toolstack builds a domain it calls WriteDomainNodes (the
//     home directory /local/domain/<domid> with xl's keys and permissions)
//     and Introduce with the guest's store ring page and event channel
//     (the Ring interface). A guest kernel then speaks the same wire
//     protocol over that ring (xenstore_domain_interface, served by one
//     goroutine per domain) as an unprivileged client. INTRODUCE messages
//     from dom0 tools reach Introduce through a Connector that maps
//     domid|gfn|port to a Ring.
//   - Split drivers meet here: front ends write ring-ref/event-channel/
//     state under their device directory, back ends watch them (WATCH /
//     WATCH_EVENT), both follow the xenbus state machine.
//   - When a domain dies the toolstack calls DomainDied: its home
//     directory goes, its connection goes, @releaseDomain fires.
//
// Semantics follow C xenstored (tools/xenstored in Xen 4.17+), message by
// message: payload parsing, permissions (first entry owner and default,
// dom0 bypasses, unprivileged creators own what they create, errors that
// do not leak whether a node exists), the order of children (insertion),
// watches (subtree, exact for removed descendants, relative paths reported
// relative, @introduceDomain/@releaseDomain, events only for a readable
// node or parent), transactions (optimistic: the generation of every node
// a transaction touched is recorded at first access and compared at
// commit, EAGAIN on any difference; watches fire at commit), quotas and
// their errnos (nodes and node size ENOSPC, watches E2BIG, transactions
// ENOSPC, permissions per node ENOSPC), DIRECTORY_PART (generation plus
// byte offset into the child list) and E2BIG for replies over
// XENSTORE_PAYLOAD_MAX. Where Xenolith differs it says so in the code:
//
//   - WATCH on an existing node the caller may not read is refused with
//     EACCES (C xenstored accepts it and never delivers events).
//   - Paths and decimal arguments are parsed strictly (C uses atoi):
//     garbage is EINVAL instead of 0.
//   - Node size (quota) counts the value and the permission strings, not
//     the child names, so a domain's directory can hold many children.
//   - A connection whose queue of undelivered watch events exceeds
//     Config.MaxQueuedEvents is dropped (socket closed; ring marked with
//     error XENSTORE_ERROR_COMM and no longer served).
//   - Nodes are not given to dom0 or removed when their owner dies (C's
//     XS_PERM_IGNORE and domain generation machinery); DomainDied removes
//     the home directory only.
//
// Locking: one mutex (Server.mu) guards the tree, the transactions, the
// watches and the domain table, as C xenstored is single-threaded; each
// connection's outgoing queue has its own lock, taken after Server.mu.
// Transports run one goroutine per connection (two for sockets: reader and
// writer), so a slow client never blocks the server.
package xenstore
