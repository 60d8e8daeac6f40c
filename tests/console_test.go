package tests

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/xenolith/xenolith/internal/kvmtest"
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
