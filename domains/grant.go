package domains

import (
	"errors"
	"fmt"
	"sync"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/hypervisor"
)

// Grant-table limits (per domain, configurable through Config).
const (
	// DefaultMaxGrantFrames is xl's default max_grant_frames.
	DefaultMaxGrantFrames = 64
	// DefaultMaxMaptrack is how many foreign grants a domain may hold
	// mapped at once.
	DefaultMaxMaptrack = 1024
	// initialGrantFrames is the table size a domain starts with
	// (Xen's INITIAL_NR_GRANT_FRAMES).
	initialGrantFrames = 1
	grantEntrySize     = 8
	grantsPerFrame     = PageSize / grantEntrySize
)

// grantTable is a domain's v1 grant table (its shared entries) plus the
// active (pinned) state of its grants and its own maptrack of foreign
// grants it has mapped.
type grantTable struct {
	mu        sync.Mutex // guards every field below
	store     *hypervisor.Memory
	storeReg  *hypervisor.Region
	frames    [][]byte             // host bytes of each frame, in store or in guest RAM
	aliases   []*hypervisor.Region // per frame: the alias memslot in the guest, if any
	frameGFN  []uint64             // per frame: where the guest mapped it, or invalidGFN
	maxFrames int
	active    map[uint32]*activeGrant
	maptrack  []*grantMapping // this domain's mappings of others' grants; index = handle
	maxMaps   int
	dead      bool // the domain is gone: do not touch frames
}

// invalidGFN is Xen's INVALID_GFN as written to a frame_list.
const invalidGFN = ^uint64(0)

// activeGrant is a pinned grant: who holds it and how.
type activeGrant struct {
	mapper uint16 // the domain the grant is in use by
	gpa    uint64 // granted frame, read once at the first pin
	pinRO  int
	pinRW  int
}

// grantMapping is one entry of a mapper's maptrack.
type grantMapping struct {
	granter  *Domain
	ref      uint32
	readonly bool
	hostAddr uint64             // domU: where it is mapped
	alias    *hypervisor.Region // domU: the memslot
	dom0     *GrantMapping      // dom0: the Go mapping
}

func (g *grantTable) init(name string, maxFrames, maxMaps int) error {
	g.maxFrames, g.maxMaps = maxFrames, maxMaps
	g.active = map[uint32]*activeGrant{}
	g.store = hypervisor.NewDetachedMemory()
	r, err := g.store.AddRegion(name+"-gnttab", 0, uint64(maxFrames)*PageSize)
	if err != nil {
		return err
	}
	g.storeReg = r
	return g.growLocked(initialGrantFrames)
}

// growLocked extends the table to n frames (n <= maxFrames).
func (g *grantTable) growLocked(n int) error {
	for len(g.frames) < n {
		i := len(g.frames)
		b, err := g.store.Slice(uint64(i)*PageSize, PageSize)
		if err != nil {
			return err
		}
		g.frames = append(g.frames, b)
		g.aliases = append(g.aliases, nil)
		g.frameGFN = append(g.frameGFN, invalidGFN)
	}
	return nil
}

func (g *grantTable) entries() uint32 { return uint32(len(g.frames) * grantsPerFrame) }

// entry returns the 8 bytes of grant ref (caller checked the bound).
func (g *grantTable) entry(ref uint32) []byte {
	f := g.frames[ref/grantsPerFrame]
	off := (ref % grantsPerFrame) * grantEntrySize
	return f[off : off+grantEntrySize]
}

func (g *grantTable) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dead = true
	if g.store != nil {
		g.store.Close()
	}
}

// GrantStatus is a per-operation GNTST_* code.
type GrantStatus = int16

