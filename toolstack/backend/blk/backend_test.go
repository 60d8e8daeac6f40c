package blk

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
)

const (
	opRead    = hypercall.BlkifOpRead
	opWrite   = hypercall.BlkifOpWrite
	opFlush   = hypercall.BlkifOpFlushDiskcache
	opBarrier = hypercall.BlkifOpWriteBarrier
	opDiscard = hypercall.BlkifOpDiscard
)

// layout builds segments covering nSect sectors starting at an in-frame
// offset, so transfers cross segment and page boundaries unevenly.
func layout(rng *rand.Rand, refs []uint32, maxSegs int) ([]segment, int) {
	n := 1 + rng.IntN(maxSegs)
	segs := make([]segment, n)
	total := 0
	for i := range n {
		first := uint8(rng.IntN(8))
		last := first + uint8(rng.IntN(int(8-first)))
		segs[i] = segment{gref: refs[i], first: first, last: last}
		total += int(last-first) + 1
	}
	return segs, total
}

// tail covers the last rem sectors with whole-frame segments.
func tail(refs []uint32, rem uint64) ([]segment, int) {
	var segs []segment
	for i := uint64(0); i < rem; i += 8 {
		segs = append(segs, segment{gref: refs[len(segs)], first: 0, last: uint8(min(8, rem-i) - 1)})
	}
	return segs, int(rem)
}

func TestDataIntegrity(t *testing.T) {
	const sectors = 2048 // 1 MiB
	r := newRig(t, sectors)
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, sectors*sectorSize)
	refs, pages := r.grantN(11 * ringSize)
	// Writes: batches of up to ringSize requests in flight, disjoint
	// ranges within a batch (concurrent writes to one sector are unordered).
	sector := uint64(0)
	for sector < sectors {
		var reqs []rawReq
		for k := 0; k < ringSize && sector < sectors; k++ {
			kr, kp := refs[11*k:11*k+11], pages[11*k:11*k+11]
			segs, total := layout(rng, kr, 11)
			if sector+uint64(total) > sectors {
				segs, total = tail(kr, sectors-sector)
			}
			pos := int(sector) * sectorSize
			for i, s := range segs {
				chunk := kp[i][int(s.first)*sectorSize : (int(s.last)+1)*sectorSize]
				for j := range chunk {
					chunk[j] = byte(rng.Uint32())
				}
				pos += copy(want[pos:], chunk)
			}
			reqs = append(reqs, rwReq(opWrite, uint64(1000+k), sector, segs...))
			sector += uint64(total)
		}
		r.fr.submit(reqs...)
		got := r.fr.wait(len(reqs))
		for _, g := range got {
			if g.status != okay || g.op != opWrite {
				t.Fatalf("write response %+v", g)
			}
		}
	}
	r.fr.submit(rwReq(opFlush, 1, 0))
	r.expect(r.fr.wait(1), okay)
	img, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(img) != sha256.Sum256(want) {
		t.Fatal("image sha256 differs from the written pattern")
	}
	// Read back with a different layout.
	sector = 0
	for sector < sectors {
		segs, total := layout(rng, refs, 11)
		if sector+uint64(total) > sectors {
			segs, total = tail(refs, sectors-sector)
		}
		r.fr.submit(rwReq(opRead, 5, sector, segs...))
		g := r.fr.wait(1)[0]
		if g.status != okay || g.op != opRead || g.id != 5 {
			t.Fatalf("read response %+v", g)
		}
		pos := int(sector) * sectorSize
		for i, s := range segs {
			chunk := pages[i][int(s.first)*sectorSize : (int(s.last)+1)*sectorSize]
			if !bytes.Equal(chunk, want[pos:pos+len(chunk)]) {
				t.Fatalf("read at sector %d segment %d differs", sector, i)
			}
			pos += len(chunk)
		}
		sector += uint64(total)
	}
	if n := r.g.live(); n != 1 { // only the ring page
		t.Errorf("%d grant mappings live, want 1 (the ring)", n)
	}
}

