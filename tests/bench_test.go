package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
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

// guestCfg writes a config for guest name with cmdline into dir.
func guestCfg(b testing.TB, dir, name, kernel, cmdline string) string {
	b.Helper()
	p := filepath.Join(dir, name+".cfg")
	body := fmt.Sprintf("type = \"pvh\"\nname = %q\nkernel = %q\nmemory = 16\ncmdline = %q\n", name, guest(b, kernel), cmdline)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// runForStats runs xenolith run --stats and returns stdout and stderr.
func runForStats(b testing.TB, args ...string) (string, string) {
	b.Helper()
	r := run(b, append([]string{"run", "--stats"}, args...)...)
	if r.status != 0 {
		b.Fatalf("xenolith %v: status %d\n%s\n%s", args, r.status, r.stdout, r.stderr)
	}
	return r.stdout, r.stderr
}

// domainExits returns the total exits --stats reported for a domain.
func domainExits(b testing.TB, stderr, name string) float64 {
	m := regexp.MustCompile(`stats: domain ` + name + ` domid \d+:.*\nstats: exits (\d+):`).FindStringSubmatch(stderr)
	if m == nil {
		b.Fatalf("no exit stats for %s in:\n%s", name, stderr)
	}
	return num(m[1])
}

// BenchmarkEventChannels measures, in one run: the floor (a bare port-I/O
// exit round trip and a null hypercall, timed in the guest with pvclock),
// interdomain round-trip latency p50/p99 with exits per event (ping/pong),
// and one-way notification throughput with exits per event (flood).
//
//	go test -run XXX -bench EventChannels -benchtime 1x ./tests/
func BenchmarkEventChannels(b *testing.B) {
	kvmtest.Require(b)
	const rtts, floods, floorN = 2000, 5000, 5000
	dir := b.TempDir()
	for b.Loop() {
		out, _ := runForStats(b, guestCfg(b, dir, "floor", "exitfloor", fmt.Sprintf("count=%d", floorN)))
		fm := regexp.MustCompile(`port-I/O exits (\d+) ns each, \d+ hypercalls (\d+) ns each`).FindStringSubmatch(out)
		if fm == nil {
			b.Fatalf("exitfloor output: %s", out)
		}

		out, errs := runForStats(b,
			guestCfg(b, dir, "pong", "pong", fmt.Sprintf("remote_domid=2 count=%d", rtts)),
			guestCfg(b, dir, "ping", "ping", fmt.Sprintf("remote_domid=1 remote_port=3 count=%d", rtts)))
		pm := regexp.MustCompile(`ping: (\d+) round trips, 0 lost, 0 duplicated, rtt_ns p50 (\d+) p99 (\d+)`).FindStringSubmatch(out)
		if pm == nil {
			b.Fatalf("ping output: %s", out)
		}
		// Two events per round trip; both domains' exits count.
		rttExitsPerEvent := (domainExits(b, errs, "ping") + domainExits(b, errs, "pong")) / (2 * rtts)

		out, errs = runForStats(b,
			guestCfg(b, dir, "recv", "flood", "role=recv remote_domid=2"),
			guestCfg(b, dir, "send", "flood", fmt.Sprintf("role=send remote_domid=1 remote_port=3 count=%d", floods)))
		sm := regexp.MustCompile(`flood: sent (\d+) in (\d+) ns`).FindStringSubmatch(out)
		rm := regexp.MustCompile(`flood: received (\d+) upcalls in (\d+) ns`).FindStringSubmatch(out)
		if sm == nil || rm == nil {
			b.Fatalf("flood output: %s", out)
		}
		sendRate := num(sm[1]) / (num(sm[2]) / 1e9)
		recvRate := num(rm[1]) / (num(rm[2]) / 1e9)
		sendExits := domainExits(b, errs, "send") / num(sm[1])
		recvExits := domainExits(b, errs, "recv") / num(rm[1])

		b.ReportMetric(num(fm[1])/1000, "us/portio-exit(floor)")
		b.ReportMetric(num(fm[2])/1000, "us/null-hypercall")
		b.ReportMetric(num(pm[2])/1000, "us-rtt-p50")
		b.ReportMetric(num(pm[3])/1000, "us-rtt-p99")
		b.ReportMetric(rttExitsPerEvent, "exits/event(rtt)")
		b.ReportMetric(sendRate, "oneway-sent/s")
		b.ReportMetric(recvRate, "oneway-upcalls/s")
		b.ReportMetric(sendExits, "exits/sent-event")
		b.ReportMetric(recvExits, "exits/received-event")
		b.ReportMetric(num(pm[2])/num(fm[1]), "rtt-p50/floor")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkGrantsAndXenstore measures, in one run: 4 KiB GNTTABOP_copy
// from a guest (MB/s) beside a host memcpy of the same size, grant
// map+unmap pairs/s from a guest, and xenstore writes and reads per second
// over a guest's ring.
//
//	go test -run XXX -bench GrantsAndXenstore -benchtime 1x ./tests/
func BenchmarkGrantsAndXenstore(b *testing.B) {
	kvmtest.Require(b)
	const n = 1000
	dir := b.TempDir()
	for b.Loop() {
		out, errs := runForStats(b, guestCfg(b, dir, "gntbench", "gntbench", fmt.Sprintf("count=%d", n)))
		cm := regexp.MustCompile(`gntbench: copy (\d+) x 4096 bytes in (\d+) ns`).FindStringSubmatch(out)
		mm := regexp.MustCompile(`gntbench: map\+unmap (\d+) pairs in (\d+) ns`).FindStringSubmatch(out)
		if cm == nil || mm == nil {
			b.Fatalf("gntbench output: %s\n%s", out, errs)
		}
		src, dst := make([]byte, 4096), make([]byte, 4096)
		start := time.Now()
		for i := 0; i < 100000; i++ {
			copy(dst, src)
		}
		memcpyMBs := 4096 * 100000 / time.Since(start).Seconds() / 1e6
		copyMBs := num(cm[1]) * 4096 / (num(cm[2]) / 1e9) / 1e6

		out, errs = runForStats(b, guestCfg(b, dir, "xsbench", "xsbench", fmt.Sprintf("count=%d", n/2)))
		xm := regexp.MustCompile(`xsbench: (\d+) writes in (\d+) ns, (\d+) reads in (\d+) ns`).FindStringSubmatch(out)
		if xm == nil {
			b.Fatalf("xsbench output: %s\n%s", out, errs)
		}
		b.ReportMetric(copyMBs, "guest-grantcopy-MB/s")
		b.ReportMetric(memcpyMBs, "host-memcpy-MB/s")
		b.ReportMetric(num(mm[1])/(num(mm[2])/1e9), "guest-map+unmap-pairs/s")
		b.ReportMetric(num(xm[1])/(num(xm[2])/1e9), "ring-xs-writes/s")
		b.ReportMetric(num(xm[3])/(num(xm[4])/1e9), "ring-xs-reads/s")
		b.ReportMetric(domainExits(b, errs, "xsbench")/float64(n), "exits/ring-xs-op")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkConsole measures guest console output through the PV console
// ring (xencons, served by the console back end) beside console_io
// hypercalls, in one run: KiB/s as the guest times it (the ring until the
// back end has read the last byte) and exits per KiB.
//
//	go test -run XXX -bench Console -benchtime 1x ./tests/
func BenchmarkConsole(b *testing.B) {
	kvmtest.Require(b)
	const n = 256 << 10
	dir := b.TempDir()
	for b.Loop() {
		for _, via := range []string{"ring", "io"} {
			out, errs := runForStats(b, guestCfg(b, dir, "spam"+via, "conspam", fmt.Sprintf("bytes=%d via=%s", n, via)))
			m := regexp.MustCompile(`conspam: wrote (\d+) bytes via \w+ in (\d+) ns`).FindStringSubmatch(out)
			if m == nil || !strings.HasPrefix(out, "conspam 00000000 ") {
				b.Fatalf("conspam via %s output: %.200s\n%s", via, out, errs)
			}
			kib := num(m[1]) / 1024
			b.ReportMetric(kib/(num(m[2])/1e9), via+"-KiB/s")
			b.ReportMetric(domainExits(b, errs, "spam"+via)/kib, via+"-exits/KiB")
		}
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkCreateFirstByte measures `xenolith create -c examples/hello.cfg`
// against a running daemon as a user sees it: from starting the command to
// the guest's first console byte on its stdout, median over the runs.
//
//	go test -run XXX -bench CreateFirstByte -benchtime 5x ./tests/
func BenchmarkCreateFirstByte(b *testing.B) {
	kvmtest.Require(b)
	guest(b, "hello")
	sock, _ := startDaemon(b)
	var firstByte []time.Duration
	for b.Loop() {
		cmd := exec.Command(xenolith, "create", "-c", filepath.Join(repo, "examples/hello.cfg"), "--socket", sock)
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
			b.Fatalf("no console output: %v\n%s", err, errb.String())
		}
		firstByte = append(firstByte, time.Since(start))
		io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("create -c: %v\n%s", err, errb.String())
		}
	}
	b.ReportMetric(median(firstByte), "ms-create-to-first-byte(median)")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkBlock measures PV block I/O from a guest (blkbench through
// blkfront and blkback) beside the same I/O done by this host process on
// the same image file, in one run: sequential MB/s in 128 KiB calls and
// random 4 KiB IOPS, their guest/host ratios, and exits per MiB moved,
// with blkfront's 32-segment indirect requests and again with direct
// 11-segment requests only (segs=11).
//
//	go test -run XXX -bench Block -benchtime 1x ./tests/
func BenchmarkBlock(b *testing.B) {
	kvmtest.Require(b)
	const mib, count = 2, 200
	dir := b.TempDir()
	img := filepath.Join(dir, "bench.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		b.Fatal(err)
	}
	type guestRun struct{ seqW, seqR, randR, randW, exitsPerMiB, seqBytes float64 }
	guestBench := func(segs int) guestRun {
		cfg := filepath.Join(dir, "blkbench.cfg")
		os.WriteFile(cfg, []byte(fmt.Sprintf("type = \"pvh\"\nname = \"blkbench\"\nkernel = %q\nmemory = 16\ncmdline = \"mib=%d count=%d segs=%d\"\ndisk = [ %q ]\n",
			guest(b, "blkbench"), mib, count, segs, img+",raw,xvda,rw")), 0o644)
		out, errs := runForStats(b, cfg)
		get := func(re string) []string {
			m := regexp.MustCompile(re).FindStringSubmatch(out)
			if m == nil {
				b.Fatalf("blkbench output lacks %q:\n%s\n%s", re, out, errs)
			}
			return m
		}
		get(fmt.Sprintf(`blkbench: segments %d\n`, segs))
		sw, sr := get(`seq-write (\d+) bytes in (\d+) ns`), get(`seq-read (\d+) bytes in (\d+) ns`)
		rr, rw := get(`rand-read (\d+) x 4096 in (\d+) ns`), get(`rand-write (\d+) x 4096 in (\d+) ns`)
		moved := (num(sw[1]) + num(sr[1]) + 4096*(num(rr[1])+num(rw[1]))) / (1 << 20)
		return guestRun{
			seqW: num(sw[1]) / num(sw[2]) * 1e3, seqR: num(sr[1]) / num(sr[2]) * 1e3, // MB/s
			randR: num(rr[1]) / (num(rr[2]) / 1e9), randW: num(rw[1]) / (num(rw[2]) / 1e9),
			exitsPerMiB: domainExits(b, errs, "blkbench") / moved, seqBytes: num(sw[1]),
		}
	}
	for b.Loop() {
		ind, dir := guestBench(32), guestBench(11)

		f, err := os.OpenFile(img, os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 128<<10)
		n := int64(ind.seqBytes)
		start := time.Now()
		for off := int64(0); off+int64(len(buf)) <= n; off += int64(len(buf)) {
			f.WriteAt(buf, off)
		}
		f.Sync()
		hostSeqW := float64(n) / time.Since(start).Seconds() / 1e6
		start = time.Now()
		for off := int64(0); off+int64(len(buf)) <= n; off += int64(len(buf)) {
			f.ReadAt(buf, off)
		}
		hostSeqR := float64(n) / time.Since(start).Seconds() / 1e6
		seed := uint64(1)
		page := buf[:4096]
		start = time.Now()
		for i := 0; i < count; i++ {
			seed = seed*6364136223846793005 + 1442695040888963407
			f.ReadAt(page, int64((seed>>33)%(mib<<8))*4096)
		}
		hostRR := float64(count) / time.Since(start).Seconds()
		start = time.Now()
		for i := 0; i < count; i++ {
			seed = seed*6364136223846793005 + 1442695040888963407
			f.WriteAt(page, int64((seed>>33)%(mib<<8))*4096)
		}
		hostRW := float64(count) / time.Since(start).Seconds()
		f.Close()

		b.ReportMetric(ind.seqW, "guest-seqwrite-MB/s")
		b.ReportMetric(ind.seqR, "guest-seqread-MB/s")
		b.ReportMetric(ind.randR, "guest-randread-IOPS")
		b.ReportMetric(ind.randW, "guest-randwrite-IOPS")
		b.ReportMetric(dir.seqW, "guest-direct-seqwrite-MB/s")
		b.ReportMetric(dir.seqR, "guest-direct-seqread-MB/s")
		b.ReportMetric(hostSeqW, "host-seqwrite-MB/s")
		b.ReportMetric(hostSeqR, "host-seqread-MB/s")
		b.ReportMetric(hostRR, "host-randread-IOPS")
		b.ReportMetric(hostRW, "host-randwrite-IOPS")
		b.ReportMetric(ind.seqR/hostSeqR, "seqread-guest/host")
		b.ReportMetric(ind.randR/hostRR, "randread-guest/host")
		b.ReportMetric(ind.exitsPerMiB, "exits/MiB")
		b.ReportMetric(dir.exitsPerMiB, "direct-exits/MiB")
		b.ReportMetric(0, "ns/op")
	}
}
