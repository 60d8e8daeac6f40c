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

// TestBlockHostileFrontEnd: the blkevil guest breaks the blkif protocol
// one way per subtest, each in its own domain of one daemon. Bad requests
// (bogus grefs, sectors past the end, too many segments, a write to an
// access=ro disk) get
// BLKIF_RSP_ERROR and the device carries on (a good read after them is
// answered and the front end can close it); a req_prod that jumps ahead or
// runs backwards, or a ring-ref the guest never granted, gets the front
// end disconnected (back end Closing). The daemon logs each problem with
// the domid. Throughout, a bystander domain keeps running, and afterwards
// the daemon still lists domains and serves a well-behaved blktest guest.
func TestBlockHostileFrontEnd(t *testing.T) {
	kvmtest.Require(t)
	evil, lifecycle, blktest := guest(t, "blkevil"), guest(t, "lifecycle"), guest(t, "blktest")
	sock, _ := startDaemon(t)
	bystander := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"bystander\"\nkernel = %q\nmemory = 16\ncmdline = \"end=halt\"\n", lifecycle))
	if r := xl(t, sock, "create", bystander); r.status != 0 {
		t.Fatalf("create bystander: status %d\n%s%s", r.status, r.stdout, r.stderr)
	}

	const imageBytes = 1 << 20 // 2048 sectors
	for _, c := range []struct {
		name  string
		lines []string // after "blkevil: case <name>: "
		log   string   // in a daemon log line naming the domid
	}{
		{"badgref", []string{"bogus gref -> status -1 (BLKIF_RSP_ERROR)", "good read after -> status 0 (BLKIF_RSP_OKAY)", "closed"},
			"map gref 511"},
		{"badwrite", []string{"bogus second gref -> status -1 (BLKIF_RSP_ERROR)", "good read after -> status 0 (BLKIF_RSP_OKAY)", "sectors 0-7 unchanged", "closed"},
			"map gref 9999"},
		{"pastend", []string{"read at sector 2048 -> status -1 (BLKIF_RSP_ERROR)", "good read after -> status 0 (BLKIF_RSP_OKAY)", "closed"},
			"past the end of the disk"},
		{"rowrite", []string{"write to a read-only disk -> status -1 (BLKIF_RSP_ERROR)", "good read after -> status 0 (BLKIF_RSP_OKAY)", "sectors 0-7 unchanged", "closed"},
			"write to a read-only disk"},
		{"toomany", []string{"12 segments -> status -1 (BLKIF_RSP_ERROR)", "good read after -> status 0 (BLKIF_RSP_OKAY)", "closed"},
			"12 segments (want 1..11)"},
		{"jump", []string{"good read -> status 0 (BLKIF_RSP_OKAY)", "req_prod 1 -> 34", "back end state 5: disconnected"},
			"ring index out of range: req_prod 34"},
		{"backwards", []string{"good read -> status 0 (BLKIF_RSP_OKAY)", "req_prod 1 -> 0", "back end state 5: disconnected"},
			"ring index out of range: req_prod 0"},
		{"badring", []string{"ring-ref 511 never granted", "back end state 5: refused"},
			"connect ring-ref 511"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, access := "evil-"+c.name, "rw"
			if c.name == "rowrite" {
				access = "ro"
			}
			img := filepath.Join(t.TempDir(), "disk.img")
			if err := os.WriteFile(img, make([]byte, imageBytes), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = %q\nkernel = %q\nmemory = 16\ncmdline = \"devid=51712 case=%s\"\ndisk = [ %q ]\n",
				name, evil, c.name, img+",raw,xvda,"+access))
			r := xl(t, sock, "create", "-c", cfg)
			prefix := "blkevil: case " + c.name + ": "
			if r.status != 0 || !strings.Contains(r.stdout, prefix+"PASS\n") {
				t.Fatalf("status %d\n%s%s", r.status, r.stdout, r.stderr)
			}
			for _, l := range c.lines {
				if !strings.Contains(r.stdout, prefix+l+"\n") {
					t.Errorf("console lacks %q:\n%s", prefix+l, r.stdout)
				}
			}
			got, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != imageBytes || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
				t.Errorf("image changed (%d bytes, not all zero)", len(got))
			}
			waitDomainLog(t, sock, name, c.log)
		})
	}

	r := xl(t, sock, "list")
	m := regexp.MustCompile(`(?m)^bystander\s+\d+\s+16\s+1\s+(\S+)\s`).FindStringSubmatch(r.stdout)
	if r.status != 0 || m == nil || strings.ContainsAny(m[1], "scd") {
		t.Fatalf("list after the hostile front ends (status %d): bystander not running:\n%s%s", r.status, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "evil-") {
		t.Errorf("a blkevil domain is still listed:\n%s", r.stdout)
	}
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"blk\"\nkernel = %q\nmemory = 16\ncmdline = \"devid=51712 mib=1\"\ndisk = [ %q ]\n",
		blktest, img+",raw,xvda,rw"))
	if r := xl(t, sock, "create", "-c", cfg); r.status != 0 || !strings.Contains(r.stdout, "blktest: wrote and verified 1 MiB in ") {
		t.Fatalf("well-behaved blktest after the hostile ones: status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	got, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := blktestPattern(1 << 20); !bytes.Equal(got[:len(want)], want) {
		t.Errorf("blktest's image does not hold the pattern")
	}
	// It ignores shutdown requests: do not let the daemon wait for it at exit.
	if r := xl(t, sock, "destroy", "bystander"); r.status != 0 {
		t.Errorf("destroy bystander: status %d %s", r.status, r.stderr)
	}
}

// waitDomainLog waits (5 s at most: the back end may log just after the
// guest saw its state change) until `xenolith dmesg` has, after domain
// name's "domain created" line, a line with that domid and want.
func waitDomainLog(t *testing.T, sock, name, want string) {
	t.Helper()
	created := regexp.MustCompile(`msg="domain created" domain=` + regexp.QuoteMeta(name) + ` domid=(\d+) `)
	var lines []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := xl(t, sock, "dmesg")
		if r.status != 0 {
			t.Fatalf("dmesg: status %d %s", r.status, r.stderr)
		}
		lines = strings.Split(r.stdout, "\n")
		domid := ""
		for i, l := range lines {
			if m := created.FindStringSubmatch(l); m != nil {
				domid, lines = m[1], lines[i+1:] // domids may be reused: only what follows
				break
			}
		}
		if domid != "" {
			for _, l := range lines {
				if strings.Contains(l, " domid="+domid+" ") && strings.Contains(l, want) {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("dmesg has no line with domain %s's domid (%q) and %q after its creation:\n%s",
				name, domid, want, strings.Join(lines, "\n"))
			return
		}
	}
}
