package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
)

// startDaemon runs `xenolith daemon` on a private socket and stops it
// (SIGTERM) when the test ends, with extra daemon flags. It returns the
// socket and the console log directory.
func startDaemon(t testing.TB, extra ...string) (sock, logDir string) {
	t.Helper()
	dir := t.TempDir()
	sock, logDir = filepath.Join(dir, "xenolith.sock"), filepath.Join(dir, "console")
	cmd := exec.Command(xenolith, "daemon", "--socket", sock, "--console-log-dir", logDir, "--xenstored-socket", "", "--shutdown-timeout", "5s")
	cmd.Args = append(cmd.Args, extra...)
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("daemon did not stop on SIGTERM; log:\n%s", errb.String())
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			return sock, logDir
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not create %s; log:\n%s", sock, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// xl runs a xenolith command against the daemon at sock.
func xl(t *testing.T, sock string, args ...string) result {
	t.Helper()
	return run(t, append(args, "--socket", sock)...)
}

// tmuxSession runs shellCmd in a detached tmux session as a user's
// terminal would, and returns functions to type into it and to wait for
// text on its screen.
func tmuxSession(t *testing.T, shellCmd string) (send func(keys ...string), waitFor func(text string) string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing: install it with scripts/deps.sh")
	}
	name := fmt.Sprintf("xenolith-test-%d", os.Getpid())
	if out, err := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", shellCmd).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", name).Run() })
	screen := func() string {
		out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", name, "-S", "-200").Output()
		return string(out)
	}
	send = func(keys ...string) {
		if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", name}, keys...)...).CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys: %v\n%s", err, out)
		}
	}
	waitFor = func(text string) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s := screen()
			if strings.Contains(s, text) {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never appeared on the terminal:\n%s", text, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return send, waitFor
}

// TestCLIUserSession drives the real binary in a terminal as a user would:
// daemon up, create -c the echo guest, type a line and see it echoed,
// detach with Ctrl-], list shows the domain with its Mem and VCPUs,
// shutdown -w, and list no longer shows it.
func TestCLIUserSession(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "echo")
	sock, _ := startDaemon(t)
	send, waitFor := tmuxSession(t, fmt.Sprintf("%s create -c %s --socket %s; echo CLI-EXITED $?; sleep 60",
		xenolith, filepath.Join(repo, "examples/echo.cfg"), sock))
	waitFor("echo>") // capture-pane drops the trailing space
	send("hello from a terminal", "Enter")
	waitFor("echo: hello from a terminal")
	send("C-]")
	waitFor("CLI-EXITED 0")

	r := xl(t, sock, "list")
	if r.status != 0 || !regexp.MustCompile(`(?m)^echo\s+\d+\s+16\s+1\s`).MatchString(r.stdout) || !strings.HasPrefix(r.stdout, "Name") {
		t.Fatalf("list after detaching (status %d):\n%s%s", r.status, r.stdout, r.stderr)
	}
	// A second domain runs beside it; a taken name is refused clearly.
	dup := xl(t, sock, "create", filepath.Join(repo, "examples/echo.cfg"))
	if dup.status != 1 || !strings.Contains(dup.stderr, `"echo"`) {
		t.Errorf("second create with a taken name: status %d stderr %q", dup.status, dup.stderr)
	}
	if r := xl(t, sock, "create", filepath.Join(repo, "examples/idle.cfg")); r.status != 0 {
		t.Errorf("second domain: status %d %s", r.status, r.stderr)
	}
	if r := xl(t, sock, "list"); !strings.Contains(r.stdout, "\nidle ") || !strings.Contains(r.stdout, "\necho ") {
		t.Errorf("two domains not both listed:\n%s", r.stdout)
	}
	if r := xl(t, sock, "shutdown", "-w", "echo"); r.status != 0 {
		t.Fatalf("shutdown -w: status %d %s", r.status, r.stderr)
	}
	if r := xl(t, sock, "list"); strings.Contains(r.stdout, "\necho ") {
		t.Errorf("echo still listed after shutdown -w:\n%s", r.stdout)
	}
	xl(t, sock, "destroy", "idle")
}

// TestCLIErrors: each user error gets one clear message and exit 1.
func TestCLIErrors(t *testing.T) {
	kvmtest.Require(t)
	sock, _ := startDaemon(t)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown domain", []string{"destroy", "nosuch", "--socket", sock}, `domain "nosuch" not found`},
		{"bad config", []string{"create", writeCfg(t, "type = \"pvh\"\nname = \"x\"\nkernel = \"k\"\nmemroy = 4\n"), "--socket", sock}, `domain.cfg:4: unknown key "memroy"`},
		{"no daemon", []string{"list", "--socket", filepath.Join(t.TempDir(), "none.sock")}, `start one with "xenolith daemon"`},
		{"daemon already running", []string{"daemon", "--socket", sock, "--console-log-dir", "", "--xenstored-socket", ""}, "another xenolith daemon is running on " + sock},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.args...)
			if r.status != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("status %d stderr %q; want 1 and %q", r.status, r.stderr, c.want)
			}
		})
	}
}
