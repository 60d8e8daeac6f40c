package xlcfg

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const minimal = "type = \"pvh\"\nname = \"vm\"\nkernel = \"vmlinuz\"\n"

func decodeString(t *testing.T, name, src string) (*DomainConfig, error) {
	t.Helper()
	f, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return Decode(f)
}

// public is c's exported fields, to compare configs.
func public(c *DomainConfig) DomainConfig {
	return DomainConfig{Type: c.Type, Name: c.Name, MemoryMiB: c.MemoryMiB, VCPUs: c.VCPUs, Kernel: c.Kernel,
		Cmdline: c.Cmdline, OnPoweroff: c.OnPoweroff, OnReboot: c.OnReboot, OnCrash: c.OnCrash, Warnings: c.Warnings}
}

func TestDecode(t *testing.T) {
	defaults := DomainConfig{Type: "pvh", Name: "vm", MemoryMiB: DefaultMemoryMiB, VCPUs: 1, Kernel: "vmlinuz",
		OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionDestroy}
	with := func(f func(*DomainConfig)) DomainConfig {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name string
		src  string
		want DomainConfig
	}{
		{"defaults", minimal, defaults},
		{"everything", `# A full config.
type = "pvh"
name = "web-1"
memory = 1024
vcpus = 4
kernel = "/boot/vmlinuz"
cmdline = "console=hvc0 root=/dev/xvda1"
on_poweroff = "preserve"
on_reboot = "rename-restart"
on_crash = "coredump-restart"
`, DomainConfig{Type: "pvh", Name: "web-1", MemoryMiB: 1024, VCPUs: 4, Kernel: "/boot/vmlinuz",
			Cmdline: "console=hvc0 root=/dev/xvda1", OnPoweroff: ActionPreserve, OnReboot: ActionRenameRestart, OnCrash: ActionCoredumpRestart}},
		{"hex memory", minimal + "memory = 0x100", with(func(c *DomainConfig) { c.MemoryMiB = 256 })},
		{"octal memory, as xl", minimal + "memory = 0400", with(func(c *DomainConfig) { c.MemoryMiB = 256 })},
		{"memory as string, as xl", minimal + `memory = " 512"`, with(func(c *DomainConfig) { c.MemoryMiB = 512 })},
		{"vcpus as hex string", minimal + `vcpus = "0x2"`, with(func(c *DomainConfig) { c.VCPUs = 2 })},
		{"name as number text, as xl", "type='pvh'\nkernel='k'\nname = 0x1f", with(func(c *DomainConfig) { c.Name = "0x1f"; c.Kernel = "k" })},
		{"root only", minimal + `root = "/dev/xvda1"`, with(func(c *DomainConfig) { c.Cmdline = "root=/dev/xvda1" })},
		{"extra only", minimal + `extra = "console=hvc0"`, with(func(c *DomainConfig) { c.Cmdline = "console=hvc0" })},
		{"root and extra", minimal + "root = \"/dev/xvda1 ro\"\nextra = \"console=hvc0\"", with(func(c *DomainConfig) { c.Cmdline = "root=/dev/xvda1 ro console=hvc0" })},
		{"empty root, as xl", minimal + "root = ''", with(func(c *DomainConfig) { c.Cmdline = "root=" })},
		{"extra +=", minimal + "extra = 'console=hvc0'\nextra += ' quiet'", with(func(c *DomainConfig) { c.Cmdline = "console=hvc0 quiet" })},
		{"last setting wins", minimal + "memory = 64\nmemory = 128", with(func(c *DomainConfig) {
			c.MemoryMiB = 128
			c.Warnings = []string{"t.cfg:5: memory is set 2 times (first on line 4); the last setting wins"}
		})},
		{"cmdline beats root and extra", "root = 'r'\n" + minimal + "cmdline = 'c'\nextra = 'e'", with(func(c *DomainConfig) {
			c.Cmdline = "c"
			c.Warnings = []string{"t.cfg:5: cmdline is set, so root and extra are ignored (as in xl)"}
		})},
		{"cmdline beats extra", minimal + "cmdline = 'c'\nextra = 'e'", with(func(c *DomainConfig) {
			c.Cmdline = "c"
			c.Warnings = []string{"t.cfg:4: cmdline is set, so extra is ignored (as in xl)"}
		})},
		{"limits", minimal + "memory = 1048576\nvcpus = 128\nname = '" + strings.Repeat("n", 64) + "'", with(func(c *DomainConfig) {
			c.MemoryMiB, c.VCPUs, c.Name = MaxMemoryMiB, MaxVCPUs, strings.Repeat("n", 64)
			c.Warnings = []string{"t.cfg:6: name is set 2 times (first on line 2); the last setting wins"}
		})},
		{"names xl accepts", minimal + "name = 'My VM (test) ☃'", with(func(c *DomainConfig) {
			c.Name = "My VM (test) ☃"
			c.Warnings = []string{"t.cfg:4: name is set 2 times (first on line 2); the last setting wins"}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeString(t, "t.cfg", tt.src)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := public(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		key  string
		err  error
		msg  string // the error text after "bad.cfg" if it starts with ':', else a part of it
	}{
		{"unknown key", minimal + "foo = 1", 4, "foo", ErrUnknownKey,
			`:4: unknown key "foo" (Xenolith supports: type, name, memory, vcpus, kernel, cmdline, root, extra, on_poweroff, on_reboot, on_crash)`},
		{"unknown key suggestion", minimal + "memroy = 1", 4, "memroy", ErrUnknownKey, `:4: unknown key "memroy" (did you mean "memory"?; Xenolith supports: type,`},
		{"unknown key wrong case", minimal + "Memory = 1", 4, "Memory", ErrUnknownKey, `(did you mean "memory"?;`},
		{"builder hint", minimal + "builder = 'hvm'", 4, "builder", ErrUnknownKey, `:4: unknown key "builder" (xl replaced builder with type in Xen 4.10: use type = "pvh"; Xenolith supports:`},
		{"string for memory", minimal + "memory = \"lots\"", 4, "memory", ErrBadValue, `:4: key "memory": expected a number of MiB, got string "lots"`},
		{"list for memory", minimal + "memory = [1]", 4, "memory", ErrBadValue, `:4: key "memory": expected a number of MiB, got a list`},
		{"trailing junk in memory string", minimal + "memory = \"512 \"", 4, "memory", ErrBadValue, `expected a number of MiB, got string "512 "`},
		{"memory +=", minimal + "memory = 1\nmemory += 2", 5, "memory", ErrBadValue, `:5: key "memory": += cannot be used with numbers (write memory = N)`},
		{"memory zero", minimal + "memory = 0", 4, "memory", ErrBadValue, `:4: key "memory": must be at least 1 MiB, got 0`},
		{"memory negative string", minimal + "memory = '-1'", 4, "memory", ErrBadValue, `must be at least 1 MiB, got -1`},
		{"memory absurd", minimal + "memory = 2097152", 4, "memory", ErrBadValue, `:4: key "memory": 2097152 MiB is more than the 1048576 MiB (1 TiB) limit (memory is in MiB, not KiB or bytes)`},
		{"vcpus zero", minimal + "vcpus = 0", 4, "vcpus", ErrBadValue, `:4: key "vcpus": must be at least 1, got 0`},
		{"vcpus too many", minimal + "vcpus = 129", 4, "vcpus", ErrBadValue, `:4: key "vcpus": 129 is more than 128, the most vCPUs a PVH guest can have`},
		{"vcpus string", minimal + "vcpus = 'two'", 4, "vcpus", ErrBadValue, `expected a number of vCPUs, got string "two"`},
		{"kernel list", minimal + "kernel = ['a']", 4, "kernel", ErrBadValue, `:4: key "kernel": expected a string, got a list (write kernel = "...")`},
		{"kernel empty", minimal + "kernel = ''", 4, "kernel", ErrBadValue, `:4: key "kernel": the path is empty`},
		{"cmdline NUL", minimal + `cmdline = "a\0b"`, 4, "cmdline", ErrBadValue, `:4: key "cmdline": contains a NUL byte (\0)`},
		{"cmdline not utf-8", minimal + `cmdline = "\xff"`, 4, "cmdline", ErrBadValue, `:4: key "cmdline": is not valid UTF-8`},
		{"extra += list", minimal + "extra = 'a'\nextra = ['b']\nextra += ['c']", 6, "extra", ErrBadValue, `:6: key "extra": expected a string, got a list`},
		{"missing type", "name = 'vm'\nkernel = 'k'", 0, "type", ErrMissingKey,
			`: type not set: add type = "pvh" (xl would create a PV guest, which Xenolith does not run)`},
		{"type hvm", "type = \"hvm\"\nname = 'vm'\nkernel = 'k'", 1, "type", ErrUnsupported, `:1: key "type": "hvm" is not supported: Xenolith runs PVH guests (type = "pvh")`},
		{"type pv", "name = 'vm'\nkernel = 'k'\ntype = 'pv'", 3, "type", ErrUnsupported, `:3: key "type": "pv" is not supported`},
		{"type unknown", "type = 'PVH'\nname = 'vm'\nkernel = 'k'", 1, "type", ErrBadValue, `:1: key "type": "PVH" is not a domain type: use type = "pvh"`},
		{"missing name", "type = 'pvh'\nkernel = 'k'", 0, "name", ErrMissingKey, `: name not set: add name = "NAME" (each domain needs a unique name)`},
		{"missing kernel", "type = 'pvh'\nname = 'vm'", 0, "kernel", ErrMissingKey, `: kernel not set: add kernel = "/path/to/vmlinuz"`},
		{"name empty", minimal + "name = ''", 4, "name", ErrBadValue, `:4: key "name": the name is empty`},
		{"name too long", minimal + "name = '" + strings.Repeat("n", 65) + "'", 4, "name", ErrBadValue, `the name is 65 bytes, more than 64`},
		{"name slash", minimal + "name = 'a/b'", 4, "name", ErrBadValue, `"a/b" contains '/'`},
		{"name newline", minimal + "name = 'a\\nb'", 4, "name", ErrBadValue, `contains a control character`},
		{"name digits", minimal + "name = 42", 4, "name", ErrBadValue, `:4: key "name": "42" is all digits: xl commands would read it as a domain id`},
		{"name Domain-0", minimal + "name = 'Domain-0'", 4, "name", ErrBadValue, `"Domain-0" is the name of domain 0`},
		{"bad action", minimal + "on_crash = 'explode'", 4, "on_crash", ErrBadValue,
			`:4: key "on_crash": "explode" is not an action (use destroy, restart, rename-restart, preserve, coredump-destroy, coredump-restart or soft-reset)`},
		{"action list", minimal + "on_reboot = ['restart']", 4, "on_reboot", ErrBadValue, `expected a string, got a list`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeString(t, "bad.cfg", tt.src)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", c)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *ConfigError", err, err)
			}
			if ce.File != "bad.cfg" || ce.Line != tt.line || ce.Key != tt.key {
				t.Errorf("got file %q line %d key %q, want bad.cfg line %d key %q", ce.File, ce.Line, ce.Key, tt.line, tt.key)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error is not %v", tt.err)
			}
			if strings.HasPrefix(tt.msg, ":") && !strings.HasPrefix(err.Error(), "bad.cfg"+tt.msg) ||
				!strings.HasPrefix(tt.msg, ":") && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error\n%s\ndoes not start with or contain\n%s", err, tt.msg)
			}
		})
	}
}

