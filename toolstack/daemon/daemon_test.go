package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

// Daemon tests on real KVM: each starts a daemon on a socket in a temp
// directory, drives it with api.Client, and boots guests from
// build/guests (make all): lifecycle (end=poweroff|reboot|crash|halt)
// and echo (console ring input, reacts to control/shutdown).

// testDaemon is a started daemon and a client for it.
type testDaemon struct {
	*Daemon
	c   *api.Client
	dir string
}

func startDaemon(t *testing.T, tweak func(*Options)) *testDaemon {
	t.Helper()
	kvmtest.Require(t)
	// Short paths: a Unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "xd")
	if err != nil {
		t.Fatal(err)
	}
	ring := NewLogRing(0)
	opts := Options{
		Socket:           filepath.Join(dir, "x.sock"),
		XenstoredSockets: []string{filepath.Join(dir, "xs.sock")},
		ConsoleLogDir:    filepath.Join(dir, "console"),
		ShutdownTimeout:  time.Second,
		LogRing:          ring,
		Log:              NewLogger(io.Discard, slog.LevelDebug, ring),
	}
	if tweak != nil {
		tweak(&opts)
	}
	d, err := Start(opts)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	td := &testDaemon{Daemon: d, c: api.NewClient(opts.Socket), dir: dir}
	t.Cleanup(func() {
		td.c.Close()
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", strings.Join(ring.Lines(), "\n"))
		}
		os.RemoveAll(dir)
	})
	return td
}

// guestPath is a guest image built by make all.
func guestPath(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "build", "guests", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("guest image %s missing: run `make all` first", p)
	}
	return p
}

// create makes a domain from config lines (type and kernel added).
func (td *testDaemon) create(t *testing.T, guest string, lines ...string) api.CreateResponse {
	t.Helper()
	resp, err := td.tryCreate(t, guest, false, lines...)
	if err != nil {
		t.Fatalf("create %s %q: %v", guest, lines, err)
	}
	return resp
}

func (td *testDaemon) tryCreate(t *testing.T, guest string, paused bool, lines ...string) (api.CreateResponse, error) {
	t.Helper()
	cfg := fmt.Sprintf("type = \"pvh\"\nkernel = %q\n%s\n", guestPath(t, guest), strings.Join(lines, "\n"))
	return td.c.Create(context.Background(), api.CreateRequest{Config: cfg, File: filepath.Join(td.dir, "test.cfg"), Paused: paused})
}

// get returns a domain, or fails.
func (td *testDaemon) get(t *testing.T, ref string) api.DomainDetail {
	t.Helper()
	d, err := td.c.Get(context.Background(), ref)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return d
}

// waitFor polls until cond holds (10 s at most).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (td *testDaemon) names(t *testing.T) []string {
	t.Helper()
	l, err := td.c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range l {
		out = append(out, d.Name)
	}
	return out
}

