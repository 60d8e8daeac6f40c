package tests

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
)

// BenchmarkRunHello measures `xenolith run examples/hello.cfg` as a user
// sees it: from starting the process to the first console byte on stdout,
// and to exit. It reports medians and the exits the guest caused.
//
//	go test -run XXX -bench RunHello -benchtime 5x ./tests/
func BenchmarkRunHello(b *testing.B) {
	kvmtest.Require(b)
	guest(b, "hello")
	cfg := filepath.Join(repo, "examples/hello.cfg")
	var firstByte, total []time.Duration
	var exits, ioExits, hypercalls float64
	statsRE := regexp.MustCompile(`stats: exits (\d+): .*IO=(\d+)`)
	hcRE := regexp.MustCompile(`stats: hypercalls (\d+):`)
	for b.Loop() {
		cmd := exec.Command(xenolith, "run", "--stats", cfg)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		one := make([]byte, 1)
		if _, err := io.ReadFull(out, one); err != nil {
			b.Fatalf("no console output: %v", err)
		}
		firstByte = append(firstByte, time.Since(start))
		io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("run: %v\n%s", err, errb.String())
		}
		total = append(total, time.Since(start))
		m := statsRE.FindStringSubmatch(errb.String())
		h := hcRE.FindStringSubmatch(errb.String())
		if m == nil || h == nil {
			b.Fatalf("no stats:\n%s", errb.String())
		}
		exits, _ = strconv.ParseFloat(m[1], 64)
		ioExits, _ = strconv.ParseFloat(m[2], 64)
		hypercalls, _ = strconv.ParseFloat(h[1], 64)
	}
	b.ReportMetric(median(firstByte), "ms-to-first-byte(median)")
	b.ReportMetric(median(total), "ms-to-exit(median)")
	b.ReportMetric(exits, "exits/boot")
	b.ReportMetric(ioExits, "io-exits/boot")
	b.ReportMetric(hypercalls, "hypercalls/boot")
	b.ReportMetric(0, "ns/op") // wall time per op is the metrics above
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}
