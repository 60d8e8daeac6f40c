package blk

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRandRead4K: 4 KiB random reads, 32 in flight, through the ring
// with the fake front end (b.SetBytes: MB/s; ns/op is per request).
func BenchmarkRandRead4K(b *testing.B) {
	const sectors = 16384 // 8 MiB
	r := newRig(b, sectors)
	refs, _ := r.grantN(ringSize)
	rng := rand.New(rand.NewPCG(3, 4))
	b.SetBytes(pageSize)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(ringSize, b.N-done)
		reqs := make([]rawReq, n)
		for i := range reqs {
			reqs[i] = rwReq(opRead, uint64(i), uint64(rng.IntN(sectors/8))*8, segment{refs[i], 0, 7})
		}
		r.fr.submit(reqs...)
		r.fr.wait(n)
		done += n
	}
	b.StopTimer()
}

// BenchmarkHostRead4K is the same I/O done directly with ReadAt (the ratio
// baseline).
func BenchmarkHostRead4K(b *testing.B) {
	const sectors = 16384
	r := newRig(b, sectors)
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, pageSize)
	b.SetBytes(pageSize)
	b.ResetTimer()
	for range b.N {
		if _, err := r.img.ReadAt(buf, int64(rng.IntN(sectors/8))*pageSize); err != nil {
			b.Fatal(err)
		}
	}
}