func TestCreateListDestroy(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	resp := td.create(t, "lifecycle", `name = "vm"`, `cmdline = "end=halt"`, "memory = 16")
	if resp.DomID == 0 || resp.Name != "vm" {
		t.Fatalf("create answered %+v", resp)
	}
	l, err := td.c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].Name != "Domain-0" || l[0].DomID != 0 || l[1].Name != "vm" {
		t.Fatalf("list %+v", l)
	}
	vm := l[1]
	if vm.State != "r-----" || vm.Status != api.StatusRunning || vm.MemoryMiB != 16 || vm.VCPUs != 1 || len(vm.UUID) != 36 {
		t.Errorf("vm listed as %+v", vm)
	}
	det := td.get(t, "vm")
	if det.DomID != resp.DomID || !strings.Contains(string(det.Config), `"MemoryMiB":16`) {
		t.Errorf("get: %+v %s", det.DomainInfo, det.Config)
	}
	if byID := td.get(t, fmt.Sprint(resp.DomID)); byID.Name != "vm" {
		t.Errorf("get by domid: %+v", byID)
	}
	// Its xenstore home is there for Xen's tools.
	xs, err := xenstore.Dial(filepath.Join(td.dir, "xs.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer xs.Close()
	home := xenstore.DomainPath(resp.DomID)
	if name, err := xs.Read(0, home+"/name"); err != nil || string(name) != "vm" {
		t.Errorf("xenstore %s/name = %q, %v", home, name, err)
	}
	if err := td.c.Destroy(ctx, "vm"); err != nil {
		t.Fatal(err)
	}
	if n := td.names(t); len(n) != 1 {
		t.Errorf("after destroy: %q", n)
	}
	if _, err := xs.Read(0, home+"/name"); err == nil {
		t.Error("xenstore home still there after destroy")
	}
	if err := td.c.Destroy(ctx, "vm"); !errors.Is(err, api.ErrNotFound) || err.Error() != `domain "vm" not found` {
		t.Errorf("second destroy: %v", err)
	}
	if err := td.c.Destroy(ctx, "0"); !errors.Is(err, api.ErrConflict) {
		t.Errorf("destroy of Domain-0: %v", err)
	}
	dm, _ := td.c.Dmesg(ctx)
	if !strings.Contains(strings.Join(dm.Lines, "\n"), `msg="domain created" domain=vm`) {
		t.Errorf("dmesg lacks the create: %q", dm.Lines)
	}
}

func TestTwoDomainsAndDuplicateName(t *testing.T) {
	td := startDaemon(t, nil)
	a := td.create(t, "lifecycle", `name = "a"`, `cmdline = "end=halt"`)
	b := td.create(t, "lifecycle", `name = "b"`, `cmdline = "end=halt"`)
	if a.DomID == b.DomID {
		t.Fatalf("two domains with domid %d", a.DomID)
	}
	if n := td.names(t); strings.Join(n, ",") != "Domain-0,a,b" {
		t.Errorf("list %q", n)
	}
	_, err := td.tryCreate(t, "lifecycle", false, `name = "a"`, `cmdline = "end=halt"`)
	if !errors.Is(err, api.ErrConflict) || !strings.Contains(err.Error(), `"a" is in use by domain `+fmt.Sprint(a.DomID)) {
		t.Errorf("duplicate name: %v, want 409", err)
	}
	if n := td.names(t); len(n) != 3 {
		t.Errorf("after the refused create: %q", n)
	}
}

func TestCreateErrors(t *testing.T) {
	td := startDaemon(t, nil)
	_, err := td.tryCreate(t, "lifecycle", false, `name = "x"`, `memroy = 32`)
	var e *api.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Field != "config" || !strings.Contains(e.Message, "test.cfg:4: unknown key \"memroy\"") {
		t.Errorf("unknown key: %#v", err)
	}
	_, err = td.tryCreate(t, "lifecycle", false, `name = "x"`, `on_crash = "coredump-restart"`)
	if !errors.Is(err, api.ErrBadRequest) || !strings.Contains(err.Error(), `test.cfg:4: key "on_crash"`) {
		t.Errorf("coredump action: %v", err)
	}
	cfg := "type = \"pvh\"\nname = \"x\"\nkernel = \"nonexistent\"\n"
	_, err = td.c.Create(context.Background(), api.CreateRequest{Config: cfg, File: filepath.Join(td.dir, "k.cfg")})
	if !errors.Is(err, api.ErrBadRequest) || !strings.Contains(err.Error(), `k.cfg:3: key "kernel"`) {
		t.Errorf("missing kernel: %v", err)
	}
	_, err = td.c.Create(context.Background(), api.CreateRequest{Config: "type = \"pvh\"\nname = \"x\"\nkernel = \"/etc/passwd\"\n", File: "/x.cfg"})
	if !errors.Is(err, api.ErrBadRequest) {
		t.Errorf("a kernel that is not ELF: %v", err)
	}
	if n := td.names(t); len(n) != 1 {
		t.Errorf("failed creates left %q", n)
	}
}

func TestPauseUnpause(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	td.create(t, "lifecycle", `name = "p"`, `cmdline = "end=halt"`)
	if err := td.c.Pause(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if d := td.get(t, "p"); d.State != "--p---" || d.Status != api.StatusPaused {
		t.Errorf("paused domain listed as %q %q", d.State, d.Status)
	}
	if err := td.c.Pause(ctx, "p"); !errors.Is(err, api.ErrConflict) {
		t.Errorf("pause while paused: %v, want 409", err)
	}
	if err := td.c.Unpause(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if d := td.get(t, "p"); d.State != "r-----" {
		t.Errorf("unpaused domain listed as %q", d.State)
	}
	if err := td.c.Unpause(ctx, "p"); !errors.Is(err, api.ErrConflict) {
		t.Errorf("unpause while running: %v, want 409", err)
	}
	if err := td.c.Pause(ctx, "nope"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("pause of an unknown domain: %v", err)
	}
	// Created paused (xl create -p).
	if _, err := td.tryCreate(t, "lifecycle", true, `name = "cp"`, `cmdline = "end=poweroff"`); err != nil {
		t.Fatal(err)
	}
	if d := td.get(t, "cp"); d.Status != api.StatusPaused {
		t.Errorf("create -p: %q", d.Status)
	}
}

func TestRename(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	a := td.create(t, "lifecycle", `name = "a"`, `cmdline = "end=halt"`)
	td.create(t, "lifecycle", `name = "b"`, `cmdline = "end=halt"`)
	if err := td.c.Rename(ctx, "a", "web"); err != nil {
		t.Fatal(err)
	}
	if d := td.get(t, "web"); d.DomID != a.DomID {
		t.Errorf("web is domain %d, want %d", d.DomID, a.DomID)
	}
	if _, err := td.c.Get(ctx, "a"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("old name still answers: %v", err)
	}
	if err := td.c.Rename(ctx, "web", "b"); !errors.Is(err, api.ErrConflict) {
		t.Errorf("rename onto a taken name: %v, want 409", err)
	}
	if err := td.c.Rename(ctx, "web", "123"); !errors.Is(err, api.ErrBadRequest) {
		t.Errorf("all-digit name: %v, want 400", err)
	}
	// The freed name can be used again.
	td.create(t, "lifecycle", `name = "a"`, `cmdline = "end=halt"`)
	xs, err := xenstore.Dial(filepath.Join(td.dir, "xs.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer xs.Close()
	if name, _ := xs.Read(0, xenstore.DomainPath(a.DomID)+"/name"); string(name) != "web" {
		t.Errorf("xenstore name %q after rename", name)
	}
}

func TestPreserveKeepsACrashedDomain(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	resp := td.create(t, "lifecycle", `name = "c"`, `cmdline = "end=crash"`, `on_crash = "preserve"`)
	var d api.DomainDetail
	waitFor(t, "the guest to crash", func() bool {
		d = td.get(t, "c")
		return d.Status == api.StatusCrashed
	})
	if d.DomID != resp.DomID || d.State != "---sc-" || d.ShutdownReason != "crash" {
		t.Errorf("crashed domain listed as %+v", d.DomainInfo)
	}
	time.Sleep(200 * time.Millisecond)
	if d := td.get(t, "c"); d.Status != api.StatusCrashed {
		t.Errorf("preserved domain became %q", d.Status)
	}
	if err := td.c.Pause(ctx, "c"); !errors.Is(err, api.ErrConflict) {
		t.Errorf("pause of a crashed domain: %v, want 409", err)
	}
	if _, err := td.c.Shutdown(ctx, "c", api.ShutdownRequest{}); !errors.Is(err, api.ErrConflict) {
		t.Errorf("shutdown of a crashed domain: %v, want 409", err)
	}
	// Its console history is still there.
	conn, err := td.c.Console(ctx, "c", false)
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, conn, "lifecycle: shutting down with crash")
	if err := td.c.Destroy(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("console after destroy: %v, want EOF", err)
	}
	if n := td.names(t); len(n) != 1 {
		t.Errorf("after destroy %q", n)
	}
}

func TestRestartGivesANewDomid(t *testing.T) {
	td := startDaemon(t, func(o *Options) { o.MaxFastRestarts = 2 })
	first := td.create(t, "lifecycle", `name = "r"`, `cmdline = "end=reboot"`, `on_reboot = "restart"`)
	// The guest reboots at once, each time: restarted twice (new domid,
	// same name), then destroyed as restarting too fast.
	var seen []uint16
	waitFor(t, "the restarts to stop", func() bool {
		d, err := td.c.Get(context.Background(), "r")
		if err == nil && (len(seen) == 0 || seen[len(seen)-1] != d.DomID) {
			seen = append(seen, d.DomID)
		}
		return errors.Is(err, api.ErrNotFound)
	})
	lines, _ := td.c.Dmesg(context.Background())
	log := strings.Join(lines.Lines, "\n")
	if n := strings.Count(log, `msg="domain restarted" domain=r`); n != 2 {
		t.Errorf("%d restarts, want 2 (MaxFastRestarts)", n)
	}
	if !strings.Contains(log, fmt.Sprintf("old_domid=%d domid=%d", first.DomID, first.DomID+1)) {
		t.Errorf("no restart from domid %d to %d in the log:\n%s", first.DomID, first.DomID+1, log)
	}
	if !strings.Contains(log, "destroying it instead of restarting") {
		t.Error("no fast-restart limit in the log")
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Errorf("domids seen %v: not new each time", seen)
		}
	}
}

func TestRebootWaitsForTheNewDomain(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	first := td.create(t, "echo", `name = "e"`, `on_reboot = "restart"`)
	waitConsole(t, td, "e", "echo> ")
	res, err := td.c.Reboot(ctx, "e", api.ShutdownRequest{Wait: true, TimeoutS: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "restarted" || res.Reason != "reboot" || res.NewDomID == 0 || res.NewDomID == first.DomID {
		t.Fatalf("reboot -w: %+v", res)
	}
	d := td.get(t, "e")
	if d.DomID != res.NewDomID || d.Restarts != 1 {
		t.Errorf("after reboot: %+v restarts %d", d.DomainInfo, d.Restarts)
	}
	// A renamed domain restarts under its new name.
	if err := td.c.Rename(ctx, "e", "e2"); err != nil {
		t.Fatal(err)
	}
	waitConsole(t, td, "e2", "echo> ")
	res, err = td.c.Reboot(ctx, "e2", api.ShutdownRequest{Wait: true, TimeoutS: 20})
	if err != nil || res.Outcome != "restarted" {
		t.Fatalf("second reboot -w: %+v %v", res, err)
	}
	if d := td.get(t, "e2"); d.DomID != res.NewDomID || d.Restarts != 2 {
		t.Errorf("after rename and reboot: %+v restarts %d", d.DomainInfo, d.Restarts)
	}
	waitConsole(t, td, "e2", "echo> ")
	res, err = td.c.Shutdown(ctx, "e2", api.ShutdownRequest{Wait: true, TimeoutS: 20})
	if err != nil || res.Outcome != "destroyed" || res.Reason != "poweroff" {
		t.Fatalf("shutdown -w: %+v %v", res, err)
	}
	if n := td.names(t); len(n) != 1 {
		t.Errorf("after shutdown %q", n)
	}
}

func TestShutdownTimeoutLeavesTheGuest(t *testing.T) {
	td := startDaemon(t, nil)
	td.create(t, "lifecycle", `name = "deaf"`, `cmdline = "end=halt"`)
	start := time.Now()
	_, err := td.c.Shutdown(context.Background(), "deaf", api.ShutdownRequest{Wait: true, TimeoutS: 0.5})
	if !errors.Is(err, api.ErrTimeout) || !strings.Contains(err.Error(), "left running") {
		t.Fatalf("shutdown of a guest that ignores it: %v, want 504", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("timeout of 0.5 s took %v", time.Since(start))
	}
	if d := td.get(t, "deaf"); d.Status != api.StatusRunning {
		t.Errorf("after the timeout the guest is %q, want running", d.Status)
	}
}

// waitConsole attaches read-only until the output contains want.
func waitConsole(t *testing.T, td *testDaemon, ref, want string) {
	t.Helper()
	conn, err := td.c.Console(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	readUntil(t, conn, want)
}

// readUntil reads r until the output contains want (10 s at most).
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	type chunk struct {
		b   []byte
		err error
	}
	ch := make(chan chunk, 1)
	var got []byte
	deadline := time.After(10 * time.Second)
	for !strings.Contains(string(got), want) {
		go func() {
			buf := make([]byte, 512)
			n, err := r.Read(buf)
			ch <- chunk{buf[:n], err}
		}()
		select {
		case c := <-ch:
			got = append(got, c.b...)
			if c.err != nil && !strings.Contains(string(got), want) {
				t.Fatalf("console ended (%v) before %q; got %q", c.err, want, got)
			}
		case <-deadline:
			t.Fatalf("no %q on the console; got %q", want, got)
		}
	}
	return string(got)
}

func TestConsoleInputAndOneWriter(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	td.create(t, "echo", `name = "e"`)
	conn, err := td.c.Console(ctx, "e", true)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	readUntil(t, conn, "echo> ")
	if _, err := td.c.Console(ctx, "e", true); !errors.Is(err, api.ErrConflict) {
		t.Errorf("second writer: %v, want 409", err)
	}
	ro, err := td.c.Console(ctx, "e", false)
	if err != nil {
		t.Fatalf("reader beside the writer: %v", err)
	}
	defer ro.Close()
	if _, err := conn.Write([]byte("hello xenolith\r")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, conn, "echo: hello xenolith")
	readUntil(t, ro, "echo: hello xenolith")
	// The console log file has it too.
	b, _ := os.ReadFile(filepath.Join(td.dir, "console", "e.log"))
	if !strings.Contains(string(b), "echo: Xenolith echo guest") {
		t.Errorf("console log %q", b)
	}
	// After the writer detaches another can write.
	conn.Close()
	waitFor(t, "the writer to be released", func() bool {
		w, err := td.c.Console(ctx, "e", true)
		if err == nil {
			w.Close()
		}
		return err == nil
	})
}

func TestRenameRestartPreservesTheOldDomain(t *testing.T) {
	td := startDaemon(t, func(o *Options) { o.MaxFastRestarts = 1 })
	first := td.create(t, "lifecycle", `name = "rr"`, `cmdline = "end=crash"`, `on_crash = "rename-restart"`)
	// First crash: renamed and kept, a new "rr" starts; it crashes too
	// and, a fast restart too many, is kept under its name.
	var l []api.DomainInfo
	waitFor(t, "both domains preserved", func() bool {
		l, _ = td.c.List(context.Background())
		n := 0
		for _, d := range l {
			if strings.HasPrefix(d.Name, "rr") && d.Status == api.StatusCrashed {
				n++
			}
		}
		return n == 2
	})
	var old, cur *api.DomainInfo
	for i := range l {
		switch {
		case l[i].DomID == first.DomID:
			old = &l[i]
		case l[i].Name == "rr":
			cur = &l[i]
		}
	}
	stamp := "rr-" + time.Now().UTC().Format("20060102T")
	if old == nil || !strings.HasPrefix(old.Name, stamp) || !strings.HasSuffix(old.Name, "Z") || old.State != "---sc-" {
		t.Fatalf("first domain %+v; list %+v", old, l)
	}
	if cur == nil || cur.DomID == first.DomID || cur.UUID == old.UUID {
		t.Errorf("restarted domain %+v, first %+v", cur, old)
	}
	if _, err := td.c.Get(context.Background(), old.Name); err != nil {
		t.Errorf("preserved domain by its new name: %v", err)
	}
}

func TestSecondDaemonRefused(t *testing.T) {
	td := startDaemon(t, nil)
	_, err := Start(Options{Socket: td.Socket()})
	want := fmt.Sprintf("another xenolith daemon is running on %s (pid %d)", td.Socket(), os.Getpid())
	if !errors.Is(err, ErrAlreadyRunning) || err.Error() != want {
		t.Fatalf("second daemon: %v, want %q", err, want)
	}
	// The first one still answers.
	if _, err := td.c.List(context.Background()); err != nil {
		t.Errorf("first daemon after the refusal: %v", err)
	}
}

func TestStopDestroysWhatIsLeft(t *testing.T) {
	td := startDaemon(t, func(o *Options) { o.ShutdownTimeout = 500 * time.Millisecond })
	td.create(t, "echo", `name = "polite"`, `on_poweroff = "restart"`)
	td.create(t, "lifecycle", `name = "deaf"`, `cmdline = "end=halt"`)
	td.create(t, "lifecycle", `name = "kept"`, `cmdline = "end=crash"`, `on_crash = "preserve"`)
	waitConsole(t, td, "polite", "echo> ")
	waitFor(t, "kept to crash", func() bool { return td.get(t, "kept").Status == api.StatusCrashed })
	start := time.Now()
	if err := td.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v with a 500 ms timeout", d)
	}
	log := strings.Join(td.logRing.Lines(), "\n")
	for _, want := range []string{
		`msg="domain shut down" domain=polite`,         // reacted to control/shutdown
		`msg="not restarting: the daemon is stopping"`, // on_poweroff = restart suppressed
		`msg="stopping: domain did not shut down in time: destroying it" domain=deaf`,
		`msg="stopping: destroying preserved domain" domain=kept`,
		`msg="xenolith daemon stopped"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if _, err := os.Stat(td.Socket()); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
	if _, err := td.c.List(context.Background()); !errors.Is(err, api.ErrNoDaemon) {
		t.Errorf("client after Stop: %v, want ErrNoDaemon", err)
	}
	// A new daemon can take the socket.
	d2, err := Start(Options{Socket: td.Socket(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("daemon after a stopped one: %v", err)
	}
	d2.Stop()
}

func TestVCPUsAndInfo(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	td.create(t, "lifecycle", `name = "v"`, `cmdline = "end=halt"`, "vcpus = 2")
	l, err := td.c.VCPUs(ctx, "v")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.VCPUs) != 2 || !l.VCPUs[0].Online || !l.VCPUs[0].Running || l.VCPUs[1].Online || l.VCPUs[0].Affinity != "all" {
		t.Errorf("vcpus %+v (vCPU 1 is never brought up by lifecycle)", l.VCPUs)
	}
	hi, err := td.c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hi.XenVersion != "4.17.0-xenolith" || hi.Domains != 2 || hi.NrCPUs < 1 || hi.TotalMemMiB == 0 || hi.Host == "" {
		t.Errorf("info %+v", hi)
	}
}

// TestDiskAttachDetach drives the disk routes against a guest without a
// block front end: the vbd is published (front end Initialising, back end
// InitWait), listed, refused twice, and detached at once (nothing of the
// guest's to wait for); a destroy removes what is still attached.
func TestDiskAttachDetach(t *testing.T) {
	td := startDaemon(t, func(o *Options) { o.DetachTimeout = 30 * time.Second })
	ctx := context.Background()
	resp := td.create(t, "lifecycle", `name = "d"`, `cmdline = "end=halt"`)
	img := filepath.Join(td.dir, "d.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ref, spec string
		is        error
		msg       string
	}{
		{"d", "d.img,raw,xvdb,rw", api.ErrBadRequest, `target "d.img" is relative`},
		{"d", img + ",vhd,xvdb", api.ErrBadRequest, "vhd"},
		{"d", filepath.Join(td.dir, "none.img") + ",raw,xvdb", api.ErrBadRequest, "no such file"},
		{"Domain-0", img + ",raw,xvdb", api.ErrConflict, "Domain-0"},
		{"nope", img + ",raw,xvdb", api.ErrNotFound, "nope"},
	} {
		_, err := td.c.AttachDisk(ctx, tc.ref, api.DiskAttachRequest{Spec: tc.spec})
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("attach %s %q: %v, want %v with %q", tc.ref, tc.spec, err, tc.is, tc.msg)
		}
	}
	info, err := td.c.AttachDisk(ctx, "d", api.DiskAttachRequest{Spec: "format=raw, vdev=xvdb, access=ro, target=" + img})
	if err != nil {
		t.Fatal(err)
	}
	back := fmt.Sprintf("/local/domain/0/backend/vbd/%d/51728", resp.DomID)
	want := api.DiskInfo{VDev: "xvdb", DevID: 51728, Target: img, Access: "ro", DeviceType: "disk", FrontendID: resp.DomID,
		State: 1, BackState: 2, EvtchnPort: -1, RingRef: -1, BackendPath: back}
	if info != want {
		t.Errorf("attach: %+v\nwant %+v", info, want)
	}
	if _, err := td.c.AttachDisk(ctx, "d", api.DiskAttachRequest{Spec: img + ",raw,xvdb,rw"}); !errors.Is(err, api.ErrConflict) {
		t.Errorf("second xvdb: %v, want 409", err)
	}
	if l, err := td.c.Disks(ctx, "d"); err != nil || len(l) != 1 || l[0].DevID != 51728 {
		t.Errorf("disks: %+v %v", l, err)
	}
	if v, err := td.xsc.Read(0, back+"/mode"); err != nil || string(v) != "r" {
		t.Errorf("%s/mode = %q, %v", back, v, err)
	}
	for vdev, is := range map[string]error{"xvdc": api.ErrNotFound, "hdz": api.ErrBadRequest} {
		if _, err := td.c.DetachDisk(ctx, "d", vdev); !errors.Is(err, is) {
			t.Errorf("detach %s: %v, want %v", vdev, err, is)
		}
	}
	start := time.Now()
	if res, err := td.c.DetachDisk(ctx, "d", "51728"); err != nil || res.Forced {
		t.Fatalf("detach: %+v %v", res, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("detaching a disk the guest never connected took %v", d)
	}
	for _, p := range []string{back, fmt.Sprintf("/local/domain/%d/device/vbd/51728", resp.DomID)} {
		if _, err := td.xsc.Read(0, p); err == nil {
			t.Errorf("%s still in xenstore after detach", p)
		}
	}
	// Attached again, then the domain is destroyed with it.
	if _, err := td.c.AttachDisk(ctx, "d", api.DiskAttachRequest{Spec: img + ",raw,xvdb,rw"}); err != nil {
		t.Fatal(err)
	}
	if err := td.c.Destroy(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := td.xsc.Read(0, back); err == nil {
		t.Errorf("%s still in xenstore after destroy", back)
	}
}

// TestHotpluggedDiskSurvivesRestart: a disk attached with block-attach is
// part of the domain's config (list -l) and is attached again when the
// domain restarts, as libxl keeps hotplugged devices; a detached one is
// gone from both.
func TestHotpluggedDiskSurvivesRestart(t *testing.T) {
	td := startDaemon(t, nil)
	ctx := context.Background()
	img := filepath.Join(td.dir, "r.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	first, err := td.tryCreate(t, "lifecycle", true, `name = "r"`, `cmdline = "end=reboot"`, `on_reboot = "restart"`,
		fmt.Sprintf("disk = [ %q ]", img+",raw,xvda,ro"))
	if err != nil {
		t.Fatal(err)
	}
	for _, vdev := range []string{"xvdb", "xvdc"} {
		if _, err := td.c.AttachDisk(ctx, "r", api.DiskAttachRequest{Spec: img + ",raw," + vdev + ",ro"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := td.c.DetachDisk(ctx, "r", "xvdc"); err != nil {
		t.Fatal(err)
	}
	if cfg := string(td.get(t, "r").Config); !strings.Contains(cfg, `"VDev":"xvdb"`) || strings.Contains(cfg, `"VDev":"xvdc"`) {
		t.Errorf("config after attaching xvdb and xvdc, detaching xvdc:\n%s", cfg)
	}
	if err := td.c.Unpause(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	var disks []api.DiskInfo
	waitFor(t, "the restarted domain's disks", func() bool {
		d, err := td.c.Get(ctx, "r")
		if err != nil || d.DomID == first.DomID {
			return false
		}
		disks, err = td.c.Disks(ctx, "r")
		return err == nil && len(disks) == 2
	})
	if disks[0].VDev != "xvda" || disks[1].VDev != "xvdb" || disks[1].Access != "ro" {
		t.Errorf("restarted domain's disks: %+v", disks)
	}
	td.c.Destroy(ctx, "r")
}