// orderFile records the order of writes, syncs and responses.
type orderFile struct {
	*os.File
	mu     sync.Mutex
	events []string
	gate   chan struct{} // Sync blocks until closed
}

func (f *orderFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	f.events = append(f.events, "write")
	f.mu.Unlock()
	return f.File.WriteAt(p, off)
}

func (f *orderFile) Sync() error {
	<-f.gate
	f.mu.Lock()
	f.events = append(f.events, "sync")
	f.mu.Unlock()
	return nil
}

func TestFlushRespondsAfterSync(t *testing.T) {
	path := t.TempDir() + "/d.img"
	os.WriteFile(path, make([]byte, 64*sectorSize), 0o600)
	osf, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	of := &orderFile{File: osf, gate: make(chan struct{})}
	r := newRigFile(t, path, func(c *Config) { c.File = of })
	refs, _ := r.grantN(2)
	r.fr.submit(rwReq(opWrite, 1, 0, segment{refs[0], 0, 7}), rwReq(opWrite, 2, 8, segment{refs[1], 0, 7}), rwReq(opFlush, 3, 0))
	got := r.fr.wait(2)
	r.expect(got, okay, okay)
	time.Sleep(50 * time.Millisecond)
	if p := sharedpage.Load32(r.fr.page, offRspProd); p != 2 {
		t.Fatalf("flush answered before Sync returned (rsp_prod %d)", p)
	}
	close(of.gate)
	g := r.fr.wait(1)
	if g[0].id != 3 || g[0].status != okay || g[0].op != opFlush {
		t.Fatalf("flush response %+v", g[0])
	}
	of.mu.Lock()
	defer of.mu.Unlock()
	if len(of.events) != 3 || of.events[2] != "sync" {
		t.Fatalf("events %v, want both writes then the sync", of.events)
	}
}