// pinGrant pins ref of granting domain d for mapper, read-only or not, as
// Xen's map_grant_ref and acquire_grant_for_copy do: the first pin (or
// the first writable pin) checks the entry's type and domid and sets
// GTF_reading (and GTF_writing) with a bounded compare-and-swap loop,
// because the granting guest may race us. It returns the frame's gpa.
func (d *Domain) pinGrant(ref uint32, mapper uint16, readonly bool) (uint64, GrantStatus) {
	g := &d.gnt
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dead {
		return 0, hypercall.GntstBadDomain
	}
	if ref >= g.entries() {
		return 0, hypercall.GntstBadGntref
	}
	act := g.active[ref]
	if act != nil && act.mapper != mapper {
		return 0, hypercall.GntstGeneralError
	}
	if act == nil || (!readonly && act.pinRW == 0) {
		e := g.entry(ref)
		for retries := 0; ; retries++ {
			if retries > 4 {
				return 0, hypercall.GntstGeneralError // the guest keeps changing the entry
			}
			w := hypervisor.LoadU32(e)
			flags, domid := uint16(w), uint16(w>>16)
			if act == nil && (flags&hypercall.GtfTypeMask != hypercall.GtfPermitAccess || domid != mapper) {
				return 0, hypercall.GntstGeneralError
			}
			nf := flags | hypercall.GtfReading
			if !readonly {
				if flags&hypercall.GtfReadonly != 0 {
					return 0, hypercall.GntstGeneralError
				}
				nf |= hypercall.GtfWriting
			}
			if hypervisor.CASU32(e, w, uint32(domid)<<16|uint32(nf)) {
				break
			}
		}
		if act == nil {
			gfn := uint64(hypervisor.LoadU32(e[4:]))
			gpa := gfn * PageSize
			if _, _, err := d.mem.Backing(gpa); err != nil || !d.ownsFrame(gpa) {
				d.clearGrantFlags(ref, hypercall.GtfReading|hypercall.GtfWriting)
				return 0, hypercall.GntstBadPage
			}
			act = &activeGrant{mapper: mapper, gpa: gpa}
			g.active[ref] = act
		}
	}
	if readonly {
		act.pinRO++
	} else {
		act.pinRW++
	}
	return act.gpa, hypercall.GntstOkay
}

// ownsFrame reports whether gpa is memory of d's own that it may grant:
// RAM, or its special pages (the builder grants the xenstore and console
// rings), but not a foreign page it has mapped.
func (d *Domain) ownsFrame(gpa uint64) bool {
	return gpa < d.ramBytes || gpa >= SpecialBase && gpa < SpecialEnd
}

// unpinGrant drops one pin. Releasing the last writable pin clears
// GTF_writing, the last pin clears GTF_reading (Xen's
// unmap_common_complete and release_grant_for_copy: a read-only release
// never touches GTF_writing). A granting domain that died keeps its
// entries untouched (its memory is gone).
func (d *Domain) unpinGrant(ref uint32, readonly bool) {
	g := &d.gnt
	g.mu.Lock()
	defer g.mu.Unlock()
	act := g.active[ref]
	if act == nil || g.dead {
		return
	}
	if readonly {
		act.pinRO--
	} else {
		act.pinRW--
	}
	var clear uint16
	if !readonly && act.pinRW == 0 {
		clear |= hypercall.GtfWriting
	}
	if act.pinRO+act.pinRW == 0 {
		clear |= hypercall.GtfReading
		delete(g.active, ref)
	}
	if clear != 0 {
		d.clearGrantFlags(ref, clear)
	}
}

// clearGrantFlags clears flag bits of ref; d.gnt.mu is held.
func (d *Domain) clearGrantFlags(ref uint32, bits uint16) {
	hypervisor.AndU32(d.gnt.entry(ref), ^uint32(bits))
}

// allocHandle returns a free maptrack slot of d; d.gnt.mu is held.
func (g *grantTable) allocHandle(m *grantMapping) (uint32, bool) {
	for i, e := range g.maptrack {
		if e == nil {
			g.maptrack[i] = m
			return uint32(i), true
		}
	}
	if len(g.maptrack) >= g.maxMaps {
		return 0, false
	}
	g.maptrack = append(g.maptrack, m)
	return uint32(len(g.maptrack) - 1), true
}

// granter looks up the granting domain of an operation.
func (d *Domain) granter(dom uint16) (*Domain, GrantStatus) {
	if dom == hypercall.DomidSelf || dom == d.ID {
		return d, hypercall.GntstOkay
	}
	g, ok := d.reg.Lookup(dom)
	if !ok || g == nil || g.dying.Load() {
		return nil, hypercall.GntstBadDomain
	}
	return g, hypercall.GntstOkay
}

