package tests

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
	"github.com/xenolith/xenolith/toolstack/api"
)

// conspamPattern regenerates what the conspam guest writes for n bytes:
// 64-byte lines "conspam %08d " + 46 letters 'a'+(i+j)%26 + "\n".
func conspamPattern(n int) string {
	var sb strings.Builder
	for i := 0; i < n/64; i++ {
		fmt.Fprintf(&sb, "conspam %08d ", i)
		for j := 0; j < 46; j++ {
			sb.WriteByte(byte('a' + (i+j)%26))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// TestConsoleRingMiB: a guest printing 1 MiB through the PV console ring
// delivers it complete and in order (checksums compared).
func TestConsoleRingMiB(t *testing.T) {
	kvmtest.Require(t)
	const n = 1 << 20
	cfg := writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"spam\"\nkernel = %q\nmemory = 16\ncmdline = \"bytes=%d via=ring\"\n", guest(t, "conspam"), n))
	r := run(t, "run", cfg)
	if r.status != 0 {
		t.Fatalf("status %d\n%s", r.status, r.stderr)
	}
	want := conspamPattern(n)
	if len(r.stdout) < n {
		t.Fatalf("got %d bytes of console output, want at least %d", len(r.stdout), n)
	}
	got := r.stdout[:n]
	if sha256.Sum256([]byte(got)) != sha256.Sum256([]byte(want)) {
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("console output differs at byte %d: %q, want %q", i, got[i:min(i+40, n)], want[i:min(i+40, n)])
			}
		}
	}
	if !strings.HasPrefix(r.stdout[n:], "conspam: wrote 1048576 bytes via ring in ") {
		t.Errorf("trailer %q", r.stdout[n:])
	}
}

// TestDaemonConsoleMiB: through the daemon, a guest printing 1 MiB over
// its PV console ring delivers it complete and in order both to an
// attached console and to the domain's console log file (checksums).
func TestDaemonConsoleMiB(t *testing.T) {
	kvmtest.Require(t)
	const n = 1 << 20
	sock, logDir := startDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := api.NewClient(sock)
	defer c.Close()
	cfgText := fmt.Sprintf("type = \"pvh\"\nname = \"spam\"\nkernel = %q\nmemory = 16\ncmdline = \"bytes=%d via=ring\"\n", guest(t, "conspam"), n)
	if _, err := c.Create(ctx, api.CreateRequest{Config: cfgText, File: filepath.Join(t.TempDir(), "spam.cfg"), Paused: true}); err != nil {
		t.Fatal(err)
	}
	conn, err := c.Console(ctx, "spam", false)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := c.Unpause(ctx, "spam"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64<<10)
	for !strings.Contains(string(got[max(0, len(got)-200):]), "conspam: wrote") {
		m, err := conn.Read(buf)
		got = append(got, buf[:m]...)
		if err != nil {
			t.Fatalf("console ended after %d bytes: %v", len(got), err)
		}
	}
	want := conspamPattern(n)
	// The attached console carries exactly what the guest printed, from
	// the first byte (the domain was attached while paused).
	if len(got) < n || sha256.Sum256(got[:n]) != sha256.Sum256([]byte(want)) {
		t.Fatalf("attached console: %d bytes, checksum differs from the pattern (first bytes %q)", len(got), got[:min(len(got), 40)])
	}
	// The log file gets the same bytes (poll: it is written as output flows).
	logPath := filepath.Join(logDir, "spam.log")
	var log []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if log, _ = os.ReadFile(logPath); len(log) >= n && strings.Contains(string(log[n:]), "conspam: wrote") {
			break
		}
	}
	if len(log) < n || sha256.Sum256(log[:n]) != sha256.Sum256([]byte(want)) {
		t.Fatalf("log file %s: %d bytes, checksum differs from the pattern", logPath, len(log))
	}
}
