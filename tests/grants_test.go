package tests

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/internal/kvmtest"
)

// TestGranterMapper: two guests share a page through a grant, check the
// data both ways, see end_access refused while mapped and a bad gref
// refused with GNTST_general_error.
func TestGranterMapper(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "granter")
	guest(t, "mapper")
	lines, stderr, status := runStamped(t, "run", filepath.Join(repo, "examples/granter.cfg"), filepath.Join(repo, "examples/mapper.cfg"))
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	find(t, lines, `^\[granter\] granter: granted gref 8 on port 3 to domain 2$`)
	find(t, lines, `^\[mapper\] mapper: mapped gref 8 of domain 1 at 0x[0-9a-f]+$`)
	find(t, lines, `^\[mapper\] mapper: mapping gref 108 failed with GNTST -1$`)
	find(t, lines, `^\[granter\] granter: mapper wrote pattern B; end_access busy while mapped, ok after unmap$`)
	find(t, lines, `^\[mapper\] mapper: ok$`)
	find(t, lines, `^\[granter\] granter: ok$`)
}

// TestXenstoreGuest: a guest reads and writes its own nodes, is refused
// on another domain's, retries a conflicting transaction, and wakes on a
// watch fired by dom0 through Debian's xenstore-write.
func TestXenstoreGuest(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "xsguest")
	tool, err := exec.LookPath("xenstore-write")
	if err != nil {
		t.Fatal("xenstore-write missing: install xenstore-utils (scripts/deps.sh)")
	}
	sock := filepath.Join(t.TempDir(), "xs.sock")
	cmd := exec.Command(xenolith, "run", "--xenstore-socket", sock, filepath.Join(repo, "examples/xsguest.cfg"), filepath.Join(repo, "examples/idle.cfg"))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var lines []stampedLine
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		lines = append(lines, stampedLine{sc.Text(), time.Now()})
		switch {
		case strings.HasSuffix(sc.Text(), "xsguest: waiting for dom0 on data/trigger"):
			w := exec.Command(tool, "/local/domain/1/data/trigger", "from-dom0")
			w.Env = append(os.Environ(), "XENSTORED_PATH="+sock)
			if o, err := w.CombinedOutput(); err != nil {
				t.Fatalf("xenstore-write: %v\n%s", err, o)
			}
		case strings.HasSuffix(sc.Text(), "xsguest: ok"), strings.Contains(sc.Text(), "FAIL"):
			cmd.Process.Signal(syscall.SIGINT)
		}
	}
	cmd.Wait()
	for _, re := range []string{
		`^\[xsguest\] xsguest: wrote and read data/hello = world$`,
		`^\[xsguest\] xsguest: data has 2 entries$`,
		`^\[xsguest\] xsguest: writing /local/domain/2/data/x refused: EACCES$`,
		`^\[xsguest\] xsguest: reading /local/domain/2/name refused: EACCES$`,
		`^\[xsguest\] xsguest: transaction retried after EAGAIN: ok$`,
		`^\[xsguest\] xsguest: dom0 wrote data/trigger = from-dom0$`,
		`^\[xsguest\] xsguest: ok$`,
	} {
		find(t, lines, re)
	}
	// xsguest powered off; the idle domain was destroyed by the interrupt.
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(errb.String(), "domain idle (domid 2) destroyed: interrupted") {
		t.Errorf("exit status %d, stderr %q; want 130 and idle destroyed", code, errb.String())
	}
}

// TestCopierWithDom0Buffer: dom0 grants a page of its own to a guest,
// which copies it in and writes its own pattern back with GNTTABOP_copy.
func TestCopierWithDom0Buffer(t *testing.T) {
	kvmtest.Require(t)
	img, err := os.ReadFile(guest(t, "copier"))
	if err != nil {
		t.Fatal(err)
	}
	host, err := domains.OpenHost()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	reg := domains.NewRegistry(host, nil)
	defer reg.Close()
	dom0 := reg.Dom0()
	gfn, page, err := dom0.AllocDom0Page()
	if err != nil {
		t.Fatal(err)
	}
	for i := range page {
		page[i] = byte(i*7 + 1)
	}
	var console bytes.Buffer
	const n = 1000
	d, err := reg.Create(domains.Config{Name: "copier", MemoryMiB: 16, VCPUs: 1, Kernel: img, Cmdline: "gref=8 len=1000", Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	if err := dom0.GrantAccess(8, d.ID, gfn, false); err != nil {
		t.Fatal(err)
	}
	d.Unpause()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { d.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.Destroy()
		t.Fatalf("copier did not finish:\n%s", console.String())
	}
	if st, _, detail := d.State(); st != domains.Shutdown {
		t.Fatalf("copier ended %v (%s):\n%s", st, detail, console.String())
	}
	for _, want := range []string{"copier: copied 1000 bytes in and out; crossing copy gave GNTST -10\n", "copier: ok\n"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console.String())
		}
	}
	for i := range page {
		want := byte(i*7 + 1)
		if i < n {
			want = byte(i*13 + 5)
		}
		if page[i] != want {
			t.Fatalf("dom0 page byte %d = %#x, want %#x", i, page[i], want)
		}
	}
	d.Destroy()
	if err := dom0.EndAccess(8); err != nil {
		t.Errorf("dom0 ending access after the copier: %v", err)
	}
}
