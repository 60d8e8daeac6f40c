// Package dom0 connects the dom0 services (xenstored now; console and
// block back ends later) to domains through the domain model's dom0 API:
// grant mappings and dom0 event-channel ports, as Xen's dom0 daemons use
// xengnttab and xenevtchn. Nothing here touches KVM.
package dom0
