package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
)

// waitConsole waits up to 60 s for want in the daemon's console log of
// domain name and returns the log.
func waitConsole(t *testing.T, logDir, name, want string) string {
	t.Helper()
	path := filepath.Join(logDir, name+".log")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never appeared on %s's console:\n%s", want, name, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBlockHotplug: disks attached and detached while the guest runs, as
// xl block-attach, block-list and block-detach, seen by the blkhot guest:
// it finds each new vbd by watching device/vbd, connects, does I/O, and
// disconnects when the back end asks; a paused guest that cannot answer
// is disconnected after the detach timeout.
func TestBlockHotplug(t *testing.T) {
	kvmtest.Require(t)
	sock, logDir := startDaemon(t, "--detach-timeout", "1s")
	dir := t.TempDir()
	rw, ro := filepath.Join(dir, "rw.img"), filepath.Join(dir, "ro.img")
	for _, img := range []struct{ path, mark string }{{rw, "FIRST-DISK"}, {ro, "SECOND-DISK"}} {
		b := make([]byte, 1<<20)
		copy(b, img.mark)
		if err := os.WriteFile(img.path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	roBefore, _ := os.ReadFile(ro)
	cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"hot\"\nkernel = %q\nmemory = 16\ncmdline = \"rounds=3\"\n", guest(t, "blkhot")))
	if r := xl(t, sock, "create", cfg); r.status != 0 {
		t.Fatalf("create: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	domid := strings.TrimSpace(xl(t, sock, "domid", "hot").stdout)

	// Round 1: a writable disk, named the positional way.
	waitConsole(t, logDir, "hot", "blkhot: round 1: waiting for a disk")
	if r := xl(t, sock, "block-attach", "hot", rw+",raw,xvdb,rw"); r.status != 0 {
		t.Fatalf("block-attach: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	waitConsole(t, logDir, "hot", "blkhot: attached vbd 51728: 2048 sectors, backend 0, rw")
	waitConsole(t, logDir, "hot", `blkhot: vbd 51728: sector 0 starts "FIRST-DISK......"`)
	waitConsole(t, logDir, "hot", "blkhot: vbd 51728: wrote and read back sector 1")
	r := xl(t, sock, "block-list", "hot")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	want := regexp.MustCompile(`^51728 0   ` + regexp.QuoteMeta(fmt.Sprintf("%-6s", domid)) + ` 4     \d+ +\d+ +/local/domain/0/backend/vbd/` + domid + `/51728`)
	if r.status != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "Vdev  BE  handle state evt-ch ring-ref BE-path") || !want.MatchString(lines[1]) {
		t.Fatalf("block-list: %d\n%s%s", r.status, r.stdout, r.stderr)
	}

	// Mistakes are refused with the field and the fix; the disk carries on.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"block-attach", "hot", rw + ",raw,xvdb,rw"}, "vdev xvdb (devid 51728) is already attached to domain hot"},
		{[]string{"block-attach", "hot", filepath.Join(dir, "missing.img") + ",raw,xvdc,rw"}, "missing.img: no such file or directory"},
		{[]string{"block-attach", "hot", rw + ",qcow2,xvdc"}, "qcow2"},
		{[]string{"block-detach", "hot", "xvdq"}, "has no disk xvdq"},
		{[]string{"block-detach", "hot", "vda"}, `"vda" is not a disk`},
	} {
		if r := xl(t, sock, tc.args...); r.status != 1 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%q: status %d, stderr %q; want 1 and %q", tc.args, r.status, r.stderr, tc.msg)
		}
	}

	r = xl(t, sock, "block-detach", "hot", "xvdb")
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("block-detach: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	waitConsole(t, logDir, "hot", "blkhot: vbd 51728: detached")
	if r := xl(t, sock, "block-list", "hot"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("block-list after detach:\n%s", r.stdout)
	}
	got, _ := os.ReadFile(rw)
	if line := "blkhot round 1 vbd 51728\n"; !bytes.Equal(got[512:512+len(line)], []byte(line)) || !bytes.HasPrefix(got, []byte("FIRST-DISK")) {
		t.Errorf("rw.img sector 1 = %q, want %q", got[512:512+32], line)
	}

	// Round 2: read-only, xl's key=value form split over arguments,
	// detached by devid.
	waitConsole(t, logDir, "hot", "blkhot: round 2: waiting for a disk")
	if r := xl(t, sock, "block-attach", "hot", "format=raw", "vdev=xvdc", "access=ro", "target="+ro); r.status != 0 {
		t.Fatalf("block-attach: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	waitConsole(t, logDir, "hot", "blkhot: attached vbd 51744: 2048 sectors, backend 0, ro")
	waitConsole(t, logDir, "hot", `blkhot: vbd 51744: sector 0 starts "SECOND-DISK....."`)
	if r := xl(t, sock, "block-detach", "hot", "51744"); r.status != 0 {
		t.Fatalf("block-detach 51744: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	waitConsole(t, logDir, "hot", "blkhot: vbd 51744: detached")

	// Round 3: a guest that does not answer (paused) is disconnected
	// after --detach-timeout; once running again it sees the disk gone.
	waitConsole(t, logDir, "hot", "blkhot: round 3: waiting for a disk")
	if r := xl(t, sock, "block-attach", "hot", rw+",raw,xvdd,rw"); r.status != 0 {
		t.Fatalf("block-attach: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	waitConsole(t, logDir, "hot", "blkhot: vbd 51760: wrote and read back sector 1")
	if r := xl(t, sock, "pause", "hot"); r.status != 0 {
		t.Fatalf("pause: %d\n%s", r.status, r.stderr)
	}
	r = xl(t, sock, "block-detach", "hot", "xvdd")
	if r.status != 0 || !strings.Contains(r.stderr, "Warning: domain hot did not close vdev xvdd in time: disconnected it") {
		t.Fatalf("forced block-detach: %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	if r := xl(t, sock, "block-list", "hot"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("block-list after a forced detach:\n%s", r.stdout)
	}
	if r := xl(t, sock, "unpause", "hot"); r.status != 0 {
		t.Fatalf("unpause: %d\n%s", r.status, r.stderr)
	}
	log := waitConsole(t, logDir, "hot", "blkhot: done")
	if strings.Contains(log, "FAIL") {
		t.Errorf("guest console:\n%s", log)
	}
	if got, _ := os.ReadFile(ro); !bytes.Equal(got, roBefore) {
		t.Error("the read-only image changed")
	}
	if r := xl(t, sock, "dmesg"); !strings.Contains(r.stdout, "disk attached") || !strings.Contains(r.stdout, "disk detached") ||
		!strings.Contains(r.stdout, "vbd front end did not close: disconnecting it") {
		t.Errorf("daemon log lacks the attach and detach lines:\n%s", r.stdout)
	}
}