// MapGrantRef maps ref of domain dom into d's physmap at hostAddr
// (GNTTABOP_map_grant_ref with GNTMAP_host_map for an HVM/PVH mapper):
// the granter's page appears there, shared, read-only if asked. hostAddr
// must be a free frame outside RAM (an unpopulated gfn, as Linux PVH's
// unpopulated-alloc gives). It returns the handle.
func (d *Domain) MapGrantRef(dom uint16, ref uint32, hostAddr uint64, flags uint32) (uint32, GrantStatus) {
	if flags&(hypercall.GntmapDeviceMap|hypercall.GntmapHostMap) == 0 {
		return 0, hypercall.GntstBadGntref // Xen: "Bad flags in grant map op"
	}
	if flags&hypercall.GntmapHostMap == 0 {
		return 0, hypercall.GntstGeneralError // device-only mappings need an IOMMU
	}
	if hostAddr%PageSize != 0 || hostAddr < d.ramBytes || hostAddr >= SpecialBase && hostAddr < SpecialEnd {
		return 0, hypercall.GntstBadVirtAddr
	}
	gd, st := d.granter(dom)
	if st != hypercall.GntstOkay {
		return 0, st
	}
	readonly := flags&hypercall.GntmapReadonly != 0
	m := &grantMapping{granter: gd, ref: ref, readonly: readonly, hostAddr: hostAddr}
	d.gnt.mu.Lock()
	h, ok := d.gnt.allocHandle(m)
	d.gnt.mu.Unlock()
	if !ok {
		return 0, hypercall.GntstNoSpace
	}
	gpa, st := gd.pinGrant(ref, d.ID, readonly)
	if st == hypercall.GntstOkay {
		fd, off, err := gd.mem.Backing(gpa)
		if err == nil {
			m.alias, err = d.mem.AddAlias(fmt.Sprintf("d%d-grant-d%d-%d", d.ID, gd.ID, ref), hostAddr, PageSize, fd, off, readonly)
		}
		if err != nil {
			gd.unpinGrant(ref, readonly)
			st = hypercall.GntstBadVirtAddr
			if !errors.Is(err, hypervisor.ErrOverlap) {
				st = hypercall.GntstGeneralError
			}
		}
	}
	if st != hypercall.GntstOkay {
		d.gnt.mu.Lock()
		d.gnt.maptrack[h] = nil
		d.gnt.mu.Unlock()
		return 0, st
	}
	return h, hypercall.GntstOkay
}

// UnmapGrantRef undoes MapGrantRef (GNTTABOP_unmap_grant_ref).
func (d *Domain) UnmapGrantRef(handle uint32, hostAddr uint64) GrantStatus {
	d.gnt.mu.Lock()
	if handle >= uint32(len(d.gnt.maptrack)) || d.gnt.maptrack[handle] == nil || d.gnt.maptrack[handle].dom0 != nil {
		d.gnt.mu.Unlock()
		return hypercall.GntstBadHandle
	}
	m := d.gnt.maptrack[handle]
	if hostAddr != 0 && hostAddr != m.hostAddr {
		d.gnt.mu.Unlock()
		return hypercall.GntstBadVirtAddr
	}
	d.gnt.maptrack[handle] = nil
	d.gnt.mu.Unlock()
	d.dropMapping(m)
	return hypercall.GntstOkay
}

func (d *Domain) dropMapping(m *grantMapping) {
	if m.alias != nil {
		d.mem.RemoveRegion(m.alias)
	}
	if m.dom0 != nil {
		m.dom0.unmap()
	}
	m.granter.unpinGrant(m.ref, m.readonly)
}

// releaseMappings drops every mapping d holds of other domains' grants
// (Xen's gnttab_release_mappings at domain destruction).
func (d *Domain) releaseMappings() {
	d.gnt.mu.Lock()
	maps := d.gnt.maptrack
	d.gnt.maptrack = nil
	d.gnt.mu.Unlock()
	for _, m := range maps {
		if m != nil {
			d.dropMapping(m)
		}
	}
}

// GrantMapping is dom0's mapping of a granted page: a view of the
// granting domain's memory that stays valid, even if that domain dies,
// until Unmap. A read-only mapping is mapped without write permission and
// refuses WriteAt.
type GrantMapping struct {
	Granter  uint16
	Ref      uint32
	ReadOnly bool
	page     []byte
	once     sync.Once
	owner    *Domain
	handle   uint32
}

