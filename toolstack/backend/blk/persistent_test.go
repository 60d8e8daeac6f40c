package blk

import (
	"bytes"
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