func TestBarrierSyncsBeforeAndAfter(t *testing.T) {
	path := t.TempDir() + "/d.img"
	os.WriteFile(path, make([]byte, 64*sectorSize), 0o600)
	osf, _ := os.OpenFile(path, os.O_RDWR, 0)
	defer osf.Close()
	of := &orderFile{File: osf, gate: make(chan struct{})}
	close(of.gate)
	r := newRigFile(t, path, func(c *Config) { c.File = of })
	refs, _ := r.grantN(1)
	r.fr.submit(rwReq(opWrite, 1, 0, segment{refs[0], 0, 7}), rwReq(opBarrier, 2, 0))
	r.expect(r.fr.wait(2), okay, okay)
	of.mu.Lock()
	defer of.mu.Unlock()
	if want := []string{"write", "sync", "sync"}; len(of.events) != 3 || of.events[0] != want[0] || of.events[2] != want[2] {
		t.Fatalf("events %v, want %v", of.events, want)
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	r := newRig(t, 64, func(c *Config) { c.ReadOnly = true })
	before, _ := os.ReadFile(r.path)
	refs, pages := r.grantN(1)
	for i := range pages[0] {
		pages[0][i] = 0xAA
	}
	ind := indirectReq(opWrite, 4, 0, 1, refs[0])
	r.fr.submit(rwReq(opWrite, 1, 0, segment{refs[0], 0, 7}), rwReq(opBarrier, 2, 0), discardReq(3, 0, 8), ind,
		rwReq(opRead, 5, 0, segment{refs[0], 0, 7}), rwReq(opFlush, 6, 0))
	r.expect(r.fr.wait(6), fail, fail, fail, fail, okay, okay)
	after, _ := os.ReadFile(r.path)
	if !bytes.Equal(before, after) {
		t.Fatal("read-only image changed")
	}
}

func discardReq(id, sector, n uint64) rawReq {
	var q rawReq
	q[0] = opDiscard
	binary.LittleEndian.PutUint64(q[8:], id)
	binary.LittleEndian.PutUint64(q[16:], sector)
	binary.LittleEndian.PutUint64(q[24:], n)
	return q
}

func indirectReq(op uint8, id, sector uint64, nr uint16, grefs ...uint32) rawReq {
	var q rawReq
	q[0] = hypercall.BlkifOpIndirect
	q[1] = op
	binary.LittleEndian.PutUint16(q[2:], nr)
	binary.LittleEndian.PutUint64(q[8:], id)
	binary.LittleEndian.PutUint64(q[16:], sector)
	for i, g := range grefs {
		binary.LittleEndian.PutUint32(q[28+4*i:], g)
	}
	return q
}

func TestIndirect(t *testing.T) {
	const nseg = 600 // two indirect pages
	r := newRig(t, 8*nseg, func(c *Config) { c.MaxIndirectSegments = 1024 })
	irefs, ipages := r.grantN(2)
	refs, pages := r.grantN(nseg)
	want := make([]byte, nseg*pageSize)
	for i := range nseg {
		o := i * 8
		pg := ipages[o/pageSize]
		binary.LittleEndian.PutUint32(pg[o%pageSize:], refs[i])
		pg[o%pageSize+4], pg[o%pageSize+5] = 0, 7
		for j := range pages[i] {
			pages[i][j] = byte(i*7 + j)
		}
		copy(want[i*pageSize:], pages[i])
	}
	r.fr.submit(indirectReq(opWrite, 9, 0, nseg, irefs...))
	g := r.fr.wait(1)
	if g[0].status != okay || g[0].op != opWrite {
		t.Fatalf("indirect write %+v", g[0])
	}
	img, _ := os.ReadFile(r.path)
	if !bytes.Equal(img, want) {
		t.Fatal("image differs after indirect write")
	}
	for i := range pages {
		clear(pages[i])
	}
	r.fr.submit(indirectReq(opRead, 10, 0, nseg, irefs...))
	r.expect(r.fr.wait(1), okay)
	for i := range pages {
		if !bytes.Equal(pages[i], want[i*pageSize:(i+1)*pageSize]) {
			t.Fatalf("indirect read page %d differs", i)
		}
	}
	// Too many segments, bogus indirect gref.
	r.fr.submit(indirectReq(opRead, 11, 0, 1025, irefs...), indirectReq(opRead, 12, 0, 1, 9999))
	r.expect(r.fr.wait(2), fail, fail)
}

func TestDiscardPunchesHole(t *testing.T) {
	r := newRig(t, 64)
	refs, pages := r.grantN(1)
	for i := range pages[0] {
		pages[0][i] = 0x55
	}
	r.fr.submit(rwReq(opWrite, 1, 8, segment{refs[0], 0, 7}), rwReq(opFlush, 2, 0), discardReq(3, 8, 8), discardReq(4, 60, 8))
	r.expect(r.fr.wait(4), okay, okay, okay, fail)
	img, _ := os.ReadFile(r.path)
	if !bytes.Equal(img, make([]byte, 64*sectorSize)) {
		t.Fatal("discarded range not zero")
	}
	r2 := newRig(t, 64, func(c *Config) { c.Discard = false })
	r2.fr.submit(discardReq(1, 0, 8))
	r2.expect(r2.fr.wait(1), notsp)
}

func TestHostileRequests(t *testing.T) {
	r := newRig(t, 64)
	refs, _ := r.grantN(11)
	segs := make([]segment, 12)
	for i := range segs {
		segs[i] = segment{refs[i%11], 0, 0}
	}
	q12 := rwReq(opWrite, 6, 0, segs[:11]...)
	q12[1] = 12
	r.fr.submit(
		rwReq(opRead, 1, 0, segment{9999, 0, 7}),                         // bogus gref
		rwReq(opWrite, 2, 0, segment{refs[0], 0, 3}, segment{777, 0, 0}), // second gref bogus
		rwReq(opRead, 3, 57, segment{refs[0], 0, 7}),                     // past the end
		rwReq(opRead, 4, ^uint64(0)-2, segment{refs[0], 0, 7}),           // overflow
		rwReq(opRead, 5, 0, segment{refs[0], 3, 2}),                      // first > last
		q12,                 // too many segments
		rwReq(opRead, 7, 0), // zero segments
		rwReq(opRead, 8, 0, segment{refs[0], 0, 8}), // last_sect 8
		rwReq(4, 9, 0),    // reserved op
		rwReq(200, 10, 0), // unknown op
		rwReq(opFlush, 11, 0, segment{refs[0], 0, 0}), // flush with data
		rwReq(opRead, 12, 56, segment{refs[0], 0, 7}), // the last page: fine
	)
	r.expect(r.fr.wait(12), fail, fail, fail, fail, fail, fail, fail, fail, notsp, notsp, notsp, okay)
	if n := r.g.live(); n != 1 {
		t.Errorf("%d grant mappings live after refusals, want 1", n)
	}
	if r.b.Err() != nil {
		t.Fatalf("device stopped: %v", r.b.Err())
	}
}

func TestHostileRingIndex(t *testing.T) {
	for _, tc := range []struct {
		name string
		prod func(cur uint32) uint32
	}{
		{"jump", func(cur uint32) uint32 { return cur + ringSize + 1 }},
		{"backwards", func(cur uint32) uint32 { return cur - 1 }},
		{"huge", func(cur uint32) uint32 { return cur + 1<<31 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 64)
			other := newRig(t, 64) // another domain's device carries on
			refs, _ := r.grantN(1)
			r.fr.submit(rwReq(opRead, 1, 0, segment{refs[0], 0, 7}))
			r.expect(r.fr.wait(1), okay)
			sharedpage.Store32(r.fr.page, offReqProd, tc.prod(r.fr.reqProd))
			r.ch.kick()
			select {
			case <-r.b.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("device not stopped")
			}
			if err := r.b.Err(); !errors.Is(err, ErrRingIndex) {
				t.Fatalf("Err = %v, want ErrRingIndex", err)
			}
			select {
			case <-r.ch.closed:
			default:
				t.Error("channel not closed")
			}
			if n := r.g.live(); n != 0 {
				t.Errorf("%d mappings live after stop, want 0", n)
			}
			orefs, _ := other.grantN(1)
			other.fr.submit(rwReq(opRead, 1, 0, segment{orefs[0], 0, 7}))
			other.expect(other.fr.wait(1), okay)
		})
	}
}

