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
	return DomainConfig{Type: c.Type, Name: c.Name, UUID: c.UUID, HasUUID: c.HasUUID, MemoryMiB: c.MemoryMiB, MaxMemMiB: c.MaxMemMiB,
		VCPUs: c.VCPUs, MaxVCPUs: c.MaxVCPUs, Kernel: c.Kernel, Ramdisk: c.Ramdisk, Cmdline: c.Cmdline,
		OnPoweroff: c.OnPoweroff, OnReboot: c.OnReboot, OnCrash: c.OnCrash, Disks: c.Disks, Vifs: c.Vifs, Warnings: c.Warnings}
}

// sameConfig compares the exported fields of two configs but Warnings
// and the Lines of disks and vifs, which depend on the layout of the text.
func sameConfig(a, b *DomainConfig) bool { return noLines(a).equal(noLines(b)) }

func noLines(c *DomainConfig) fieldSet {
	f := c.fields()
	for i := range f.Disks {
		f.Disks[i].Line = 0
	}
	for i := range f.Vifs {
		f.Vifs[i].Line = 0
	}
	return f
}

func TestDecode(t *testing.T) {
	defaults := DomainConfig{Type: "pvh", Name: "vm", MemoryMiB: DefaultMemoryMiB, MaxMemMiB: DefaultMemoryMiB, VCPUs: 1, MaxVCPUs: 1,
		Kernel: "vmlinuz", OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionDestroy}
	// with changes defaults; maxmem and maxvcpus follow memory and vcpus
	// unless f sets them.
	with := func(f func(*DomainConfig)) DomainConfig {
		c := defaults
		c.MaxMemMiB, c.MaxVCPUs = 0, 0
		f(&c)
		if c.MaxMemMiB == 0 {
			c.MaxMemMiB = c.MemoryMiB
		}
		if c.MaxVCPUs == 0 {
			c.MaxVCPUs = c.VCPUs
		}
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
`, DomainConfig{Type: "pvh", Name: "web-1", MemoryMiB: 1024, MaxMemMiB: 1024, VCPUs: 4, MaxVCPUs: 4, Kernel: "/boot/vmlinuz",
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
			`:4: unknown key "foo" (Xenolith supports: type, name, uuid, memory, maxmem, vcpus, maxvcpus, kernel, ramdisk, cmdline, root, extra, on_poweroff, on_reboot, on_crash, disk, vif)`},
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

		{"bad uuid", minimal + "uuid = 'not-a-uuid'", 4, "uuid", ErrBadValue,
			`:4: key "uuid": "not-a-uuid" is not a UUID (write xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex, or remove uuid to have one generated)`},
		{"uuid without dashes", minimal + "uuid = '6f1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d'", 4, "uuid", ErrBadValue, `is not a UUID`},
		{"uuid list", minimal + "uuid = ['x']", 4, "uuid", ErrBadValue, `:4: key "uuid": expected a string, got a list`},
		{"maxmem less than memory", minimal + "memory = 512\nmaxmem = 256", 5, "maxmem", ErrBadValue,
			`:5: key "maxmem": 256 MiB is less than memory (512 MiB, line 4): xl refuses this; set maxmem to at least 512 or remove it`},
		{"maxmem less than memory set later", minimal + "maxmem = 256\nmemory = 512", 4, "maxmem", ErrBadValue, `:4: key "maxmem": 256 MiB is less than memory (512 MiB, line 5)`},
		{"maxmem zero", minimal + "maxmem = 0", 4, "maxmem", ErrBadValue, `:4: key "maxmem": must be at least 1 MiB, got 0`},
		{"maxmem absurd", minimal + "maxmem = 2097152", 4, "maxmem", ErrBadValue, `:4: key "maxmem": 2097152 MiB is more than the 1048576 MiB (1 TiB) limit (maxmem is in MiB, not KiB or bytes)`},
		{"maxmem string", minimal + "maxmem = '1G'", 4, "maxmem", ErrBadValue, `:4: key "maxmem": expected a number of MiB, got string "1G"`},
		{"vcpus more than maxvcpus", minimal + "maxvcpus = 2\nvcpus = 4", 4, "maxvcpus", ErrBadValue,
			`:4: key "maxvcpus": 2 is less than vcpus (4, line 5): xl refuses this; set maxvcpus to at least 4 or remove it`},
		{"maxvcpus too many", minimal + "maxvcpus = 129", 4, "maxvcpus", ErrBadValue, `:4: key "maxvcpus": 129 is more than 128, the most vCPUs a PVH guest can have`},
		{"maxvcpus zero", minimal + "maxvcpus = 0", 4, "maxvcpus", ErrBadValue, `:4: key "maxvcpus": must be at least 1, got 0`},
		{"ramdisk empty", minimal + "ramdisk = ''", 4, "ramdisk", ErrBadValue, `:4: key "ramdisk": the path is empty (remove ramdisk for none)`},
		{"ramdisk list", minimal + "ramdisk = ['a']", 4, "ramdisk", ErrBadValue, `:4: key "ramdisk": expected a string, got a list (write ramdisk = "...")`},

		{"disk not a list", minimal + "disk = '/img,raw,xvda,rw'", 4, "disk", ErrBadValue,
			`:4: key "disk": expected a list, got a string (write disk = [ "/path/to/disk.img,raw,xvda,rw" ])`},
		{"disk non-raw", minimal + "disk = [ '/img,qcow2,xvda,rw' ]", 4, "disk", ErrUnsupported,
			`:4: key "disk": "/img,qcow2,xvda,rw": format "qcow2" is not supported: Xenolith serves raw images only (convert it with qemu-img convert -O raw, then use format=raw)`},
		{"disk bad vdev", minimal + "disk = [\n  '/a.img,raw,xvda,rw',\n  '/b.img,raw,xvdb0,rw',\n]", 6, "disk", ErrBadValue,
			`:6: key "disk": "/b.img,raw,xvdb0,rw": vdev "xvdb0" is not a disk name: use xvda, xvdb, ..., xvdz, xvdaa, ... with an optional partition number (xvda1); hda-hdd and sda-sdp also work`},
		{"disk duplicate vdev", minimal + "disk = [ '/a.img,,xvda' ]\ndisk += [ '/b.img,,xvda' ]", 5, "disk", ErrBadValue,
			`:5: key "disk": "/b.img,,xvda": vdev xvda is already used by the disk at line 4 (each disk needs its own vdev)`},
		{"disk target not last", minimal + "disk = [ 'target=/a.img, vdev=xvda' ]", 4, "disk", ErrBadValue,
			`:4: key "disk": "target=/a.img, vdev=xvda": target= must come last: it takes the rest of the spec, commas included, so it would swallow "vdev=xvda" (move target=... to the end)`},
		{"disk bad access", minimal + "disk = [ '/a.img,raw,xvda,rx' ]", 4, "disk", ErrBadValue, `:4: key "disk": "/a.img,raw,xvda,rx": access "rx" is not ro, r, rw or w`},
		{"disk unknown key", minimal + "disk = [ 'cache=none,/a.img,raw,xvda' ]", 4, "disk", ErrBadValue,
			`:4: key "disk": "cache=none,/a.img,raw,xvda": unknown parameter "cache=" (disk specs take target, format, vdev, access, devtype, backendtype, cdrom, discard, no-discard and direct-io-safe; a path containing '=' must be written target=PATH, last)`},
		{"disk no vdev", minimal + "disk = [ '/a.img' ]", 4, "disk", ErrBadValue, `:4: key "disk": "/a.img": no vdev: add vdev=xvda (or write TARGET,raw,xvda,rw)`},
		{"disk NUL", minimal + `disk = [ "/a\0,,xvda" ]`, 4, "disk", ErrBadValue, `:4: key "disk": "/a\x00,,xvda" contains a NUL byte (\0)`},
		{"disk long spec", minimal + "disk = [ '/a/very/long/path/to/some/disk/image/file.img,qcow2,xvda' ]", 4, "disk", ErrUnsupported,
			`:4: key "disk": "/a/very/long/path/to/some/disk/image/fil...": format "qcow2"`},
		{"vif not a list", minimal + "vif = 'bridge=xenbr0'", 4, "vif", ErrBadValue, `:4: key "vif": expected a list, got a string (write vif = [ "bridge=xenbr0" ])`},
		{"vif bad mac", minimal + "vif = [ 'mac=00:16:3e:0:0:1' ]", 4, "vif", ErrBadValue,
			`:4: key "vif": "mac=00:16:3e:0:0:1": mac "00:16:3e:0:0:1" is not 6 hex octets (write mac=00:16:3e:xx:xx:xx, or leave it out to have one generated)`},
		{"vif multicast mac", minimal + "vif = [ '', 'bridge=xenbr0, mac=01:16:3e:00:00:01' ]", 4, "vif", ErrBadValue,
			`:4: key "vif": "bridge=xenbr0, mac=01:16:3e:00:00:01": mac 01:16:3e:00:00:01 is a multicast address (the low bit of the first octet is set): use a unicast one such as 00:16:3e:xx:xx:xx`},
		{"vif unknown key", minimal + "vif = [ 'bridge=xenbr0, speed=10G' ]", 4, "vif", ErrBadValue,
			`:4: key "vif": "bridge=xenbr0, speed=10G": unknown parameter "speed=" (vif specs take mac, bridge, ip, model, type, vifname, script, rate and backend; see xl-network-configuration(5))`},
		{"vif bad ip", minimal + "vif = [ 'ip=10.0.0.256' ]", 4, "vif", ErrBadValue, `:4: key "vif": "ip=10.0.0.256": ip "10.0.0.256" is not an IPv4 or IPv6 address (separate several with spaces)`},
		{"vif unsupported key", minimal + "vif = [ 'mtu=9000' ]", 4, "vif", ErrUnsupported, `:4: key "vif": "mtu=9000": mtu= is not supported by Xenolith: remove it`},
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
	want := `many.cfg:1: unknown key "bar" (Xenolith supports: type, name, uuid, memory, maxmem, vcpus, maxvcpus, kernel, ramdisk, cmdline, root, extra, on_poweroff, on_reboot, on_crash, disk, vif)
many.cfg:3: unknown key "foo" (Xenolith supports: type, name, uuid, memory, maxmem, vcpus, maxvcpus, kernel, ramdisk, cmdline, root, extra, on_poweroff, on_reboot, on_crash, disk, vif)
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
	want := DomainConfig{Type: "pvh", Name: "vm2", MemoryMiB: 512, MaxMemMiB: 512, VCPUs: 2, MaxVCPUs: 2, Kernel: "vmlinuz",
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
		{"disks=['a']", `command line:1: unknown key "disks" (did you mean "disk"?; Xenolith supports:`},
		{"disk=['/img,qcow2,xvda']", `command line:1: key "disk": "/img,qcow2,xvda": format "qcow2" is not supported`},
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

	// Every new key can be overridden too.
	c = load()
	for _, kv := range []string{
		"disk=['/tmp/img,raw,xvda,rw']", `disk+=["phy:/dev/sdb,xvdb,w"]`, "vif=['bridge=xenbr1']",
		"uuid='6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'", "maxmem=256", "maxvcpus=4", "ramdisk='initrd'",
	} {
		if err := c.Override(kv); err != nil {
			t.Fatalf("Override(%q): %v", kv, err)
		}
	}
	if len(c.Disks) != 2 || c.Disks[0].Target != "/tmp/img" || c.Disks[1].VDev != "xvdb" || len(c.Vifs) != 1 || c.Vifs[0].Bridge != "xenbr1" ||
		!c.HasUUID || c.MaxMemMiB != 256 || c.MemoryMiB != 128 || c.MaxVCPUs != 4 || c.Ramdisk != "initrd" || !c.IsSet("disk") {
		t.Errorf("after overrides: %+v", public(c))
	}
	if want := []string{"command line:1: maxmem (256 MiB) is more than memory (128 MiB): Xenolith does not balloon, so the guest gets 128 MiB and cannot grow"}; !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("warnings %q", c.Warnings)
	}
	before = public(c)
	for _, tt := range []struct{ kv, msg string }{
		{"disk+=['/tmp/other,,xvda']", `command line:1: key "disk": "/tmp/other,,xvda": vdev xvda is already used by the disk at command line:1`},
		{"maxmem=64", `command line:1: key "maxmem": 64 MiB is less than memory (128 MiB, vm.cfg:6): xl refuses this`},
		{"vcpus=8", `command line:1: key "maxvcpus": 4 is less than vcpus (8, command line:1): xl refuses this`},
		{"vif=['mac=01:00:00:00:00:01']", `command line:1: key "vif": "mac=01:00:00:00:00:01": mac 01:00:00:00:00:01 is a multicast address`},
		{"uuid='x'", `command line:1: key "uuid": "x" is not a UUID`},
	} {
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

	// Direct edits of the new fields are not lost either.
	c = load()
	c.Disks = append(c.Disks, DiskSpec{Target: "/d.img", Format: "raw", VDev: "xvdb", DevID: 51728})
	c.Vifs = []VifSpec{{Bridge: "br9"}}
	c.MaxVCPUs, c.HasUUID, c.UUID = 6, true, [16]byte{15: 1}
	if err := c.Override("vcpus=2"); err != nil {
		t.Fatal(err)
	}
	if len(c.Disks) != 1 || c.Disks[0].Target != "/d.img" || c.Disks[0].ReadOnly || c.Disks[0].Discard ||
		len(c.Vifs) != 1 || c.Vifs[0].Bridge != "br9" || c.MaxVCPUs != 6 || c.VCPUs != 2 || c.UUID[15] != 1 {
		t.Errorf("after edit and override: %+v", public(c))
	}
	c = load()
	c.VCPUs, c.MemoryMiB = 8, 4096 // maxvcpus and maxmem follow
	if err := c.Override("name='x'"); err != nil || c.MaxVCPUs != 8 || c.MaxMemMiB != 4096 {
		t.Errorf("after edit of vcpus and memory: %+v, %v", public(c), err)
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
	if !sameConfig(c, d) {
		t.Errorf("round trip: %+v != %+v", public(c), public(d))
	}
}

func TestFileRoundTripDevices(t *testing.T) {
	c, err := decodeString(t, "vm.cfg", minimal+`uuid = "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
memory = 256
maxmem = 512
vcpus = 2
maxvcpus = 4
ramdisk = "initrd.img"
disk = [ '/img/root.img,,xvda', 'phy:/dev/sdb,xvdb,r', 'raw:/img/cd.iso,hdc:cdrom', 'vdev=xvde, no-discard, target=/img/a,b,,' ]
vif = [ 'mac=00:16:3E:00:00:01, bridge=xenbr0, ip=10.0.0.2', '', 'rate=10Mb/s@20ms, vifname=web0' ]
`)
	if err != nil {
		t.Fatal(err)
	}
	want := `type = "pvh"
name = "vm"
uuid = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
memory = 256
maxmem = 512
vcpus = 2
maxvcpus = 4
kernel = "vmlinuz"
ramdisk = "initrd.img"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "destroy"
disk = [ "format=raw, vdev=xvda, access=rw, target=/img/root.img", "format=raw, vdev=xvdb, access=ro, target=/dev/sdb", "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/img/cd.iso", "format=raw, vdev=xvde, access=rw, no-discard, target=/img/a,b,," ]
vif = [ "mac=00:16:3e:00:00:01, bridge=xenbr0, ip=10.0.0.2", "", "vifname=web0, rate=10Mb/s@20ms" ]
`
	if got := c.File().String(); got != want {
		t.Errorf("File().String():\n%s\nwant\n%s", got, want)
	}
	d, err := decodeString(t, "vm.cfg", c.File().String())
	if err != nil {
		t.Fatal(err)
	}
	if !sameConfig(c, d) || len(d.Warnings) != 1 {
		t.Errorf("round trip: %+v != %+v", public(c), public(d))
	}
	if c.Disks[3].Target != "/img/a,b," {
		t.Errorf("target %q", c.Disks[3].Target)
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
	want := DomainConfig{Type: "pvh", Name: "web-1", HasUUID: true,
		UUID:      [16]byte{0x6f, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x4a, 0x6b, 0x8c, 0x7d, 0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d},
		MemoryMiB: 1024, MaxMemMiB: 1024, VCPUs: 2, MaxVCPUs: 4, Kernel: "../kernels/vmlinuz", Ramdisk: "../kernels/initrd.img",
		Cmdline:    "root=/dev/xvda1 ro console=hvc0 earlyprintk=xen quiet",
		OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionPreserve,
		Disks: []DiskSpec{
			{Target: "../images/root.img", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true, Line: 19},
			{Target: "../images/data.img", Format: "raw", VDev: "xvdb", DevID: 51728, Discard: true, Line: 20},
			{Target: "/dev/vg/swap", Format: "raw", VDev: "xvdc", DevID: 51744, Discard: true, Line: 21},
			{Target: "/srv/iso/install.iso", Format: "raw", VDev: "xvdd", DevID: 51760, ReadOnly: true, CDROM: true, Line: 22},
		},
		Vifs: []VifSpec{
			{MAC: "00:16:3e:01:02:03", Bridge: "xenbr0", IP: "192.0.2.10 2001:db8::10", Line: 24},
			{Line: 25},
		},
	}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	wd, _ := os.Getwd()
	for _, p := range []struct{ name, got, want string }{ // testdata/../kernels
		{"KernelPath", c.KernelPath(), filepath.Join(wd, "kernels", "vmlinuz")},
		{"RamdiskPath", c.RamdiskPath(), filepath.Join(wd, "kernels", "initrd.img")},
		{"DiskPath", c.DiskPath(c.Disks[0]), filepath.Join(wd, "images", "root.img")},
		{"DiskPath absolute", c.DiskPath(c.Disks[2]), "/dev/vg/swap"},
	} {
		if p.got != p.want {
			t.Errorf("%s = %q, want %q", p.name, p.got, p.want)
		}
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
