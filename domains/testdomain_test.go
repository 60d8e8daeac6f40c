package domains

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/xenolith/xenolith/hypervisor"
)

// testDomain adds a running domain with vcpus vCPUs and 4 MiB of test
// memory (no KVM) to r. Its vCPUs have no KVM vCPU: hypercalls are made by
// calling the Caller methods directly, with paging off (gva = gpa).
func testDomain(t testing.TB, r *Registry, vcpus int, maxPorts uint32) *Domain {
	t.Helper()
	return testDomainWith(t, r, Config{VCPUs: vcpus, MaxPorts: maxPorts})
}

// testDomainWith is testDomain with more of the config chosen.
func testDomainWith(t testing.TB, r *Registry, cfg Config) *Domain {
	t.Helper()
	id, err := r.reserve()
	if err != nil {
		t.Fatal(err)
	}
	vcpus := max(cfg.VCPUs, 1)
	cfg.Name, cfg.MemoryMiB, cfg.VCPUs, cfg.Log = fmt.Sprint("t", id), 4, vcpus, slog.New(slog.DiscardHandler)
	d, err := newDomain(r, id, cfg, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	d.mem = hypervisor.NewDetachedMemory()
	if _, err := d.mem.AddRegion("ram", 0, d.ramBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := d.mem.AddRegion("special", SpecialBase, SpecialEnd-SpecialBase); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < vcpus; i++ {
		v, err := newVCPU(d, i)
		if err != nil {
			t.Fatal(err)
		}
		d.vcpus = append(d.vcpus, v)
	}
	d.vcpus[0].state = vcpuUp
	d.state = Running
	r.mu.Lock()
	r.doms[id] = d
	r.mu.Unlock()
	t.Cleanup(d.Destroy)
	return d
}

// sharedWord reads a u64 of d's shared_info.
func sharedWord(t testing.TB, d *Domain, off uint64) uint64 {
	t.Helper()
	w, err := d.mem.Load64(d.sharedInfo.Load() + off)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func pendingBit(t testing.TB, d *Domain, port uint32) bool {
	return sharedWord(t, d, siEvtchnPending+8*uint64(port/64))&(1<<(port%64)) != 0
}

func setMask(t testing.TB, d *Domain, port uint32) {
	if _, err := d.mem.Or64(d.sharedInfo.Load()+siEvtchnMask+8*uint64(port/64), 1<<(port%64)); err != nil {
		t.Fatal(err)
	}
}

// resetUpcall clears a vCPU's upcall flag and selector, as the guest's
// demux loop would.
func resetUpcall(t testing.TB, v *vcpu) {
	vi := v.vcpuInfo.Load()
	v.d.mem.And64(vi, ^uint64(0xFF))
	v.d.mem.And64(vi+viPendingSel, 0)
}

// newTestRegistry is a registry without a host, closed when t ends.
func newTestRegistry(t testing.TB) *Registry {
	r := NewRegistry(nil, nil)
	t.Cleanup(r.Close)
	return r
}
