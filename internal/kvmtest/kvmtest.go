// Package kvmtest decides what a test that needs /dev/kvm does when the
// host has none: fail, unless XENOLITH_SKIP_KVM=1 asks to skip explicitly.
package kvmtest

import (
	"os"
	"testing"

	"github.com/xenolith/xenolith/hypervisor"
)

// Require fails t (or skips it when XENOLITH_SKIP_KVM=1) without /dev/kvm.
func Require(t testing.TB) {
	t.Helper()
	if hypervisor.Available() {
		return
	}
	if os.Getenv("XENOLITH_SKIP_KVM") == "1" {
		t.Skip("no /dev/kvm and XENOLITH_SKIP_KVM=1")
	}
	t.Fatalf("this test boots guests and needs %s (set XENOLITH_SKIP_KVM=1 to skip KVM tests explicitly)", hypervisor.DevKVM)
}
