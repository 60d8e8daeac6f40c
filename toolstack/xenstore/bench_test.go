package xenstore

import (
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// reportOps reports the loop's rate as ops/s.
func reportOps(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkSocketReadWrite measures READ and WRITE round trips over the
// Unix socket with the Go client, one request at a time (as the Xen tools
// do) and pipelined from 8 goroutines.
func BenchmarkSocketReadWrite(b *testing.B) {
	_, path := startSocketServer(b, Config{})
	c := dialTest(b, path)
	value := []byte(strings.Repeat("v", 64))
	if err := c.Write(0, "/bench/key", value); err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			if _, err := c.Read(0, "/bench/key"); err != nil {
				b.Fatal(err)
			}
		}
		reportOps(b, start)
	})
	b.Run("write", func(b *testing.B) {
		start := time.Now()
		for range b.N {
			if err := c.Write(0, "/bench/key", value); err != nil {
				b.Fatal(err)
			}
		}
		reportOps(b, start)
	})
	b.Run("read-pipelined", func(b *testing.B) {
		start := time.Now()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Read(0, "/bench/key"); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportOps(b, start)
	})
}

// BenchmarkRingReadWrite measures READ and WRITE round trips of a guest
// over the ring transport (fake ring: a Go page and channels for the
// event channel), relative paths as a guest kernel uses them.
func BenchmarkRingReadWrite(b *testing.B) {
	s := newTestServer(b, Config{})
	if err := s.WriteDomainNodes(DomainNodes{Domid: 1, Name: "bench", VCPUs: 1, MaxMemKiB: 1024}); err != nil {
		b.Fatal(err)
	}
	_, g := introduceGuest(b, s, 1)
	value := strings.Repeat("v", 64)
	g.ok(hypercall.XsWrite, append(args("data/key"), value...))
	b.Run("read", func(b *testing.B) {
		g.t = b
		start := time.Now()
		for range b.N {
			g.ok(hypercall.XsRead, args("data/key"))
		}
		reportOps(b, start)
	})
	b.Run("write", func(b *testing.B) {
		g.t = b
		payload := append(args("data/key"), value...)
		start := time.Now()
		for range b.N {
			g.ok(hypercall.XsWrite, payload)
		}
		reportOps(b, start)
	})
}
