package blk

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
	"time"
)

func TestPersistentGrants(t *testing.T) {
	r := newRig(t, 64, func(c *Config) { c.Persistent = true; c.MaxPersistentGrants = 2 })
	refs, pages := r.grantN(4)
	for i := range pages {
		for j := range pages[i] {
			pages[i][j] = byte(i + 1)
		}
	}
	for round := range 3 {
		r.fr.submit(rwReq(opWrite, uint64(round), 0, segment{refs[0], 0, 7}, segment{refs[1], 0, 7}, segment{refs[2], 0, 7}, segment{refs[3], 0, 7}))
		r.expect(r.fr.wait(1), okay)
		// ring + 2 persistent mappings; the other two were per-request.
		if n := r.g.live(); n != 3 {
			t.Fatalf("round %d: %d live mappings, want 3", round, n)
		}
	}
	if n := r.b.pc.len(); n != 2 {
		t.Fatalf("%d cached grants, want 2", n)
	}
	img, _ := os.ReadFile(r.path)
	for i := range 4 {
		if !bytes.Equal(img[i*pageSize:(i+1)*pageSize], pages[i]) {
			t.Fatalf("page %d differs", i)
		}
	}
	// Reads into cached pages land in guest memory.
	clear(pages[0])
	r.fr.submit(rwReq(opRead, 9, 8, segment{refs[0], 0, 7}))
	r.expect(r.fr.wait(1), okay)
	if pages[0][0] != 2 {
		t.Fatalf("read through a persistent mapping: got %d", pages[0][0])
	}
	if err := r.b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for r.g.live() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := r.g.live(); n != 0 {
		t.Fatalf("%d mappings live after Close", n)
	}
}

// TestPersistentReadOnlyIndirectPage: with persistent grants, a front end
// that grants its indirect page read-only still gets served (the page is
// mapped read-only for the request, not kept).
func TestPersistentReadOnlyIndirectPage(t *testing.T) {
	r := newRig(t, 12*8, func(c *Config) { c.Persistent = true })
	irefs, ipages := r.grantN(1)
	refs, pages := r.grantN(12)
	r.g.mu.Lock()
	r.g.ro[irefs[0]] = true
	r.g.mu.Unlock()
	for i := range refs {
		o := i * 8
		binary.LittleEndian.PutUint32(ipages[0][o:], refs[i])
		ipages[0][o+4], ipages[0][o+5] = 0, 7
		pages[i][0] = byte(i + 1)
	}
	r.fr.submit(indirectReq(opWrite, 1, 0, 12, irefs...))
	r.expect(r.fr.wait(1), okay)
	img, _ := os.ReadFile(r.path)
	for i := range refs {
		if img[i*pageSize] != byte(i+1) {
			t.Fatalf("page %d not written", i)
		}
	}
	if n := r.b.pc.len(); n != 12 {
		t.Errorf("%d cached grants, want the 12 data pages only", n)
	}
}
