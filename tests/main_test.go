package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// repo is the repository root; xenolith is a binary built from this tree.
var repo, xenolith string

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	repo = filepath.Dir(filepath.Dir(file))
	dir, err := os.MkdirTemp("", "xenolith-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	xenolith = filepath.Join(dir, "xenolith")
	build := exec.Command("go", "build", "-o", xenolith, "./cmd/xenolith")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building xenolith: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guest returns the path of a guest image built by `make guests`.
func guest(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(repo, "build", "guests", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("guest image %s missing: run `make all` first", p)
	}
	return p
}

// result is one finished xenolith invocation.
type result struct {
	stdout, stderr string
	status         int
}

func run(t testing.TB, args ...string) result {
	t.Helper()
	cmd := exec.Command(xenolith, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("xenolith %v: %v", args, err)
	}
	return r
}

// writeCfg writes an xl.cfg in a temp dir and returns its path.
func writeCfg(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "domain.cfg")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