// ErrReadOnlyGrant is returned by writes through a read-only mapping.
var ErrReadOnlyGrant = errors.New("domains: grant is mapped read-only")

// MapGrant maps ref of domain dom for dom0 (the back-end side of a split
// driver). Errors carry the GNTST_* status as a GrantError.
func (d *Domain) MapGrant(dom uint16, ref uint32, readonly bool) (*GrantMapping, error) {
	if d.ID != 0 {
		return nil, fmt.Errorf("domains: MapGrant from domain %d: only dom0 maps grants into Go", d.ID)
	}
	gd, st := d.granter(dom)
	if st != hypercall.GntstOkay {
		return nil, &GrantError{st, dom, ref}
	}
	gm := &GrantMapping{Granter: dom, Ref: ref, ReadOnly: readonly, owner: d}
	m := &grantMapping{granter: gd, ref: ref, readonly: readonly, dom0: gm}
	d.gnt.mu.Lock()
	h, ok := d.gnt.allocHandle(m)
	d.gnt.mu.Unlock()
	if !ok {
		return nil, &GrantError{hypercall.GntstNoSpace, dom, ref}
	}
	gm.handle = h
	gpa, st := gd.pinGrant(ref, 0, readonly)
	if st == hypercall.GntstOkay {
		fd, off, err := gd.mem.Backing(gpa)
		if err == nil {
			gm.page, err = hypervisor.MapPage(fd, off, !readonly)
		}
		if err != nil {
			gd.unpinGrant(ref, readonly)
			st = hypercall.GntstGeneralError
		}
	}
	if st != hypercall.GntstOkay {
		d.gnt.mu.Lock()
		d.gnt.maptrack[h] = nil
		d.gnt.mu.Unlock()
		return nil, &GrantError{st, dom, ref}
	}
	return gm, nil
}

// GrantError is a failed grant operation with Xen's GNTST_* status.
type GrantError struct {
	Status GrantStatus
	Dom    uint16
	Ref    uint32
}

func (e *GrantError) Error() string {
	return fmt.Sprintf("domains: grant %d of domain %d: GNTST %d", e.Ref, e.Dom, e.Status)
}

// Bytes is the mapped page. For a read-only mapping the memory is mapped
// without write permission: write to it only through WriteAt.
func (m *GrantMapping) Bytes() []byte { return m.page }

// ReadAt copies from the page at off.
func (m *GrantMapping) ReadAt(p []byte, off int) (int, error) {
	if off < 0 || off > PageSize || len(p) > PageSize-off {
		return 0, fmt.Errorf("domains: read [%d,+%d) outside the granted page", off, len(p))
	}
	return copy(p, m.page[off:]), nil
}

// WriteAt copies p into the page at off; a read-only mapping refuses.
func (m *GrantMapping) WriteAt(p []byte, off int) (int, error) {
	if m.ReadOnly {
		return 0, ErrReadOnlyGrant
	}
	if off < 0 || off > PageSize || len(p) > PageSize-off {
		return 0, fmt.Errorf("domains: write [%d,+%d) outside the granted page", off, len(p))
	}
	return copy(m.page[off:], p), nil
}

// Unmap releases the mapping and its pin on the grant.
func (m *GrantMapping) Unmap() {
	d := m.owner
	d.gnt.mu.Lock()
	gm := (*grantMapping)(nil)
	if int(m.handle) < len(d.gnt.maptrack) && d.gnt.maptrack[m.handle] != nil && d.gnt.maptrack[m.handle].dom0 == m {
		gm = d.gnt.maptrack[m.handle]
		d.gnt.maptrack[m.handle] = nil
	}
	d.gnt.mu.Unlock()
	if gm != nil {
		d.dropMapping(gm)
	}
}

func (m *GrantMapping) unmap() {
	m.once.Do(func() { hypervisor.UnmapPage(m.page) })
}

// copySide resolves one side of a GNTTABOP_copy to host bytes: a grant
// ref of some domain (pinned for the copy) or a frame of the caller.
type copySide struct {
	gd       *Domain
	ref      uint32
	readonly bool
	pinned   bool
	buf      []byte
}

