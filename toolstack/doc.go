// Package toolstack is Xenolith's dom0: the xl.cfg parser (xlcfg), the
// embedded runner behind `xenolith run` (runner), and later the daemon,
// its REST API, xenstored and the split-driver back ends. It uses the
// domain model's Go API and never touches KVM.
package toolstack
