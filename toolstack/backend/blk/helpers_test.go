package blk

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

// fakePage is a Page over a test-owned page.
type fakePage struct {
	b     []byte
	g     *fakeGrants
	unmap sync.Once
}

func (p *fakePage) Bytes() []byte { return p.b }
func (p *fakePage) Unmap() {
	p.unmap.Do(func() {
		p.g.mu.Lock()
		p.g.mapped--
		p.g.mu.Unlock()
	})
}

// fakeGrants is a grant table of one front-end domain.
type fakeGrants struct {
	mu     sync.Mutex
	dom    uint16
	pages  map[uint32][]byte
	ro     map[uint32]bool // granted read-only: a writable Map fails
	mapped int             // live mappings
}

func newFakeGrants(dom uint16) *fakeGrants {
	return &fakeGrants{dom: dom, pages: map[uint32][]byte{}, ro: map[uint32]bool{}}
}

func (g *fakeGrants) grant(ref uint32) []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := alignedPage()
	g.pages[ref] = p
	return p
}

var errBadRef = errors.New("fake: GNTST_bad_gntref")

func (g *fakeGrants) Map(dom uint16, ref uint32, readonly bool) (Page, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.pages[ref]
	if !ok || dom != g.dom {
		return nil, fmt.Errorf("%w: dom %d ref %d", errBadRef, dom, ref)
	}
	if g.ro[ref] && !readonly {
		return nil, fmt.Errorf("fake: GNTST_permission_denied: ref %d is read-only", ref)
	}
	g.mapped++
	return &fakePage{b: p, g: g}, nil
}

func (g *fakeGrants) live() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mapped
}

// fakeChannel is an event channel pair: Kick is the front end's notify.
type fakeChannel struct {
	kicks    chan struct{}
	notifies chan struct{}
	closed   chan struct{}
	once     sync.Once
}

func newFakeChannel() *fakeChannel {
	return &fakeChannel{kicks: make(chan struct{}, 1), notifies: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (c *fakeChannel) Notify() error {
	select {
	case c.notifies <- struct{}{}:
	default:
	}
	return nil
}
func (c *fakeChannel) Kicks() <-chan struct{} { return c.kicks }
func (c *fakeChannel) Close() error           { c.once.Do(func() { close(c.closed) }); return nil }
func (c *fakeChannel) kick() {
	select {
	case c.kicks <- struct{}{}:
	default:
	}
}

// front is a fake blkfront on the ring page.
type front struct {
	t       testing.TB
	page    []byte
	ch      *fakeChannel
	reqProd uint32
	rspCons uint32
}

func newFront(t testing.TB, page []byte, ch *fakeChannel) *front {
	sharedpage.Store32(page, offReqEvent, 1)
	sharedpage.Store32(page, offRspEvent, 1)
	return &front{t: t, page: page, ch: ch}
}

// rawReq is a request slot as the front end writes it.
type rawReq [slotSize]byte

func rwReq(op uint8, id, sector uint64, segs ...segment) rawReq {
	var r rawReq
	r[0] = op
	r[1] = uint8(len(segs))
	binary.LittleEndian.PutUint64(r[8:], id)
	binary.LittleEndian.PutUint64(r[16:], sector)
	for i, s := range segs {
		o := 24 + 8*i
		binary.LittleEndian.PutUint32(r[o:], s.gref)
		r[o+4], r[o+5] = s.first, s.last
	}
	return r
}

// submit writes reqs into the ring, publishes them and kicks if asked.
func (f *front) submit(reqs ...rawReq) {
	old := f.reqProd
	for _, r := range reqs {
		off := offSlots + int(f.reqProd&ringMask)*slotSize
		copy(f.page[off:off+slotSize], r[:])
		f.reqProd++
	}
	sharedpage.Store32(f.page, offReqProd, f.reqProd)
	if ev := sharedpage.Load32(f.page, offReqEvent); f.reqProd-ev < f.reqProd-old {
		f.ch.kick()
	}
}

type rsp struct {
	id     uint64
	op     uint8
	status int16
}

// wait collects n responses (in ring order), failing after a timeout.
func (f *front) wait(n int) []rsp {
	f.t.Helper()
	var out []rsp
	deadline := time.Now().Add(5 * time.Second)
	for len(out) < n {
		prod := sharedpage.Load32(f.page, offRspProd)
		for ; f.rspCons != prod && len(out) < n; f.rspCons++ {
			off := offSlots + int(f.rspCons&ringMask)*slotSize
			s := f.page[off:]
			out = append(out, rsp{binary.LittleEndian.Uint64(s), s[8], int16(binary.LittleEndian.Uint16(s[10:]))})
		}
		sharedpage.Store32(f.page, offRspEvent, f.rspCons+1)
		if len(out) == n {
			break
		}
		if sharedpage.Load32(f.page, offRspProd) != f.rspCons {
			continue
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %d responses, got %d", n, len(out))
		}
		select {
		case <-f.ch.notifies:
		case <-time.After(10 * time.Millisecond):
		}
	}
	return out
}

// rig is a back end serving a temporary image.
type rig struct {
	t     testing.TB
	g     *fakeGrants
	ch    *fakeChannel
	fr    *front
	b     *Backend
	img   *os.File
	path  string
	dom   uint16
	nextR uint32
}

type rigOpt func(*Config)

func newRig(t testing.TB, sectors uint64, opts ...rigOpt) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(path, make([]byte, sectors*sectorSize), 0o600); err != nil {
		t.Fatal(err)
	}
	return newRigFile(t, path, opts...)
}

func newRigFile(t testing.TB, path string, opts ...rigOpt) *rig {
	t.Helper()
	r := &rig{t: t, dom: 7, path: path, nextR: 100}
	r.g = newFakeGrants(r.dom)
	r.ch = newFakeChannel()
	ringPage := r.g.grant(8)
	r.fr = newFront(t, ringPage, r.ch)
	ringMap, err := r.g.Map(r.dom, 8, false)
	if err != nil {
		t.Fatal(err)
	}
	f, sectors, discard, err := OpenImage(path, false)
	if err != nil {
		t.Fatal(err)
	}
	r.img = f
	cfg := Config{Domid: r.dom, DevID: 51712, File: f, Sectors: sectors, Discard: discard,
		Grants: r.g, Ring: ringMap, Channel: r.ch}
	for _, o := range opts {
		o(&cfg)
	}
	r.b, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.b.Close()
		f.Close()
	})
	return r
}

// grantN grants n fresh pages and returns their refs.
func (r *rig) grantN(n int) ([]uint32, [][]byte) {
	refs := make([]uint32, n)
	pages := make([][]byte, n)
	for i := range n {
		refs[i] = r.nextR
		pages[i] = r.g.grant(r.nextR)
		r.nextR++
	}
	return refs, pages
}

// expect checks statuses in request-id order (responses complete in any
// order: requests are served concurrently).
func (r *rig) expect(got []rsp, want ...int16) {
	r.t.Helper()
	got = slices.Clone(got)
	slices.SortFunc(got, func(a, b rsp) int { return cmp.Compare(a.id, b.id) })
	if len(got) != len(want) {
		r.t.Fatalf("%d responses, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].status != want[i] {
			r.t.Errorf("response %d (id %d op %d): status %d, want %d", i, got[i].id, got[i].op, got[i].status, want[i])
		}
	}
}

var (
	okay  = int16(hypercall.BlkifRspOkay)
	fail  = int16(hypercall.BlkifRspError)
	notsp = int16(hypercall.BlkifRspEopnotsupp)
)
