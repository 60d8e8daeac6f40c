// Package tests holds Xenolith's end-to-end tests, which drive the real
// bin/xenolith binary against real guests on real KVM, and the benchmark
// harness. Build first with `make all`; the tests fail when /dev/kvm is
// missing unless XENOLITH_SKIP_KVM=1.
package tests