func (d *Domain) resolveCopySide(p *hypercall.GnttabCopyPtr, isGref, source bool, length uint16) (copySide, GrantStatus) {
	if int(p.Offset)+int(length) > PageSize {
		return copySide{}, hypercall.GntstBadCopyArg
	}
	if !isGref {
		if p.Domid != hypercall.DomidSelf && p.Domid != d.ID {
			return copySide{}, hypercall.GntstPermissionDenied // a gmfn side must be the caller's own
		}
		gpa := p.Gmfn() * PageSize
		if p.Gmfn() >= (1<<52)/PageSize || (gpa >= d.ramBytes && d.ID != 0) {
			return copySide{}, hypercall.GntstBadPage
		}
		b, err := d.mem.Slice(gpa+uint64(p.Offset), uint64(length))
		if err != nil {
			return copySide{}, hypercall.GntstBadPage
		}
		return copySide{buf: b}, hypercall.GntstOkay
	}
	gd, st := d.granter(p.Domid)
	if st != hypercall.GntstOkay {
		return copySide{}, st
	}
	gpa, st := gd.pinGrant(p.Ref(), d.ID, source)
	if st != hypercall.GntstOkay {
		return copySide{}, st
	}
	s := copySide{gd: gd, ref: p.Ref(), readonly: source, pinned: true}
	b, err := gd.mem.Slice(gpa+uint64(p.Offset), uint64(length))
	if err != nil {
		s.unpin()
		return copySide{}, hypercall.GntstBadPage
	}
	s.buf = b
	return s, hypercall.GntstOkay
}

func (s *copySide) unpin() {
	if s.pinned {
		s.gd.unpinGrant(s.ref, s.readonly)
		s.pinned = false
	}
}

// GrantCopy performs one GNTTABOP_copy operation for d and returns its
// status. Grant sides must be granted to d (the source may be read-only);
// frame sides must be d's own; neither may cross a page.
func (d *Domain) GrantCopy(op *hypercall.GnttabCopy) GrantStatus {
	if op.Flags&^(hypercall.GntcopySourceGref|hypercall.GntcopyDestGref) != 0 {
		return hypercall.GntstBadCopyArg
	}
	src, st := d.resolveCopySide(&op.Source, op.Flags&hypercall.GntcopySourceGref != 0, true, op.Len)
	if st != hypercall.GntstOkay {
		return st
	}
	defer src.unpin()
	dst, st := d.resolveCopySide(&op.Dest, op.Flags&hypercall.GntcopyDestGref != 0, false, op.Len)
	if st != hypercall.GntstOkay {
		return st
	}
	defer dst.unpin()
	copy(dst.buf, src.buf)
	return hypercall.GntstOkay
}

// GrantQuerySize reports the table size of domain dom in frames.
func (d *Domain) GrantQuerySize(dom uint16) (cur, max uint32, st GrantStatus) {
	t, st := d.grantTarget(dom)
	if st != hypercall.GntstOkay {
		return 0, 0, st
	}
	t.gnt.mu.Lock()
	defer t.gnt.mu.Unlock()
	return uint32(len(t.gnt.frames)), uint32(t.gnt.maxFrames), hypercall.GntstOkay
}

// grantTarget is the domain a table operation names: d itself, or any
// domain for dom0.
func (d *Domain) grantTarget(dom uint16) (*Domain, GrantStatus) {
	if dom == hypercall.DomidSelf || dom == d.ID {
		return d, hypercall.GntstOkay
	}
	if d.ID != 0 {
		return nil, hypercall.GntstPermissionDenied
	}
	t, ok := d.reg.Lookup(dom)
	if !ok || t == nil {
		return nil, hypercall.GntstBadDomain
	}
	return t, hypercall.GntstOkay
}

// GrantSetupTable grows dom's table to nr frames and returns, per frame,
// the gfn where the guest mapped it (INVALID_GFN if unmapped), as Xen does
// for translated guests.
func (d *Domain) GrantSetupTable(dom uint16, nr uint32) ([]uint64, GrantStatus) {
	t, st := d.grantTarget(dom)
	if st != hypercall.GntstOkay {
		return nil, st
	}
	t.gnt.mu.Lock()
	defer t.gnt.mu.Unlock()
	if nr > uint32(t.gnt.maxFrames) {
		return nil, hypercall.GntstGeneralError
	}
	if err := t.gnt.growLocked(int(nr)); err != nil {
		return nil, hypercall.GntstGeneralError
	}
	return append([]uint64(nil), t.gnt.frameGFN[:nr]...), hypercall.GntstOkay
}

