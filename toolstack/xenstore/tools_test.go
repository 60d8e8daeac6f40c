package xenstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// Tests with Debian's xenstore-utils: the real libxenstore clients, pointed
// at a server on a temporary socket with XENSTORED_PATH (digest 8.6).

var xenTools = []string{"xenstore-read", "xenstore-write", "xenstore-ls", "xenstore-list",
	"xenstore-exists", "xenstore-rm", "xenstore-chmod", "xenstore-watch"}

type xenToolsEnv struct {
	t    *testing.T
	s    *Server
	path string
}

func newXenToolsEnv(t *testing.T) *xenToolsEnv {
	t.Helper()
	for _, tool := range xenTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install xenstore-utils (scripts/deps.sh)", tool)
		}
	}
	s, path := startSocketServer(t, Config{})
	return &xenToolsEnv{t: t, s: s, path: path}
}

// cmd returns a command running a Xen tool against the test server.
func (e *xenToolsEnv) cmd(ctx context.Context, tool string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, tool, args...)
	c.Env = append(os.Environ(), "XENSTORED_PATH="+e.path)
	return c
}

// run runs a tool and returns stdout, stderr and the exit status.
func (e *xenToolsEnv) run(tool string, args ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := e.cmd(ctx, tool, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatalf("%s %v: %v", tool, args, err)
		}
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		e.t.Fatalf("%s %v: timed out", tool, args)
	}
	return out.String(), errb.String(), code
}

// ok runs a tool that must succeed and returns its stdout.
func (e *xenToolsEnv) ok(tool string, args ...string) string {
	e.t.Helper()
	out, errs, code := e.run(tool, args...)
	if code != 0 {
		e.t.Fatalf("%s %v: exit %d: %s", tool, args, code, errs)
	}
	return out
}

// tool-independent view of the store, through the Go API.
func (e *xenToolsEnv) read(path string) (string, error) {
	v, err := e.s.call(hypercall.XsRead, args(path))
	return string(v), err
}

func (e *xenToolsEnv) perms(path string) string {
	p, err := e.s.call(hypercall.XsGetPerms, args(path))
	if err != nil {
		e.t.Fatalf("GET_PERMS %s: %v", path, err)
	}
	return strings.Join(payloadStrings(p), ",")
}

func TestXenToolsReadWrite(t *testing.T) {
	e := newXenToolsEnv(t)
	e.ok("xenstore-write", "/vm/a", "1", "/vm/b", "two words", "/vm/c/d", "")
	for p, want := range map[string]string{"/vm/a": "1", "/vm/b": "two words", "/vm/c/d": "", "/vm/c": ""} {
		if got, err := e.read(p); err != nil || got != want {
			t.Errorf("%s = %q %v, want %q", p, got, err, want)
		}
	}
	if got := e.ok("xenstore-read", "/vm/a", "/vm/b"); got != "1\ntwo words\n" {
		t.Errorf("xenstore-read: %q", got)
	}
	if got := e.ok("xenstore-read", "-p", "/vm/b"); got != "/vm/b: two words\n" {
		t.Errorf("xenstore-read -p: %q", got)
	}
	_, errs, code := e.run("xenstore-read", "/vm/missing")
	if code != 1 || !strings.Contains(errs, "couldn't read path /vm/missing") {
		t.Errorf("missing: exit %d, %q", code, errs)
	}
	// Relative paths are dom0's: /local/domain/0.
	e.ok("xenstore-write", "relative/key", "r")
	if got, _ := e.read("/local/domain/0/relative/key"); got != "r" {
		t.Errorf("relative write landed elsewhere: %q", got)
	}
	if got := e.ok("xenstore-read", "relative/key"); got != "r\n" {
		t.Errorf("relative read: %q", got)
	}
	// Invalid path: the tool reports the error.
	if _, _, code := e.run("xenstore-write", "/bad//path", "x"); code == 0 {
		t.Error("invalid path accepted")
	}
}

