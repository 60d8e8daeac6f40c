package tests

import (
	"bytes"
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

func TestRunHello(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "hello")
	r := run(t, "run", filepath.Join(repo, "examples/hello.cfg"))
	if r.status != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"hello: Xenolith PVH guest booted\n",
		"hello: hypervisor XenVMMXenVMM at cpuid 0x40000000, Xen 4.17.0-xenolith\n",
		"hello: pagesize 4096\n",
		`hello: cmdline "console=hvc0 greeting=hello"` + "\n",
		"hello: start_info memmap 2 entries\n",
		"hello:   [0] base 0x0000000000000000 size 0x0000000002000000 type 1\n",
		"hello:   [1] base 0x00000000feff8000 size 0x0000000000008000 type 2\n",
		"hello: XENMEM_memory_map 2 entries (matches start_info)\n",
		"hello: unknown hypercall 11 returned -38 (ok)\n",
		"hello: powering off\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q\nstdout:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr not empty on a clean poweroff:\n%s", r.stderr)
	}
}

func TestRunHelloOverridesAndStats(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "hello")
	r := run(t, "run", "--stats", filepath.Join(repo, "examples/hello.cfg"), `cmdline="from the command line"`, "memory=48")
	if r.status != 0 {
		t.Fatalf("exit status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, `hello: cmdline "from the command line"`) || !strings.Contains(r.stdout, "size 0x0000000003000000 type 1") {
		t.Errorf("overrides not applied:\n%s", r.stdout)
	}
	m := regexp.MustCompile(`stats: exits (\d+): .*IO=(\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no exit statistics on stderr:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`stats: hypercalls \d+: .*console_io=\d+.*xen_version=4`).MatchString(r.stderr) {
		t.Errorf("hypercall statistics missing:\n%s", r.stderr)
	}
	t.Logf("hello: %s exits (%s of them port I/O)", m[1], m[2])
}

func TestRunCrash(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "crash")
	start := time.Now()
	r := run(t, "run", filepath.Join(repo, "examples/crash.cfg"))
	if r.status != 2 {
		t.Fatalf("exit status %d, want 2 (crashed)\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("took %v to report the crash", el)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !regexp.MustCompile(`^xenolith: domain crash \(domid 1\) crashed: vCPU 0 triple fault at rip 0x[0-9a-f]+$`).MatchString(lines[0]) {
		t.Errorf("stderr should be one line naming the crash, got:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "crash: faulting with no IDT installed") || strings.Contains(r.stdout, "still running") {
		t.Errorf("guest output:\n%s", r.stdout)
	}
}

func lifecycleCfg(t *testing.T, end string, extra string) string {
	return writeCfg(t, fmt.Sprintf("type = \"pvh\"\nname = \"life\"\nkernel = %q\nmemory = 16\ncmdline = \"end=%s\"\n%s", guest(t, "lifecycle"), end, extra))
}

func TestRunShutdownReasons(t *testing.T) {
	kvmtest.Require(t)
	cases := []struct {
		end    string
		extra  string
		status int
		stderr string
	}{
		{"poweroff", "", 0, ""},
		// cli; hlt takes the only vCPU down, so the domain powers off (Xen's hvm_hlt).
		{"cli-hlt", "", 0, ""},
		{"reboot", "", 3, "xenolith: domain life (domid 1) rebooted"},
		{"crash", "", 2, "xenolith: domain life (domid 1) crashed: the guest reported crash"},
		{"watchdog", "", 2, "xenolith: domain life (domid 1) crashed: the guest reported watchdog"},
		// Restarts are honoured when asked for: the guest reboots, is rebuilt
		// with a new domid, and after MaxRestarts the run gives up.
		{"reboot", `on_reboot = "restart"`, 1, "restarted 10 times; giving up"},
	}
	for _, c := range cases {
		t.Run(c.end+c.extra, func(t *testing.T) {
			r := run(t, "run", lifecycleCfg(t, c.end, c.extra))
			if r.status != c.status || !strings.Contains(r.stderr, c.stderr) {
				t.Fatalf("status %d stderr %q; want %d and %q\nstdout:\n%s", r.status, r.stderr, c.status, c.stderr, r.stdout)
			}
			if c.extra != "" {
				if n := strings.Count(r.stdout, "lifecycle: up"); n != 11 {
					t.Errorf("guest booted %d times, want 11 (1 + 10 restarts)", n)
				}
			}
		})
	}
	// A shutdown reason Xenolith cannot carry out fails the hypercall; the
	// guest then crashes itself (returns 1 from main).
	r := run(t, "run", lifecycleCfg(t, "suspend", ""))
	if r.status != 2 || !strings.Contains(r.stdout, "SCHEDOP_shutdown(suspend) returned -95") {
		t.Errorf("suspend: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

func TestRunInterruptDestroys(t *testing.T) {
	kvmtest.Require(t)
	cmd := exec.Command(xenolith, "run", lifecycleCfg(t, "halt", ""))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var got []byte
	deadline := time.Now().Add(20 * time.Second)
	for !bytes.Contains(got, []byte("halting until destroyed")) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("guest never halted; output %q", got)
		}
		n, err := stdout.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("xenolith did not exit after SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after SIGINT, want 130; stderr %q", code, errb.String())
	}
	if s := strings.TrimSpace(errb.String()); s != "xenolith: domain life (domid 1) destroyed: interrupted" {
		t.Errorf("stderr %q", s)
	}
}

// TestRunErrors covers each user error: one clear message, non-zero exit,
// nothing run.
func TestRunErrors(t *testing.T) {
	hello := guest(t, "hello")
	noNote := filepath.Join(t.TempDir(), "no-pvh-note")
	img, err := os.ReadFile(hello)
	if err != nil {
		t.Fatal(err)
	}
	// Turn the PHYS32_ENTRY note (type 18) into a GUEST_OS note (type 6).
	note := []byte{4, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0, 'X', 'e', 'n', 0}
	i := bytes.Index(img, note)
	if i < 0 {
		t.Fatal("hello image has no PHYS32_ENTRY note to remove")
	}
	img[i+8] = 6
	if err := os.WriteFile(noNote, img, 0o644); err != nil {
		t.Fatal(err)
	}
	base := "type = \"pvh\"\nname = \"e\"\nmemory = 16\n"
	cases := []struct {
		name string
		cfg  string
		args []string
		want string
	}{
		{"missing kernel file", base + "kernel = \"/nonexistent/vmlinux\"\n", nil, "kernel: stat /nonexistent/vmlinux: no such file or directory: fix the kernel key"},
		{"kernel without PVH note", base + fmt.Sprintf("kernel = %q\n", noNote), nil, "no XEN_ELFNOTE_PHYS32_ENTRY note: the kernel was not built for PVH"},
		{"kernel not ELF", base + fmt.Sprintf("kernel = %q\n", filepath.Join(repo, "go.mod")), nil, "not an ELF file"},
		{"memory smaller than kernel", "type = \"pvh\"\nname = \"e\"\nmemory = 1\n" + fmt.Sprintf("kernel = %q\n", hello), nil, "kernel too big: kernel needs 2 MiB but memory is 1 MiB: raise memory"},
		{"unknown key", base + fmt.Sprintf("kernel = %q\n", hello) + "colour = \"blue\"\n", nil, `domain.cfg:5: unknown key "colour"`},
		{"malformed line", base + fmt.Sprintf("kernel = %q\n", hello) + "vcpus 1\n", nil, "domain.cfg:5:"},
		{"unterminated string", base + "kernel = \"oops\n", nil, "domain.cfg:4:"},
		{"unsupported type", "type = \"hvm\"\nname = \"e\"\nkernel = \"k\"\n", nil, `domain.cfg:1: key "type": "hvm" is not supported`},
		{"too many vcpus", base + fmt.Sprintf("kernel = %q\nvcpus = 33\n", hello), nil, "vcpus = 33: set vcpus between 1 and 32"},
		{"duplicate names", base + fmt.Sprintf("kernel = %q\n", hello), []string{"PATH"}, `two domains are named "e"`},
		{"memory too large", "type = \"pvh\"\nname = \"e\"\nmemory = 8192\n" + fmt.Sprintf("kernel = %q\n", hello), nil, "memory 8192 MiB is above the 3072 MiB"},
		{"unsupported action", base + fmt.Sprintf("kernel = %q\non_crash = \"coredump-destroy\"\n", hello), nil, `on_crash = "coredump-destroy": unsupported action`},
		{"bad override value", base + fmt.Sprintf("kernel = %q\n", hello), []string{`memory="lots"`}, `command line:1: key "memory"`},
		{"unquoted override", base + fmt.Sprintf("kernel = %q\n", hello), []string{"memory=lots"}, "unquoted value lots: strings must be quoted"},
		{"missing config", "", []string{}, "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/nonexistent/domain.cfg"
			if c.cfg != "" {
				path = writeCfg(t, c.cfg)
			}
			for i, a := range c.args {
				if a == "PATH" {
					c.args[i] = path
				}
			}
			r := run(t, append([]string{"run", path}, c.args...)...)
			if r.status != 1 {
				t.Errorf("exit status %d, want 1", r.status)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "xenolith: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr should be one line containing %q, got:\n%s", c.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a guest ran: %q", r.stdout)
			}
		})
	}
}

// TestRunRamdisk: the ramdisk is loaded after the kernel and passed as PVH
// module 0; one that does not fit is refused with how to fix it.
func TestRunRamdisk(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "hello")
	img := filepath.Join(t.TempDir(), "initrd.img")
	if err := os.WriteFile(img, []byte("initrd-bytes: 0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "run", filepath.Join(repo, "examples/hello.cfg"), fmt.Sprintf("ramdisk=%q", img))
	if r.status != 0 || !regexp.MustCompile(`hello: module 0 at 0x[0-9a-f]+000 size 24 starts "initrd-bytes: 01"`).MatchString(r.stdout) {
		t.Errorf("status %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	big := filepath.Join(t.TempDir(), "big.img")
	if err := os.WriteFile(big, make([]byte, 40<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, "run", filepath.Join(repo, "examples/hello.cfg"), fmt.Sprintf("ramdisk=%q", big))
	if r.status != 1 || !strings.Contains(r.stderr, "the ramdisk (40960 KiB) does not fit in memory after the kernel") || !strings.Contains(r.stderr, "raise memory") {
		t.Errorf("oversized ramdisk: status %d stderr %q", r.status, r.stderr)
	}
}
