package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xenolith/xenolith/internal/kvmtest"
)

// blktestPattern is what the blktest guest writes: the byte at disk
// offset o is (o*31 + (o>>12)*7 + 1) & 0xff.
func blktestPattern(n int) []byte {
	b := make([]byte, n)
	for o := range b {
		b[o] = byte(o*31 + (o>>12)*7 + 1)
	}
	return b
}

// TestBlockGuest: the blktest guest writes a pattern through blkfront and
// blkback with requests crossing segment and page boundaries, flushes,
// reads it back and verifies it; the image then holds exactly the pattern.
// Direct requests only (segs=11), so calls need more requests than the
// ring holds.
func TestBlockGuest(t *testing.T) {
	kvmtest.Require(t)
	const mib = 2
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"blk\"\nkernel = %q\nmemory = 16\ncmdline = \"devid=51712 mib=%d segs=11\"\ndisk = [ %q ]\n",
		guest(t, "blktest"), mib, img+",raw,xvda,rw"))
	r := run(t, "run", cfg)
	if r.status != 0 || !strings.Contains(r.stdout, fmt.Sprintf("blktest: wrote and verified %d MiB in ", mib)) || !strings.Contains(r.stdout, "; flush ok") {
		t.Fatalf("status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "blktest: vbd 51712: 32768 sectors of 512 bytes, backend 0, flush-cache 1 barrier 1 discard 1 persistent 1 segments 11\n") ||
		!strings.Contains(r.stdout, " requests (0 indirect); flush ok") {
		t.Errorf("negotiated features:\n%s", r.stdout)
	}
	got, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := blktestPattern(mib << 20); !bytes.Equal(got[:len(want)], want) {
		t.Errorf("image does not hold the pattern")
	}
	if bytes.ContainsFunc(got[mib<<20:], func(r rune) bool { return r != 0 }) {
		t.Errorf("bytes beyond the %d MiB written changed", mib)
	}
}

// TestBlockGuestThroughDaemon: the daemon attaches a domain's disk= images
// the same way (create -c shows the guest's verdict); blkfront uses
// 32-segment indirect requests, as the back end offers them.
func TestBlockGuestThroughDaemon(t *testing.T) {
	kvmtest.Require(t)
	sock, _ := startDaemon(t)
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"blk\"\nkernel = %q\nmemory = 16\ncmdline = \"devid=51712 mib=1\"\ndisk = [ %q ]\n",
		guest(t, "blktest"), img+",raw,xvda,rw"))
	r := xl(t, sock, "create", "-c", cfg)
	if r.status != 0 || !strings.Contains(r.stdout, "blktest: wrote and verified 1 MiB in ") {
		t.Fatalf("status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, " persistent 1 segments 32\n") || !regexp.MustCompile(`requests \([1-9]\d* indirect\)`).MatchString(r.stdout) {
		t.Errorf("no indirect requests:\n%s", r.stdout)
	}
	got, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := blktestPattern(1 << 20); !bytes.Equal(got[:len(want)], want) {
		t.Errorf("image does not hold the pattern")
	}
}