func TestXenToolsLs(t *testing.T) {
	e := newXenToolsEnv(t)
	e.ok("xenstore-write", "/t/a", "1", "/t/a/b", "x", "/t/c", "", "/t/a/b/deep", "d")
	if _, err := e.s.call(hypercall.XsSetPerms, args("/t/c", "n0", "r5", "b7")); err != nil {
		t.Fatal(err)
	}
	want := "a = \"1\"\n b = \"x\"\n  deep = \"d\"\nc = \"\"\n"
	if got := e.ok("xenstore-ls", "/t"); got != want {
		t.Errorf("xenstore-ls:\n%s\nwant:\n%s", got, want)
	}
	want = "/t/a = \"1\"\n/t/a/b = \"x\"\n/t/a/b/deep = \"d\"\n/t/c = \"\"\n"
	if got := e.ok("xenstore-ls", "-f", "/t"); got != want {
		t.Errorf("xenstore-ls -f:\n%s\nwant:\n%s", got, want)
	}
	// -p: the value, a dotted filler, the permissions in parentheses.
	line := regexp.MustCompile(`^( *)(\S+) = "(.*)"[ .]*\((.*)\)$`)
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(e.ok("xenstore-ls", "-p", "/t"), "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("xenstore-ls -p line %q", l)
		}
		got = append(got, fmt.Sprintf("%d %s=%s %s", len(m[1]), m[2], m[3], m[4]))
	}
	if w := []string{"0 a=1 n0", "1 b=x n0", "2 deep=d n0", "0 c= n0,r5,b7"}; strings.Join(got, "|") != strings.Join(w, "|") {
		t.Errorf("xenstore-ls -p: %v, want %v", got, w)
	}
	// The whole tree, from the root, starts with C xenstored's nodes.
	if out := e.ok("xenstore-ls"); !strings.HasPrefix(out, "tool = \"\"\n xenstored = \"\"\nlocal = \"\"\n domain = \"\"\n  0 = \"\"\n   name = \"Domain-0\"\n") {
		t.Errorf("xenstore-ls /:\n%s", out)
	}
	// Non-printable values are escaped by the tool, as for C xenstored.
	if _, err := e.s.call(hypercall.XsWrite, append(args("/t/bin"), "\x01\x7fx"...)); err != nil {
		t.Fatal(err)
	}
	if out := e.ok("xenstore-ls", "/t"); !strings.Contains(out, `bin = "\001\x7fx"`) {
		t.Errorf("escaped value:\n%s", out)
	}
	_, errs, code := e.run("xenstore-ls", "/nope")
	if code == 0 || !strings.Contains(errs, "No such file or directory") {
		t.Errorf("xenstore-ls /nope: exit %d %q", code, errs)
	}
}

func TestXenToolsListExistsRm(t *testing.T) {
	e := newXenToolsEnv(t)
	e.ok("xenstore-write", "/l/one", "1", "/l/two/x", "2", "/l/three", "3")
	if got := e.ok("xenstore-list", "/l"); got != "one\ntwo\nthree\n" {
		t.Errorf("xenstore-list: %q", got)
	}
	if got := e.ok("xenstore-list", "-p", "/l"); got != "/l/one\n/l/two\n/l/three\n" {
		t.Errorf("xenstore-list -p: %q", got)
	}
	if _, _, code := e.run("xenstore-exists", "/l/two/x"); code != 0 {
		t.Errorf("exists: exit %d", code)
	}
	if _, _, code := e.run("xenstore-exists", "/l/four"); code != 1 {
		t.Errorf("missing exists: exit %d", code)
	}
	e.ok("xenstore-rm", "/l/two")
	if _, err := e.read("/l/two/x"); err != hypercall.ENOENT {
		t.Errorf("after rm: %v", err)
	}
	e.ok("xenstore-rm", "/l/gone") // missing, parent exists: fine
	if _, errs, code := e.run("xenstore-rm", "/nope/x"); code != 1 || !strings.Contains(errs, "could not remove path /nope/x") {
		t.Errorf("rm without parent: exit %d %q", code, errs)
	}
	// -t tidies empty parents.
	e.ok("xenstore-write", "/tidy/a/b/c", "v", "/tidy/keep", "k")
	e.ok("xenstore-rm", "-t", "/tidy/a/b/c")
	if _, err := e.read("/tidy/a"); err != hypercall.ENOENT {
		t.Errorf("rm -t left /tidy/a: %v", err)
	}
	if got := e.ok("xenstore-list", "/tidy"); got != "keep\n" {
		t.Errorf("after rm -t: %q", got)
	}
	// A directory over 4096 bytes: DIRECTORY is E2BIG, the tools fall
	// back to DIRECTORY_PART.
	var w []string
	var want strings.Builder
	for i := range 300 {
		name := fmt.Sprintf("child-with-a-rather-long-name-%03d", i)
		w = append(w, "/big/"+name, fmt.Sprint(i))
		fmt.Fprintln(&want, name)
	}
	e.ok("xenstore-write", w...)
	if got := e.ok("xenstore-list", "/big"); got != want.String() {
		t.Errorf("xenstore-list of a big directory: %d bytes, want %d", len(got), want.Len())
	}
	if got := e.ok("xenstore-ls", "/big"); strings.Count(got, "\n") != 300 || !strings.Contains(got, "child-with-a-rather-long-name-299 = \"299\"") {
		t.Errorf("xenstore-ls of a big directory:\n%.200s", got)
	}
}