// MapGrantFrame places grant-table frame idx at guest frame gfn
// (XENMEM_add_to_physmap with XENMAPSPACE_grant_table), growing the table
// up to idx+1 frames. Outside RAM the frame is aliased there; inside RAM
// it is overlaid on the RAM page (whose contents it replaces, as in Xen).
func (d *Domain) MapGrantFrame(idx, gfn uint64) error {
	if idx&hypercall.XenmapidxGrantTableStatus != 0 {
		return errno(hypercall.EINVAL, "grant status frames exist only for grant table v2")
	}
	g := &d.gnt
	g.mu.Lock()
	defer g.mu.Unlock()
	if idx >= uint64(g.maxFrames) {
		return errno(hypercall.EINVAL, "grant frame %d beyond max_grant_frames %d", idx, g.maxFrames)
	}
	gpa := gfn * PageSize
	if gfn >= SpecialBase/PageSize && gfn < SpecialEnd/PageSize || gfn >= (1<<40)/PageSize {
		return errno(hypercall.EINVAL, "grant frame at gfn %#x", gfn)
	}
	if err := g.growLocked(int(idx) + 1); err != nil {
		return err
	}
	i := int(idx)
	if g.frameGFN[i] == gfn {
		return nil
	}
	var page []byte
	var alias *hypervisor.Region
	if gpa < d.ramBytes {
		b, err := d.mem.Slice(gpa, PageSize)
		if err != nil {
			return errno(hypercall.EINVAL, "grant frame at gfn %#x: %v", gfn, err)
		}
		copy(b, g.frames[i])
		page = b
	} else {
		fd, off, err := g.store.Backing(uint64(i) * PageSize)
		if err == nil {
			alias, err = d.mem.AddAlias(fmt.Sprintf("d%d-gnttab-%d", d.ID, i), gpa, PageSize, fd, off, false)
		}
		if err != nil {
			return errno(hypercall.EINVAL, "grant frame at gfn %#x: %v", gfn, err)
		}
		b, _ := g.store.Slice(uint64(i)*PageSize, PageSize)
		if &g.frames[i][0] != &b[0] {
			copy(b, g.frames[i]) // it was overlaid in RAM before: bring it back
		}
		page = b
	}
	if g.aliases[i] != nil {
		d.mem.RemoveRegion(g.aliases[i])
	}
	g.frames[i], g.aliases[i], g.frameGFN[i] = page, alias, gfn
	return nil
}

// GrantAccess fills grant ref of d to let domid access frame gfn, as a
// guest's gnttab_grant_foreign_access does (domid and frame, then flags).
// The toolstack uses it for the reserved entries and dom0's own grants.
func (d *Domain) GrantAccess(ref uint32, domid uint16, gfn uint64, readonly bool) error {
	g := &d.gnt
	g.mu.Lock()
	defer g.mu.Unlock()
	if ref >= g.entries() {
		return fmt.Errorf("domains: grant ref %d beyond the table (%d entries)", ref, g.entries())
	}
	e := g.entry(ref)
	e[4], e[5], e[6], e[7] = byte(gfn), byte(gfn>>8), byte(gfn>>16), byte(gfn>>24)
	flags := uint32(hypercall.GtfPermitAccess)
	if readonly {
		flags |= hypercall.GtfReadonly
	}
	hypervisor.CASU32(e, hypervisor.LoadU32(e), uint32(domid)<<16|flags)
	return nil
}

// EndAccess revokes grant ref of d unless it is in use (GTF_reading or
// GTF_writing set): then it returns an error wrapping EBUSY.
func (d *Domain) EndAccess(ref uint32) error {
	g := &d.gnt
	g.mu.Lock()
	defer g.mu.Unlock()
	if ref >= g.entries() {
		return fmt.Errorf("domains: grant ref %d beyond the table: %w", ref, hypercall.EINVAL)
	}
	e := g.entry(ref)
	w := hypervisor.LoadU32(e)
	if uint16(w)&(hypercall.GtfReading|hypercall.GtfWriting) != 0 || !hypervisor.CASU32(e, w, w&0xFFFF0000) {
		return fmt.Errorf("domains: grant ref %d of domain %d is in use: %w", ref, d.ID, hypercall.EBUSY)
	}
	return nil
}