func TestFullRingOverrunStops(t *testing.T) {
	// A front end that publishes a 33rd request before reading any
	// response overwrites a slot: stop.
	r := newRig(t, 64, func(c *Config) { c.Workers = 1 })
	refs, _ := r.grantN(1)
	reqs := make([]rawReq, ringSize)
	for i := range reqs {
		reqs[i] = rwReq(opRead, uint64(i), 0, segment{refs[0], 0, 7})
	}
	r.fr.submit(reqs...)
	r.fr.wait(ringSize)
	// All answered: 32 more is fine.
	r.fr.submit(reqs...)
	r.fr.wait(ringSize)
	if r.b.Err() != nil {
		t.Fatal(r.b.Err())
	}
}

func TestNotifyOnlyWhenAsked(t *testing.T) {
	r := newRig(t, 64)
	refs, _ := r.grantN(1)
	sharedpage.Store32(r.fr.page, offRspEvent, 1000) // front end not waiting
	r.fr.submit(rwReq(opRead, 1, 0, segment{refs[0], 0, 7}))
	deadline := time.Now().Add(5 * time.Second)
	for sharedpage.Load32(r.fr.page, offRspProd) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("no response")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-r.ch.notifies:
		t.Fatal("notified although rsp_event was not in the window")
	case <-time.After(20 * time.Millisecond):
	}
	if ev := sharedpage.Load32(r.fr.page, offReqEvent); ev != 2 {
		t.Errorf("req_event %d after the final check, want 2", ev)
	}
}

func TestRateLimit(t *testing.T) {
	var l rateLimit
	now := time.Unix(0, 0)
	n := 0
	for range 100 {
		if ok, _ := l.allow(now); ok {
			n++
		}
	}
	if n != logBurst {
		t.Fatalf("%d allowed, want %d", n, logBurst)
	}
	ok, dropped := l.allow(now.Add(logWindow))
	if !ok || dropped != 100-logBurst {
		t.Fatalf("after window: ok %v dropped %d", ok, dropped)
	}
}
