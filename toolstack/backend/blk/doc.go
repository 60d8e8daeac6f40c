// Package blk is the PV block back end (blkback): it serves a guest's
// blkfront over the blkif shared ring (io/blkif.h, digest 9.3-9.4) from a
// raw image file or block device.
//
// Layout (STYLE.md item 7):
//
//   - ring.go: the back end's view of the sring page (req_cons,
//     rsp_prod_pvt), copying each request slot out before decoding it,
//     the push/notify rule on rsp_event and the final check on req_event
//     (digest 7.2), and the bound check on req_prod: a front end more than
//     a ring ahead, or running backwards, is ErrRingIndex and the device
//     stops (other devices and the daemon carry on). The atomic index
//     accesses are toolstack/internal/sharedpage's.
//   - decode.go: decoding a private copy of a slot and validating it
//     (ops, segment counts and bounds, sector range, read-only,
//     discard support, indirect limits). Refusals are BLKIF_RSP_ERROR or
//     BLKIF_RSP_EOPNOTSUPP responses with a rate-limited log line carrying
//     the domid, never a panic. FuzzDecodeRequest fuzzes it.
//   - backend.go: Backend, the serving loop. One goroutine owns the ring;
//     READ/WRITE/DISCARD run on a small worker pool (Config.Workers);
//     completions are collected in batches and pushed with one
//     notification when rsp_event asks. FLUSH_DISKCACHE waits for the
//     requests before it, then File.Sync, and is answered only after Sync
//     returns; WRITE_BARRIER does the same with a sync before and after.
//     DISCARD punches a hole (fallocate PUNCH_HOLE|KEEP_SIZE). Each
//     segment's grant is mapped through Grants for the duration of one
//     request (Dom0Grants in grants.go over domains.(*Domain).MapGrant).
//   - xenbus.go: the back-end xenbus state machine (one transition
//     function, next; ErrBadTransition for other edges) and the handshake
//     under /local/domain/0/backend/vbd/<domid>/<devid>: publish features,
//     sectors, sector-size, info and mode, go InitWait; when the front end
//     is Initialised read ring-ref, event-channel and protocol
//     (x86_64-abi only), Connect, go Connected; follow the front end to
//     Closing and Closed.
//
// Wiring in the daemon, per disk (xlcfg.DiskSpec):
//
//	f, sectors, discard, err := blk.OpenImage(spec.Target, spec.ReadOnly)
//	dev := &blk.Device{XS: xs, Connector: conn,
//		BackPath: blk.BackPath(domid, spec.DevID), FrontPath: blk.FrontPath(domid, spec.DevID),
//		Config: blk.Config{Domid: domid, DevID: spec.DevID, File: f, Sectors: sectors,
//			ReadOnly: spec.ReadOnly, Discard: discard && spec.Discard,
//			Grants: blk.Dom0Grants{Dom0: reg.Dom0()}}}
//	token, err := dev.Start()
//	// then on each xenstore event with that token, and when dev.Stopped()
//	// fires: done, err := dev.Handle(); on detach: dev.Close().
//
// conn implements Connector with reg.Dom0().MapGrant(domid, ringRef,
// false) and EvtchnBindInterdomain / Dom0Handle / EvtchnSend /
// EvtchnClose, as toolstack/dom0's sharedRing does for the console. The
// toolstack writes the front-end directory (backend, backend-id, state 1,
// virtual-device, device-type) and removes both directories after Closed.
package blk