func TestDecodeReportsEveryError(t *testing.T) {
	src := "bar = 1\nname = 'vm'\nfoo = 2\nmemory = 'x'\nfoo = 3\ntype = 'hvm'\n"
	_, err := decodeString(t, "many.cfg", src)
	want := `many.cfg:1: unknown key "bar" (Xenolith supports: type, name, memory, vcpus, kernel, cmdline, root, extra, on_poweroff, on_reboot, on_crash)
many.cfg:3: unknown key "foo" (Xenolith supports: type, name, memory, vcpus, kernel, cmdline, root, extra, on_poweroff, on_reboot, on_crash)
many.cfg:4: key "memory": expected a number of MiB, got string "x"
many.cfg:6: key "type": "hvm" is not supported: Xenolith runs PVH guests (type = "pvh")
many.cfg: kernel not set: add kernel = "/path/to/vmlinuz" (Xenolith boots the PVH kernel directly)`
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	// The first error is reachable with errors.As, the rest with Unwrap.
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Key != "bar" {
		t.Errorf("errors.As found %+v", ce)
	}
	if !errors.Is(err, ErrMissingKey) || !errors.Is(err, ErrUnsupported) {
		t.Error("errors.Is does not see every error")
	}

	var b strings.Builder
	for i := range 100 {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(" = 1\n")
	}
	_, err = decodeString(t, "typos.cfg", minimal+b.String())
	if lines := strings.Count(err.Error(), "\n") + 1; lines != maxErrors+1 || !strings.HasSuffix(err.Error(), "typos.cfg: 80 more errors not shown") {
		t.Errorf("got %d lines, ending %q", lines, err.Error()[len(err.Error())-60:])
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vm.cfg")
	if err := os.WriteFile(path, []byte(minimal+"memory = 256\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "vm" || c.MemoryMiB != 256 {
		t.Errorf("got %+v", c)
	}
	if got, want := c.KernelPath(), filepath.Join(dir, "vmlinuz"); got != want {
		t.Errorf("KernelPath = %q, want %q", got, want)
	}
	c.Kernel = "/abs/vmlinuz"
	if got := c.KernelPath(); got != "/abs/vmlinuz" {
		t.Errorf("absolute KernelPath = %q", got)
	}

	// Messages name the file as the caller did, relative or not.
	t.Chdir(dir)
	if err := os.WriteFile("bad.cfg", []byte(minimal+"memory = 'lots'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load("bad.cfg")
	if want := `bad.cfg:4: key "memory": expected a number of MiB, got string "lots"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if err := os.WriteFile("rel.cfg", []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load("rel.cfg"); err != nil || c.KernelPath() != filepath.Join(dir, "vmlinuz") {
		t.Errorf("relative Load: KernelPath %q, err %v", c.KernelPath(), err)
	}

	if _, err := Load(filepath.Join(dir, "missing.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.cfg")
	if err := os.WriteFile(big, make([]byte, 2*MaxFileSize), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); !errors.Is(err, ErrLimit) {
		t.Errorf("big file: %v", err)
	}
}

func TestKernelPathAfterDecode(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"cfg/vm.cfg", "cfg/vmlinuz"},
		{"vm.cfg", "vmlinuz"},
		{"", "vmlinuz"},
		{"/etc/xen/vm.cfg", "/etc/xen/vmlinuz"},
	} {
		c, err := decodeString(t, tt.name, minimal)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.KernelPath(); got != tt.want {
			t.Errorf("file %q: KernelPath = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOverride(t *testing.T) {
	load := func() *DomainConfig {
		c, err := decodeString(t, "vm.cfg", minimal+"root = '/dev/xvda'\nextra = 'console=hvc0'\nmemory = 128\n")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := load()
	for _, kv := range []string{"memory=512", `name="vm2"`, `extra+=" quiet"`, "vcpus = 2; on_crash = 'preserve'"} {
		if err := c.Override(kv); err != nil {
			t.Fatalf("Override(%q): %v", kv, err)
		}
	}
	want := DomainConfig{Type: "pvh", Name: "vm2", MemoryMiB: 512, VCPUs: 2, Kernel: "vmlinuz",
		Cmdline: "root=/dev/xvda console=hvc0 quiet", OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionPreserve}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	// A failed override leaves c as it was.
	before := public(c)
	tests := []struct {
		kv, msg string
	}{
		{"memory=lots", `command line:1:8: unquoted value lots: strings must be quoted (memory = "lots"); quote it for the shell too: 'memory = "lots"'`},
		{"memory='lots'", `command line:1: key "memory": expected a number of MiB, got string "lots"`},
		{"disk=['a']", `command line:1: unknown key "disk" (Xenolith supports:`},
		{"type='hvm'", `command line:1: key "type": "hvm" is not supported`},
		{"memory+=1", `command line:1: key "memory": += cannot be used with numbers`},
		{"extra+=['x']", `command line:1: key "extra": cannot append a list to "extra", which holds a string (set at vm.cfg:5)`},
		{"", `command line: override "" sets nothing: write KEY=VALUE`},
		{"# just a comment", `command line: override "# just a comment" sets nothing`},
	}
	for _, tt := range tests {
		err := c.Override(tt.kv)
		if err == nil || !strings.HasPrefix(err.Error(), tt.msg) {
			t.Errorf("Override(%q) = %v, want %s...", tt.kv, err, tt.msg)
		}
		if !reflect.DeepEqual(public(c), before) {
			t.Fatalf("Override(%q) changed the config: %+v", tt.kv, public(c))
		}
	}

	// Overrides replace quietly; duplicates inside the file still warn.
	c = load()
	if err := c.Override("memory=64"); err != nil || len(c.Warnings) != 0 {
		t.Errorf("override warned: %v %q", err, c.Warnings)
	}
	if err := c.Override("cmdline='x'"); err != nil || len(c.Warnings) != 1 ||
		c.Warnings[0] != "command line:1: cmdline is set, so root and extra are ignored (as in xl)" {
		t.Errorf("cmdline override: %v %q", err, c.Warnings)
	}

	// Direct edits are not lost: the override applies to current values.
	c = load()
	c.VCPUs = 3
	if err := c.Override("memory=256"); err != nil {
		t.Fatal(err)
	}
	if c.VCPUs != 3 || c.MemoryMiB != 256 || c.Cmdline != "root=/dev/xvda console=hvc0" || c.KernelPath() != "vmlinuz" {
		t.Errorf("after edit and override: %+v", public(c))
	}

	// A config built by hand.
	h := &DomainConfig{Type: "pvh", Name: "h", Kernel: "k"}
	if err := h.Override("vcpus=2"); err != nil {
		t.Fatal(err)
	}
	if h.VCPUs != 2 || h.MemoryMiB != DefaultMemoryMiB || h.OnReboot != ActionRestart {
		t.Errorf("hand-built: %+v", public(h))
	}
	bad := &DomainConfig{Name: "h", Kernel: "k"}
	if err := bad.Override("vcpus=2"); err == nil || err.Error() != `current config: type not set: add type = "pvh" (xl would create a PV guest, which Xenolith does not run)` {
		t.Errorf("hand-built without type: %v", err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	c, err := decodeString(t, "vm.cfg", minimal+"memory = 0x200\nroot = 'r'\non_reboot = 'soft-reset'\nvcpus = 8\n")
	if err != nil {
		t.Fatal(err)
	}
	want := `type = "pvh"
name = "vm"
memory = 512
vcpus = 8
kernel = "vmlinuz"
cmdline = "root=r"
on_poweroff = "destroy"
on_reboot = "soft-reset"
on_crash = "destroy"
`
	if got := c.File().String(); got != want {
		t.Errorf("File().String():\n%s\nwant\n%s", got, want)
	}
	d, err := decodeString(t, "vm.cfg", c.File().String())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(public(c), public(d)) {
		t.Errorf("round trip: %+v != %+v", public(c), public(d))
	}
}

func TestAction(t *testing.T) {
	for a := ActionDestroy; a <= ActionSoftReset; a++ {
		got, ok := ParseAction(a.String())
		if !ok || got != a {
			t.Errorf("ParseAction(%q) = %v, %v", a.String(), got, ok)
		}
	}
	if ActionRenameRestart.String() != "rename-restart" || Action(0).String() != "Action(0)" || Action(8).String() != "Action(8)" {
		t.Error("String")
	}
	if _, ok := ParseAction("Destroy"); ok {
		t.Error("ParseAction is case-sensitive in xl")
	}
	b, err := json.Marshal(struct{ A Action }{ActionCoredumpDestroy})
	if err != nil || string(b) != `{"A":"coredump-destroy"}` {
		t.Errorf("Marshal: %s %v", b, err)
	}
	var v struct{ A Action }
	if err := json.Unmarshal([]byte(`{"A":"preserve"}`), &v); err != nil || v.A != ActionPreserve {
		t.Errorf("Unmarshal: %v %v", v.A, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"nope"}`), &v); err == nil {
		t.Error("Unmarshal of a bad name succeeded")
	}
	if _, err := json.Marshal(struct{ A Action }{}); err == nil {
		t.Error("Marshal of the zero Action succeeded")
	}
}

func TestErrorFormats(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&SyntaxError{File: "a.cfg", Line: 3, Col: 10, Msg: "m"}, "a.cfg:3:10: m"},
		{&SyntaxError{File: "a.cfg", Msg: "m"}, "a.cfg: m"},
		{&ConfigError{File: "a.cfg", Line: 4, Key: "k", Msg: "m"}, "a.cfg:4: m"},
		{&ConfigError{File: "a.cfg", Key: "k", Msg: "m"}, "a.cfg: m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"memroy", "memory", 2}, {"vcpu", "vcpus", 1}, {"kernel", "kernel", 0}, {"abc", "xyz", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
}

func TestLoadExamples(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	want := DomainConfig{Type: "pvh", Name: "web-1", MemoryMiB: 1024, VCPUs: 2, Kernel: "../kernels/vmlinuz",
		Cmdline:    "root=/dev/xvda1 ro console=hvc0 earlyprintk=xen quiet",
		OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionPreserve}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	wd, _ := os.Getwd()
	if got := c.KernelPath(); got != filepath.Join(wd, "kernels", "vmlinuz") { // testdata/../kernels
		t.Errorf("KernelPath = %q", got)
	}
	if _, err := Load(filepath.Join("testdata", "hello.cfg")); err != nil {
		t.Error(err)
	}
	f, err := os.ReadFile(filepath.Join("testdata", "syntax.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("syntax.cfg", f); err != nil {
		t.Error(err)
	}
}

func TestIsSet(t *testing.T) {
	c, err := decodeString(t, "vm.cfg", minimal+"memory = 64\n")
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSet("memory") || !c.IsSet("name") || c.IsSet("on_reboot") || c.IsSet("vcpus") {
		t.Error("IsSet after Decode")
	}
	if err := c.Override("vcpus=2; on_reboot='destroy'"); err != nil {
		t.Fatal(err)
	}
	if !c.IsSet("on_reboot") || !c.IsSet("vcpus") || c.IsSet("on_crash") {
		t.Error("IsSet after Override")
	}
	if (&DomainConfig{Name: "x"}).IsSet("name") {
		t.Error("IsSet of a config built by hand")
	}
}
