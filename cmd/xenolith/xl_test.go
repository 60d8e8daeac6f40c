package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/daemon"
)

// Tests of the xl-style commands: output formats with fixed data, then
// the commands against a daemon started in this process (needs /dev/kvm).

func TestListFormat(t *testing.T) {
	var b bytes.Buffer
	printList(&b, []api.DomainInfo{
		{DomID: 0, Name: "Domain-0", MemoryMiB: 4096, VCPUs: 4, State: "r-----", CPUTimeS: 12.34},
		{DomID: 12, Name: "web", MemoryMiB: 64, VCPUs: 1, State: "---sc-"},
	})
	want := "Name                                        ID   Mem VCPUs\tState\tTime(s)\n" +
		"Domain-0                                     0  4096     4     r-----      12.3\n" +
		"web                                         12    64     1     ---sc-       0.0\n"
	if b.String() != want {
		t.Errorf("list:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestVCPUListFormat(t *testing.T) {
	var b bytes.Buffer
	printVCPUs(&b, []api.VCPUList{{DomID: 3, Name: "vm", VCPUs: []api.VCPUInfo{
		{VCPU: 0, Online: true, Running: true, CPU: -1, Affinity: "all", SoftAffinity: "all"},
		{VCPU: 1, Online: true, Blocked: true, CPU: 2, TimeS: 1.25, Affinity: "all", SoftAffinity: "all"},
		{VCPU: 2, CPU: -1, Affinity: "all", SoftAffinity: "all"},
	}}})
	want := "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)\n" +
		"vm                                   3     0    -   r--       0.0  all / all\n" +
		"vm                                   3     1    2   -b-       1.2  all / all\n" +
		"vm                                   3     2    -   --p       0.0  all / all\n"
	if b.String() != want {
		t.Errorf("vcpu-list:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestUptimeFormat(t *testing.T) {
	for _, tt := range []struct {
		s     uint64
		short bool
		want  string
	}{
		{59, false, " 0:00:59"}, {3661, false, " 1:01:01"}, {86400 + 7200, false, "1 day,  2:00:00"},
		{3 * 86400, false, "3 days,  0:00:00"}, {3661, true, " 1:01"}, {2*86400 + 60, true, "2 days,  0:01"},
	} {
		if got := uptimeString(tt.s, tt.short); got != tt.want {
			t.Errorf("uptimeString(%d, %v) = %q, want %q", tt.s, tt.short, got, tt.want)
		}
	}
	var b bytes.Buffer
	printUptime(&b, []api.DomainInfo{{Name: "Domain-0", UptimeS: 90061}, {Name: "vm", DomID: 5, UptimeS: 5.9}}, false, time.Now())
	want := "Name                                ID Uptime\n" +
		"Domain-0                             0 1 day,  1:01:01\n" +
		"vm                                   5  0:00:05\n"
	if b.String() != want {
		t.Errorf("uptime:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	printUptime(&b, []api.DomainInfo{{Name: "vm", DomID: 5, UptimeS: 7200}}, true, now)
	if b.String() != " 03:04:05 up  2:00, vm (5)\n" {
		t.Errorf("uptime -s: %q", b.String())
	}
}

func TestInfoFormat(t *testing.T) {
	hi := api.HostInfo{Host: "h", XenMajor: 4, XenMinor: 17, XenExtra: ".0-xenolith", XenVersion: "4.17.0-xenolith", NrCPUs: 8}
	var b bytes.Buffer
	printInfo(&b, hi, "")
	for _, want := range []string{"host                   : h\n", "nr_cpus                : 8\n", "xen_version            : 4.17.0-xenolith\n", "xend_config_format     : 4\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("info lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	printInfo(&b, hi, "xen_version")
	if b.String() != "4.17.0-xenolith\n" {
		t.Errorf("info xen_version: %q", b.String())
	}
}

// cli runs one command in-process.
func cli(args ...string) (stdout, stderr string, status int) {
	var o, e bytes.Buffer
	status = execute(args, &o, &e)
	return o.String(), e.String(), status
}

func TestNoDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "x.sock")
	for _, args := range [][]string{{"list"}, {"destroy", "vm"}, {"info"}, {"console", "vm"}} {
		_, stderr, status := cli(append(args, "--socket", sock)...)
		want := `xenolith: no xenolith daemon at ` + sock + `: start one with "xenolith daemon" (or set XENOLITH_SOCKET)` + "\n"
		if status != 1 || stderr != want {
			t.Errorf("%v: status %d stderr %q, want 1 %q", args, status, stderr, want)
		}
	}
	t.Setenv(api.SocketEnv, sock)
	if _, stderr, _ := cli("list"); !strings.Contains(stderr, sock) {
		t.Errorf("$%s not honoured: %q", api.SocketEnv, stderr)
	}
}

func TestCreateFailsFastOnABadConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.cfg")
	os.WriteFile(cfg, []byte("type = \"pvh\"\nname = \"x\"\nmemroy = 3\n"), 0o644)
	// No daemon needed: the config is checked first.
	_, stderr, status := cli("create", "--socket", "/nonexistent/x.sock", cfg)
	if status != 1 || !strings.Contains(stderr, "bad.cfg:3: unknown key \"memroy\"") {
		t.Errorf("status %d stderr %q", status, stderr)
	}
	_, stderr, status = cli("create", "--socket", "/nonexistent/x.sock", cfg, "memroy")
	if status != 1 || !strings.Contains(stderr, "not KEY=VALUE") {
		t.Errorf("stray argument: status %d stderr %q", status, stderr)
	}
}

func guestImage(t *testing.T, name string) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "build", "guests", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("guest image %s missing: run `make all` first", p)
	}
	return p
}

func TestXLCommands(t *testing.T) {
	kvmtest.Require(t)
	dir, err := os.MkdirTemp("", "xcli")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "x.sock")
	ring := daemon.NewLogRing(0)
	d, err := daemon.Start(daemon.Options{Socket: sock, ShutdownTimeout: time.Second, LogRing: ring, Log: daemon.NewLogger(io.Discard, slog.LevelInfo, ring)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	t.Setenv(api.SocketEnv, sock)
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		o, e, st := cli(args...)
		if st != want {
			t.Fatalf("xenolith %v: status %d, want %d\nstdout %s\nstderr %s", args, st, want, o, e)
		}
		return o, e
	}
	halt := filepath.Join(dir, "halt.cfg")
	os.WriteFile(halt, []byte(fmt.Sprintf("type = \"pvh\"\nname = \"halt\"\nkernel = %q\ncmdline = \"end=halt\"\n", guestImage(t, "lifecycle"))), 0o644)
	_, stderr := run(0, "create", halt)
	if stderr != "Parsing config from "+halt+"\n" {
		t.Errorf("create stderr %q", stderr)
	}
	run(0, "create", "-p", halt, `name="second"`, "vcpus=2")
	out, _ := run(0, "list")
	if !regexp.MustCompile(`(?m)^Domain-0 +0 +\d+ +\d+     r-----  +\d+\.\d$`).MatchString(out) ||
		// halt runs, or is already blocked in sti; hlt (xl's "-b----").
		!regexp.MustCompile(`(?m)^halt +1 +32 +1     (r-|-b)----  +\d+\.\d$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^second +2 +32 +1     --p---  +\d+\.\d$`).MatchString(out) {
		t.Errorf("list:\n%s", out)
	}
	if out, _ := run(0, "domid", "second"); out != "2\n" {
		t.Errorf("domid: %q", out)
	}
	if out, _ := run(0, "domname", "1"); out != "halt\n" {
		t.Errorf("domname: %q", out)
	}
	if _, stderr := run(1, "domid", "foo"); stderr != "xenolith: domain \"foo\" not found\n" {
		t.Errorf("unknown domain: %q", stderr)
	}
	if _, stderr := run(1, "destroy", "foo"); stderr != "xenolith: domain \"foo\" not found\n" {
		t.Errorf("destroy unknown: %q", stderr)
	}
	run(0, "unpause", "second")
	run(1, "unpause", "second")
	run(0, "pause", "second")
	run(0, "rename", "second", "third")
	out, _ = run(0, "list", "third")
	if !strings.Contains(out, "third") || !strings.Contains(out, "--p---") || strings.Count(out, "\n") != 2 {
		t.Errorf("list third:\n%s", out)
	}
	out, _ = run(0, "list", "-l")
	if !strings.Contains(out, `"domid": 1`) || !strings.Contains(out, `"Name": "third"`) {
		t.Errorf("list -l:\n%s", out)
	}
	out, _ = run(0, "vcpu-list", "third")
	// vCPU 0 reports the host CPU it last ran on; vCPU 1 never came up.
	if !regexp.MustCompile(`third                                2     0 +(\d+|-)   ---  +\d+\.\d  all / all\n`).MatchString(out) ||
		!strings.Contains(out, "third                                2     1    -   --p       0.0  all / all\n") {
		t.Errorf("vcpu-list:\n%s", out)
	}
	out, _ = run(0, "uptime")
	if !strings.HasPrefix(out, "Name                                ID Uptime\nDomain-0") || !strings.Contains(out, "halt                                 1  0:00:0") {
		t.Errorf("uptime:\n%s", out)
	}
	out, _ = run(0, "info")
	if !strings.Contains(out, "xen_version            : 4.17.0-xenolith\n") {
		t.Errorf("info:\n%s", out)
	}
	out, _ = run(0, "dmesg")
	if !strings.Contains(out, `msg="domain renamed"`) {
		t.Errorf("dmesg:\n%s", out)
	}
	_, stderr = run(1, "shutdown", "-w", "--timeout", "0.3", "halt")
	if !strings.Contains(stderr, "Shutting down domain 1\n") || !strings.Contains(stderr, "did not shut down within 300ms") {
		t.Errorf("shutdown of a deaf guest:\n%s", stderr)
	}
	run(0, "destroy", "halt")
	run(0, "destroy", "third")

	// create -c: the console from the first byte until the guest is gone.
	hello := filepath.Join(dir, "hello.cfg")
	os.WriteFile(hello, []byte(fmt.Sprintf("type = \"pvh\"\nname = \"hello\"\nkernel = %q\n", guestImage(t, "hello"))), 0o644)
	out, _ = run(0, "create", "-c", hello)
	if !strings.HasPrefix(out, "hello: Xenolith PVH guest booted") || !strings.Contains(out, "hello: powering off") {
		t.Errorf("create -c:\n%s", out)
	}

	// shutdown -w and reboot -w with a guest that reacts.
	echo := filepath.Join(dir, "echo.cfg")
	os.WriteFile(echo, []byte(fmt.Sprintf("type = \"pvh\"\nname = \"echo\"\nkernel = %q\non_reboot = \"restart\"\n", guestImage(t, "echo"))), 0o644)
	run(0, "create", echo)
	waitForPrompt(t, sock, "echo")
	_, stderr = run(0, "reboot", "-w", "echo")
	if !regexp.MustCompile(`Rebooting domain (\d+)\nWaiting for 1 domains\nDomain \d+ has been restarted \(reboot\) as domain \d+\n`).MatchString(stderr) {
		t.Errorf("reboot -w:\n%s", stderr)
	}
	waitForPrompt(t, sock, "echo")
	_, stderr = run(0, "shutdown", "-w", "echo")
	if !strings.Contains(stderr, "has been destroyed (poweroff)") {
		t.Errorf("shutdown -w:\n%s", stderr)
	}
	if out, _ := run(0, "list"); strings.Count(out, "\n") != 2 {
		t.Errorf("list at the end:\n%s", out)
	}
}

// waitForPrompt waits for the echo guest's prompt (it reacts to
// control/shutdown only from then on).
func waitForPrompt(t *testing.T, sock, name string) {
	t.Helper()
	c := api.NewClient(sock)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := c.Console(t.Context(), name, false)
		if err == nil {
			buf := make([]byte, 4096)
			var got []byte
			for !bytes.Contains(got, []byte("echo> ")) {
				n, err := conn.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			conn.Close()
			if bytes.Contains(got, []byte("echo> ")) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no prompt from %s", name)
}