func TestXenToolsChmod(t *testing.T) {
	e := newXenToolsEnv(t)
	e.ok("xenstore-write", "/p/a/b", "1")
	e.ok("xenstore-chmod", "/p/a", "n0", "r5", "w7")
	if got := e.perms("/p/a"); got != "n0,r5,w7" {
		t.Errorf("chmod: %s", got)
	}
	e.ok("xenstore-chmod", "-r", "/p", "b3")
	for _, p := range []string{"/p/a", "/p/a/b"} {
		if got := e.perms(p); got != "b3" {
			t.Errorf("chmod -r: %s %s", p, got)
		}
	}
	if _, _, code := e.run("xenstore-chmod", "/p/a", "x3"); code == 0 {
		t.Error("bad mode accepted")
	}
	if _, _, code := e.run("xenstore-chmod", "/p/missing", "n0"); code == 0 {
		t.Error("chmod of a missing node succeeded")
	}
	// What the tools set is what the server enforces.
	e.ok("xenstore-chmod", "/p/a/b", "n0", "r9")
	d9 := e.s.testConn(t, 9)
	if got := d9.read("/p/a/b"); got != "1" {
		t.Errorf("domain 9 reads %q", got)
	}
	d9.fails("EACCES", hypercall.XsWrite, 0, append(args("/p/a/b"), 'x'))
}

// watchTool starts xenstore-watch and returns its output lines.
func (e *xenToolsEnv) watchTool(n int, path string) (<-chan string, func() error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	c := e.cmd(ctx, "xenstore-watch", "-n", fmt.Sprint(n), path)
	out, err := c.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	wait := func() error {
		defer cancel()
		err := c.Wait()
		if err != nil {
			return fmt.Errorf("%v: %s", err, errb.String())
		}
		return nil
	}
	return lines, wait
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("xenstore-watch ended early")
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no output from xenstore-watch")
	}
	return ""
}

func TestXenToolsWatch(t *testing.T) {
	e := newXenToolsEnv(t)
	e.ok("xenstore-write", "/w/existing", "1")
	lines, wait := e.watchTool(4, "/w")
	if l := nextLine(t, lines); l != "/w" { // the initial event
		t.Fatalf("first event %q", l)
	}
	e.ok("xenstore-write", "/w/new/deep", "x")
	e.ok("xenstore-write", "/elsewhere", "x") // not watched
	e.ok("xenstore-rm", "/w/existing")
	e.ok("xenstore-chmod", "/w", "n0", "r1")
	for _, want := range []string{"/w/new/deep", "/w/existing", "/w"} {
		if l := nextLine(t, lines); l != want {
			t.Fatalf("event %q, want %q", l, want)
		}
	}
	if err := wait(); err != nil {
		t.Fatalf("xenstore-watch: %v", err)
	}

	// Special paths: @introduceDomain and @releaseDomain.
	lines, wait = e.watchTool(2, IntroduceDomainPath)
	if l := nextLine(t, lines); l != IntroduceDomainPath {
		t.Fatalf("first event %q", l)
	}
	if err := e.s.Introduce(5, newFakeRing()); err != nil {
		t.Fatal(err)
	}
	if l := nextLine(t, lines); l != IntroduceDomainPath {
		t.Fatalf("introduce event %q", l)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	lines, wait = e.watchTool(2, ReleaseDomainPath)
	nextLine(t, lines)
	e.s.DomainDied(5)
	if l := nextLine(t, lines); l != ReleaseDomainPath {
		t.Fatalf("release event %q", l)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

// TestXenToolsDomainNodes: what WriteDomainNodes made, as xenstore-ls
// shows it.
func TestXenToolsDomainNodes(t *testing.T) {
	e := newXenToolsEnv(t)
	if err := e.s.WriteDomainNodes(DomainNodes{Domid: 2, Name: "web", VCPUs: 1, MaxMemKiB: 131072, StorePort: 1, StoreGfn: 4091}); err != nil {
		t.Fatal(err)
	}
	out := e.ok("xenstore-ls", "-f", "/local/domain/2")
	for _, want := range []string{
		`/local/domain/2/name = "web"`,
		`/local/domain/2/domid = "2"`,
		`/local/domain/2/memory/target = "131072"`,
		`/local/domain/2/cpu/0/availability = "online"`,
		`/local/domain/2/store/ring-ref = "4091"`,
		`/local/domain/2/control/shutdown = ""`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("xenstore-ls lacks %s:\n%s", want, out)
		}
	}
	if got := e.ok("xenstore-read", "/local/domain/2/name"); got != "web\n" {
		t.Errorf("name %q", got)
	}
	// xl shutdown is a write the guest watches.
	e.ok("xenstore-write", "/local/domain/2/control/shutdown", "poweroff")
	if p := e.perms("/local/domain/2/control/shutdown"); p != "n2" {
		t.Errorf("perms after dom0 write: %s", p)
	}
}
