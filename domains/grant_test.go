package domains

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

func wantStatus(t *testing.T, what string, got, want GrantStatus) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d", what, got, want)
	}
}

func grantFlags(d *Domain, ref uint32) uint16 {
	d.gnt.mu.Lock()
	defer d.gnt.mu.Unlock()
	e := d.gnt.entry(ref)
	return uint16(e[0]) | uint16(e[1])<<8
}

func TestDom0GrantMapping(t *testing.T) {
	r := newTestRegistry(t)
	dom0, a := r.Dom0(), testDomain(t, r, 1, 0)
	const gfn = 0x123
	copy(mustSlice(t, a, gfn*PageSize, 16), "granted by a")
	if err := a.GrantAccess(8, 0, gfn, false); err != nil {
		t.Fatal(err)
	}
	m, err := dom0.MapGrant(a.ID, 8, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(m.Bytes(), []byte("granted by a")) {
		t.Errorf("dom0 sees %q", m.Bytes()[:16])
	}
	if _, err := m.WriteAt([]byte("dom0 wrote"), 100); err != nil {
		t.Fatal(err)
	}
	if got := mustSlice(t, a, gfn*PageSize+100, 10); string(got) != "dom0 wrote" {
		t.Errorf("granter sees %q", got)
	}
	if f := grantFlags(a, 8); f&(hypercall.GtfReading|hypercall.GtfWriting) != hypercall.GtfReading|hypercall.GtfWriting {
		t.Errorf("flags while mapped rw: %#x", f)
	}
	var ge *GrantError
	if err := a.EndAccess(8); !errors.Is(err, hypercall.EBUSY) {
		t.Errorf("ending access while mapped: %v, want EBUSY", err)
	}
	m.Unmap()
	if f := grantFlags(a, 8); f&(hypercall.GtfReading|hypercall.GtfWriting) != 0 {
		t.Errorf("flags after unmap: %#x", f)
	}
	if err := a.EndAccess(8); err != nil {
		t.Errorf("end access after unmap: %v", err)
	}
	// Read-only grant: a write mapping is refused, a read-only one refuses writes.
	a.GrantAccess(9, 0, gfn, true)
	if _, err := dom0.MapGrant(a.ID, 9, false); !errors.As(err, &ge) || ge.Status != hypercall.GntstGeneralError {
		t.Errorf("write mapping of a read-only grant: %v", err)
	}
	ro, err := dom0.MapGrant(a.ID, 9, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.WriteAt([]byte("x"), 0); !errors.Is(err, ErrReadOnlyGrant) {
		t.Errorf("write through a read-only mapping: %v", err)
	}
	if f := grantFlags(a, 9); f&hypercall.GtfReading == 0 || f&hypercall.GtfWriting != 0 {
		t.Errorf("flags while mapped ro: %#x", f)
	}
	// The granting domain dies with the mapping live: it stays readable.
	a.Destroy()
	buf := make([]byte, 12)
	if _, err := ro.ReadAt(buf, 0); err != nil || string(buf) != "granted by a" {
		t.Errorf("mapping after the granter died: %q %v", buf, err)
	}
	ro.Unmap()
}

func mustSlice(t testing.TB, d *Domain, gpa, n uint64) []byte {
	t.Helper()
	b, err := d.mem.Slice(gpa, n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGrantMisuse(t *testing.T) {
	r := newTestRegistry(t)
	a, b, c := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	a.GrantAccess(8, b.ID, 0x100, false)
	a.GrantAccess(9, b.ID, 0x101, true)
	const host = 0x1000_0000 // outside b's 4 MiB of RAM
	_, st := c.MapGrantRef(a.ID, 8, host, hypercall.GntmapHostMap)
	wantStatus(t, "map of a gref not granted to the mapper", st, hypercall.GntstGeneralError)
	_, st = b.MapGrantRef(a.ID, 512, host, hypercall.GntmapHostMap)
	wantStatus(t, "map of an out-of-range gref", st, hypercall.GntstBadGntref)
	_, st = b.MapGrantRef(a.ID, 9, host, hypercall.GntmapHostMap)
	wantStatus(t, "write map of a read-only grant", st, hypercall.GntstGeneralError)
	_, st = b.MapGrantRef(a.ID, 7, host, hypercall.GntmapHostMap)
	wantStatus(t, "map of an unused entry", st, hypercall.GntstGeneralError)
	_, st = b.MapGrantRef(4000, 8, host, hypercall.GntmapHostMap)
	wantStatus(t, "map from a missing domain", st, hypercall.GntstBadDomain)
	_, st = b.MapGrantRef(a.ID, 8, host, 0)
	wantStatus(t, "map with no map flags", st, hypercall.GntstBadGntref)
	_, st = b.MapGrantRef(a.ID, 8, 0x2000, hypercall.GntmapHostMap)
	wantStatus(t, "map onto RAM", st, hypercall.GntstBadVirtAddr)
	_, st = b.MapGrantRef(a.ID, 8, host+1, hypercall.GntmapHostMap)
	wantStatus(t, "map at an unaligned address", st, hypercall.GntstBadVirtAddr)
	wantStatus(t, "unmap of a bad handle", b.UnmapGrantRef(77, host), hypercall.GntstBadHandle)
	if f := grantFlags(a, 8); f != hypercall.GtfPermitAccess {
		t.Errorf("failed maps left flags %#x on the entry", f)
	}

	copyOp := func(flags uint16, src, dst hypercall.GnttabCopyPtr, n uint16) *hypercall.GnttabCopy {
		return &hypercall.GnttabCopy{Source: src, Dest: dst, Len: n, Flags: flags}
	}
	gref := func(dom uint16, ref uint32, off uint16) hypercall.GnttabCopyPtr {
		p := hypercall.GnttabCopyPtr{Domid: dom, Offset: off}
		p.SetRef(ref)
		return p
	}
	gmfn := func(dom uint16, f uint64, off uint16) hypercall.GnttabCopyPtr {
		p := hypercall.GnttabCopyPtr{Domid: dom, Offset: off}
		p.SetGmfn(f)
		return p
	}
	wantStatus(t, "copy crossing a page", b.GrantCopy(copyOp(hypercall.GntcopySourceGref, gref(a.ID, 8, 4000), gmfn(hypercall.DomidSelf, 0x200, 0), 200)), hypercall.GntstBadCopyArg)
	wantStatus(t, "copy crossing a page on the destination", b.GrantCopy(copyOp(hypercall.GntcopySourceGref, gref(a.ID, 8, 0), gmfn(hypercall.DomidSelf, 0x200, 4095), 2)), hypercall.GntstBadCopyArg)
	wantStatus(t, "copy into a read-only grant", b.GrantCopy(copyOp(hypercall.GntcopyDestGref, gmfn(hypercall.DomidSelf, 0x200, 0), gref(a.ID, 9, 0), 8)), hypercall.GntstGeneralError)
	wantStatus(t, "copy from another domain's frame", b.GrantCopy(copyOp(0, gmfn(a.ID, 0x100, 0), gmfn(hypercall.DomidSelf, 0x200, 0), 8)), hypercall.GntstPermissionDenied)
	wantStatus(t, "copy from a frame outside RAM", b.GrantCopy(copyOp(0, gmfn(hypercall.DomidSelf, 0xFFFFF, 0), gmfn(hypercall.DomidSelf, 0x200, 0), 8)), hypercall.GntstBadPage)
	wantStatus(t, "copy by a domain the grant is not for", c.GrantCopy(copyOp(hypercall.GntcopySourceGref, gref(a.ID, 8, 0), gmfn(hypercall.DomidSelf, 0x200, 0), 8)), hypercall.GntstGeneralError)
	wantStatus(t, "copy with unknown flags", b.GrantCopy(copyOp(4, gref(a.ID, 8, 0), gmfn(hypercall.DomidSelf, 0x200, 0), 8)), hypercall.GntstBadCopyArg)

	// Maptrack limit.
	small := testDomainWith(t, r, Config{MaxMaptrack: 2})
	a.GrantAccess(10, small.ID, 0x102, false)
	for i := 0; i < 2; i++ {
		if _, st := small.MapGrantRef(a.ID, 10, host+uint64(i)*PageSize, hypercall.GntmapHostMap); st != 0 {
			t.Fatalf("map %d: %d", i, st)
		}
	}
	_, st = small.MapGrantRef(a.ID, 10, host+2*PageSize, hypercall.GntmapHostMap)
	wantStatus(t, "map beyond the maptrack limit", st, hypercall.GntstNoSpace)
	// Frame limit.
	if _, st := a.GrantSetupTable(a.ID, DefaultMaxGrantFrames+1); st != hypercall.GntstGeneralError {
		t.Errorf("setup_table beyond max frames: %d", st)
	}
	if _, _, st := b.GrantQuerySize(a.ID); st != hypercall.GntstPermissionDenied {
		t.Errorf("query_size of another domain: %d", st)
	}
	if err := a.MapGrantFrame(DefaultMaxGrantFrames, 0x300); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("grant frame beyond the limit: %v", err)
	}
}

func TestGrantShareBetweenDomainsAndCopy(t *testing.T) {
	r := newTestRegistry(t)
	a, b := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	copy(mustSlice(t, a, 0x100*PageSize, 5), "hello")
	a.GrantAccess(8, b.ID, 0x100, false)
	const host = 0x2000_0000
	h, st := b.MapGrantRef(a.ID, 8, host, hypercall.GntmapHostMap)
	if st != 0 {
		t.Fatalf("map: %d", st)
	}
	if got := mustSlice(t, b, host, 5); string(got) != "hello" {
		t.Errorf("mapper sees %q", got)
	}
	copy(mustSlice(t, b, host+8, 5), "world")
	if got := mustSlice(t, a, 0x100*PageSize+8, 5); string(got) != "world" {
		t.Errorf("granter sees %q after the mapper wrote", got)
	}
	wantStatus(t, "unmap at another address", b.UnmapGrantRef(h, host+PageSize), hypercall.GntstBadVirtAddr)
	wantStatus(t, "unmap", b.UnmapGrantRef(h, host), hypercall.GntstOkay)
	if _, err := b.mem.Slice(host, 1); err == nil {
		t.Error("page still mapped after unmap")
	}
	if f := grantFlags(a, 8); f != hypercall.GtfPermitAccess {
		t.Errorf("flags after unmap %#x", f)
	}

	// gref -> gmfn and back.
	p := func(flags uint16, src, dst hypercall.GnttabCopyPtr, n uint16) *hypercall.GnttabCopy {
		return &hypercall.GnttabCopy{Source: src, Dest: dst, Len: n, Flags: flags}
	}
	var g, m hypercall.GnttabCopyPtr
	g.Domid, m.Domid = a.ID, hypercall.DomidSelf
	g.SetRef(8)
	m.SetGmfn(0x200)
	m.Offset = 16
	wantStatus(t, "copy gref to gmfn", b.GrantCopy(p(hypercall.GntcopySourceGref, g, m, 5)), hypercall.GntstOkay)
	if got := mustSlice(t, b, 0x200*PageSize+16, 5); string(got) != "hello" {
		t.Errorf("copied %q", got)
	}
	copy(mustSlice(t, b, 0x200*PageSize+16, 4), "back")
	g.Offset = 100
	wantStatus(t, "copy gmfn to gref", b.GrantCopy(p(hypercall.GntcopyDestGref, m, g, 4)), hypercall.GntstOkay)
	if got := mustSlice(t, a, 0x100*PageSize+100, 4); string(got) != "back" {
		t.Errorf("copied back %q", got)
	}

	// The mapper dies with a live mapping: Xen releases it, the entry is idle again.
	if _, st := b.MapGrantRef(a.ID, 8, host, hypercall.GntmapHostMap|hypercall.GntmapReadonly); st != 0 {
		t.Fatal(st)
	}
	b.Destroy()
	if f := grantFlags(a, 8); f != hypercall.GtfPermitAccess {
		t.Errorf("flags after the mapper died %#x", f)
	}
	if err := a.EndAccess(8); err != nil {
		t.Errorf("end access after the mapper died: %v", err)
	}
}

func TestGrantFramesInGuestPhysmap(t *testing.T) {
	r := newTestRegistry(t)
	a, b := testDomain(t, r, 1, 0), testDomain(t, r, 1, 0)
	// Frame 0 overlaid on a RAM page, frame 1 aliased outside RAM; the guest
	// writes entries there directly.
	if err := a.MapGrantFrame(0, 0x300); err != nil {
		t.Fatal(err)
	}
	if err := a.MapGrantFrame(1, 0x40000); err != nil {
		t.Fatal(err)
	}
	writeEntry := func(gpa uint64, domid uint16, gfn uint32) {
		e := mustSlice(t, a, gpa, 8)
		e[2], e[3] = byte(domid), byte(domid>>8)
		e[4], e[5], e[6], e[7] = byte(gfn), byte(gfn>>8), byte(gfn>>16), byte(gfn>>24)
		e[0] = hypercall.GtfPermitAccess
	}
	writeEntry(0x300*PageSize+8*8, b.ID, 0x100)   // ref 8
	writeEntry(0x40000*PageSize+8*3, b.ID, 0x101) // ref 512+3
	for _, ref := range []uint32{8, 515} {
		h, st := b.MapGrantRef(a.ID, ref, 0x3000_0000+uint64(ref)*PageSize, hypercall.GntmapHostMap)
		if st != 0 {
			t.Errorf("map of ref %d written by the guest: %d", ref, st)
			continue
		}
		b.UnmapGrantRef(h, 0)
	}
	if cur, max, st := a.GrantQuerySize(hypercall.DomidSelf); cur != 2 || max != DefaultMaxGrantFrames || st != 0 {
		t.Errorf("query_size = %d %d %d", cur, max, st)
	}
	frames, st := a.GrantSetupTable(a.ID, 3)
	if st != 0 || frames[0] != 0x300 || frames[1] != 0x40000 || frames[2] != invalidGFN {
		t.Errorf("setup_table frames %#x status %d", frames, st)
	}
	if err := a.MapGrantFrame(0|hypercall.XenmapidxGrantTableStatus, 0x301); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("v2 status frame: %v", err)
	}
	if err := a.MapGrantFrame(2, SpecialBase/PageSize); !errors.Is(err, hypercall.EINVAL) {
		t.Errorf("grant frame onto the special pages: %v", err)
	}
}
