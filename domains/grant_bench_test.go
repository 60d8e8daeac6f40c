package domains

import (
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// BenchmarkGrantCopy measures GNTTABOP_copy's hypervisor side (pin, copy,
// unpin; no VM exit) for a 4 KiB gref->gmfn copy beside a host memcpy of
// the same size, in one run.
//
//	go test -run XXX -bench GrantCopy ./domains/
func BenchmarkGrantCopy(b *testing.B) {
	r := newTestRegistry(b)
	a, m := testDomain(b, r, 1, 0), testDomain(b, r, 1, 0)
	a.GrantAccess(8, m.ID, 0x100, false)
	op := hypercall.GnttabCopy{Len: PageSize, Flags: hypercall.GntcopySourceGref}
	op.Source.SetRef(8)
	op.Source.Domid = a.ID
	op.Dest.SetGmfn(0x200)
	op.Dest.Domid = hypercall.DomidSelf
	src, dst := mustSlice(b, a, 0x100*PageSize, PageSize), mustSlice(b, m, 0x200*PageSize, PageSize)

	const n = 200000
	start := time.Now()
	for i := 0; i < n; i++ {
		copy(dst, src)
	}
	memcpy := time.Since(start)
	b.ResetTimer()
	start = time.Now()
	for b.Loop() {
		if st := m.GrantCopy(&op); st != 0 {
			b.Fatal(st)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(PageSize)/per.Seconds()/1e6, "grantcopy-MB/s")
	b.ReportMetric(float64(PageSize)*n/memcpy.Seconds()/1e6, "memcpy-MB/s")
	b.ReportMetric(float64(memcpy/n)/float64(per), "memcpy/grantcopy-time-ratio")
}

// BenchmarkDom0MapUnmap measures dom0 grant map+unmap pairs (pin, mmap of
// the granted page, munmap, unpin).
func BenchmarkDom0MapUnmap(b *testing.B) {
	r := newTestRegistry(b)
	a := testDomain(b, r, 1, 0)
	a.GrantAccess(8, 0, 0x100, false)
	dom0 := r.Dom0()
	start := time.Now()
	for b.Loop() {
		m, err := dom0.MapGrant(a.ID, 8, false)
		if err != nil {
			b.Fatal(err)
		}
		m.Unmap()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pairs/s")
}
