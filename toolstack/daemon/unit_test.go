package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/api"
)

// Unit tests without /dev/kvm: the phase machine, the log ring, the
// console hub, the socket lock, name checks.

func TestNextPhase(t *testing.T) {
	legal := map[phase][]phaseEvent{
		phaseBuilding:  {evBuilt},
		phaseLive:      {evEnded, evDestroy},
		phaseEnded:     {evPreserve, evDestroy},
		phasePreserved: {evDestroy},
		phaseDying:     {evGone},
		phaseGone:      nil,
	}
	for from := phaseBuilding; from <= phaseGone; from++ {
		for ev := evBuilt; ev <= evGone; ev++ {
			ok := false
			for _, l := range legal[from] {
				ok = ok || l == ev
			}
			to, err := nextPhase(from, ev)
			if ok && (err != nil || to == from) {
				t.Errorf("%s on %s: %v %v, want a transition", ev, from, to, err)
			}
			if !ok && (!errors.Is(err, ErrPhase) || to != from) {
				t.Errorf("%s on %s: %v %v, want ErrPhase", ev, from, to, err)
			}
		}
	}
}

func TestLogRing(t *testing.T) {
	r := NewLogRing(3)
	fmt.Fprintf(r, "one\ntwo\nthr")
	if got := strings.Join(r.Lines(), ","); got != "one,two" {
		t.Errorf("lines %q", got)
	}
	fmt.Fprintf(r, "ee\nfour\nfive\n")
	if got := strings.Join(r.Lines(), ","); got != "three,four,five" {
		t.Errorf("lines after wrap %q", got)
	}
	fmt.Fprintf(r, "%s\n", strings.Repeat("x", 3*maxLogLineBytes))
	if l := r.Lines(); len(l[2]) != maxLogLineBytes {
		t.Errorf("long line kept as %d bytes", len(l[2]))
	}
	// The logger writes Info to the ring even when stderr shows only warnings.
	ring := NewLogRing(10)
	var stderr strings.Builder
	log := NewLogger(&stderr, slog.LevelWarn, ring)
	log.Info("domain created", "domid", 1)
	log.Warn("trouble")
	if strings.Contains(stderr.String(), "domain created") || !strings.Contains(stderr.String(), "trouble") {
		t.Errorf("stderr %q", stderr.String())
	}
	if l := ring.Lines(); len(l) != 2 || !strings.Contains(l[0], "domain created") || !strings.Contains(l[0], "domid=1") {
		t.Errorf("ring %q", l)
	}
}

func TestHub(t *testing.T) {
	dir := t.TempDir()
	h := newHub(1, filepath.Join(dir, "logs", "vm.log"), 8, slog.New(slog.DiscardHandler))
	h.Write([]byte("0123456789"))
	s, err := h.open("vm", false)
	if err != nil {
		t.Fatal(err)
	}
	hist, out := s.Output()
	if string(hist) != "23456789" {
		t.Errorf("history %q, want the last 8 bytes", hist)
	}
	h.Write([]byte("ab"))
	if p := <-out; string(p) != "ab" {
		t.Errorf("live %q", p)
	}
	if _, err := s.Input(t.Context(), []byte("x")); !errors.Is(err, errConsoleReadOnly) {
		t.Errorf("input on a reader: %v", err)
	}
	if _, err := h.open("vm", true); !errors.Is(err, api.ErrConflict) {
		t.Errorf("writer without a back end: %v, want 409", err)
	}
	h.Write([]byte("cd"))
	h.close()
	var rest []byte
	for p := range out {
		rest = append(rest, p...)
	}
	if string(rest) != "cd" {
		t.Errorf("after close %q", rest)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "logs", "vm.log"))
	if string(b) != "0123456789abcd" {
		t.Errorf("log file %q", b)
	}
	// Sessions opened after the end get the history and a closed channel.
	s2, _ := h.open("vm", false)
	if _, out := s2.Output(); !closedWithin(out, time.Second) {
		t.Error("session on a closed hub stays open")
	}
}

func TestHubDropsASlowSession(t *testing.T) {
	h := newHub(1, "", 0, slog.New(slog.DiscardHandler))
	s, _ := h.open("vm", false)
	_, out := s.Output()
	chunk := make([]byte, 64<<10)
	for range (maxSessionLagBytes / len(chunk)) + 2 {
		h.Write(chunk) // nobody reads: the session falls behind
	}
	n := 0
	for p := range out {
		n += len(p)
	}
	if n > maxSessionLagBytes+len(chunk) {
		t.Errorf("a dropped session got %d bytes", n)
	}
	h.close()
}

func closedWithin(ch <-chan []byte, d time.Duration) bool {
	t := time.After(d)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		case <-t:
			return false
		}
	}
}

func TestSocketLock(t *testing.T) {
	dir, err := os.MkdirTemp("", "xlock")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "sub", "x.sock")
	l1, err := lockSocket(sock)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockSocket(sock)
	want := fmt.Sprintf("another xenolith daemon is running on %s (pid %d)", sock, os.Getpid())
	if !errors.Is(err, ErrAlreadyRunning) || err.Error() != want {
		t.Errorf("second lock: %v, want %q", err, want)
	}
	l1.unlock()
	// A stale socket file is removed; anything else is refused.
	os.WriteFile(sock, nil, 0o600)
	if _, err := lockSocket(sock); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file at the socket path: %v", err)
	}
	os.Remove(sock)
	l, err := listenSocket(sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(sock)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	l.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	l.Close()
	l2, err := lockSocket(sock)
	if err != nil {
		t.Fatalf("lock over a stale socket: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("stale socket not removed: %v", err)
	}
	l2.unlock()
}

func TestCheckName(t *testing.T) {
	for _, n := range []string{"web", "vm-1", "a.b_c", strings.Repeat("x", 64), "ünï"} {
		if err := checkName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "12", "Domain-0", "a/b", "a\nb", strings.Repeat("x", 65), "\xff"} {
		if err := checkName(n); !errors.Is(err, api.ErrBadRequest) {
			t.Errorf("%q: %v, want 400", n, err)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		req          api.CreateRequest
		field, wants string
	}{
		{api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nmemroy = 3\n", File: "/d/x.cfg"}, "config", `/d/x.cfg:3: unknown key "memroy"`},
		{api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nkernel = \"/k\"\non_crash = \"coredump-destroy\"\n", File: "/d/x.cfg"}, "config", `/d/x.cfg:4: key "on_crash": "coredump-destroy" is not supported`},
		{api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nkernel = \"/k\"\n", File: "/d/x.cfg", Overrides: []string{`on_reboot="soft-reset"`}}, "overrides", `command line: key "on_reboot"`},
		{api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nkernel = \"/k\"\n", Overrides: []string{"memory=x"}}, "overrides", "command line"},
		{api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nkernel = \"k\"\n", File: "x.cfg"}, "file", "relative"},
		{api.CreateRequest{Config: "name = \"x\n"}, "config", "config:1"},
	}
	for _, tt := range tests {
		_, _, err := parseConfig(tt.req)
		var e *api.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Field != tt.field || !strings.Contains(e.Message, tt.wants) {
			t.Errorf("%q %q: %v (field %q), want 400 field %q with %q", tt.req.Config, tt.req.Overrides, err, fieldOf(e), tt.field, tt.wants)
		}
	}
}

func fieldOf(e *api.Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}
