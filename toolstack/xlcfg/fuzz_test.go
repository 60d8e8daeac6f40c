package xlcfg

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse or Decode panic, that errors
// are the documented types, and that a parsed file survives a trip
// through String: the same settings, the same text, the same config; and
// that a decoded config survives a trip through File, disks and vifs
// included.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.cfg"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"", minimal, minimal + "memory = 512\nvcpus = 2\ncmdline = 'x'\n",
		"a = 1; b = 'x'; c = [1, 'y',]", "x = [\n# c\n'a', \\\n 'b'\n]\nx += ['c']",
		"s = \"\\x41\\101\\n\\\\\\\"\"", "e = 'a'\ne += 'b'\ne += 'c'", "n = 0x7fffffffffffffff",
		"name = 'unterminated", "m = 0x", "v = [[1]]", "a = \\\n 1", "\uFEFFa = 1\r\n",
		"type = 'hvm'\nname = 'Domain-0'\nmemory = '-1'\nfoo = 1",
		minimal + "uuid = '6f1b2c3d-4E5F-4a6b-8c7d-9e0f1a2b3c4d'\nmaxmem = 64\nmaxvcpus = 8\nramdisk = 'initrd'\n",
		minimal + "memory = 64\nmaxmem = 32\nvcpus = 4\nmaxvcpus = 2\nuuid = 'x'\n",
		minimal + "disk = [ '/img,raw,xvda,rw', 'format=raw, vdev=xvdb, access=ro, target=/a,b,' ]\n",
		minimal + "disk = [ 'phy:/dev/sdb,xvdb,w', 'tap:aio:/i,hdc:cdrom', 'raw:/r,sda1,r', '/c,,xvdq,,cdrom', '/d,,xvdz300,no-discard' ]\n",
		minimal + "disk = [ '/img,qcow2,xvda', 'target=/x, vdev=xvda', '/y,,xvd0', '/z,,xvda,rw,extra', 'foo=1' ]\ndisk += [ '/w,,hda' ]\n",
		minimal + "vif = [ '', 'mac=00:16:3E:AA:bb:cc, bridge=xenbr0, ip=10.0.0.1 fe80::1, rate=10Mb/s@20ms', 'type=vif,vifname=v1,script=vif-bridge,model=e1000,backend=dom0' ]\n",
		minimal + "vif = [ 'mac=01:00:00:00:00:00', 'mac=zz', 'ip=300.0.0.1', 'mtu=9000', 'foo=bar', 'bridge' ]\n",
		minimal + "disk = '/img,raw,xvda'\nvif = 5\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		f1, err := Parse("fuzz.cfg", src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) {
				t.Fatalf("Parse error %T %v is not a *SyntaxError wrapping ErrSyntax or ErrLimit", err, err)
			}
			if se.File != "fuzz.cfg" || se.Line < 0 || se.Col < 0 || se.Msg == "" || len(se.Msg) > 500 {
				t.Fatalf("bad SyntaxError %+v", se)
			}
			return
		}
		c1, err1 := Decode(f1)
		if err1 != nil {
			var ce *ConfigError
			if !errors.As(err1, &ce) || len(err1.Error()) > 20*1024 {
				t.Fatalf("Decode error %T is not a *ConfigError or too long: %.200v", err1, err1)
			}
		}

		text := f1.String()
		if len(text) > MaxFileSize {
			return // escapes can make the text longer than the limit
		}
		f2, err := Parse("fuzz.cfg", []byte(text))
		if err != nil {
			t.Fatalf("String gave text Parse refuses: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(strip(f1.Settings), strip(f2.Settings)) {
			t.Fatalf("settings changed through String:\n%#v\n%#v", f1.Settings, f2.Settings)
		}
		if again := f2.String(); again != text {
			t.Fatalf("String is not stable:\n%s\n%s", text, again)
		}
		for _, s := range f1.Settings {
			l1, _ := f1.Lookup(s.Key)
			l2, _ := f2.Lookup(s.Key)
			if !reflect.DeepEqual(stripValue(l1.Value), stripValue(l2.Value)) {
				t.Fatalf("Lookup(%q) changed: %v != %v", s.Key, l1.Value, l2.Value)
			}
		}
		c2, err2 := Decode(f2)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Decode changed through String: %v, then %v", err1, err2)
		}
		if err1 != nil {
			// Messages name the same keys; only line numbers may differ.
			if strings.Count(err1.Error(), "\n") != strings.Count(err2.Error(), "\n") {
				t.Fatalf("error count changed:\n%v\n%v", err1, err2)
			}
			return
		}
		if !sameConfig(c1, c2) || len(c1.Warnings) != len(c2.Warnings) {
			t.Fatalf("config changed through String: %+v, then %+v", public(c1), public(c2))
		}
		// A decoded config written out decodes to itself.
		c3, err := Decode(c1.File())
		if err != nil || !sameConfig(c3, c1) {
			t.Fatalf("File of %+v decodes to %+v, %v", public(c1), c3, err)
		}
	})
}

// FuzzParseDiskSpec checks that ParseDiskSpec (xl block-attach's argument)
// never panics, that its errors are the documented sentinels, and that a
// spec it accepts survives a trip through DiskSpec.String.
func FuzzParseDiskSpec(f *testing.F) {
	for _, s := range []string{"/img,raw,xvda,rw", "format=raw, vdev=xvdb, access=ro, target=/a,b,",
		"phy:/dev/sdb,xvdb,w", "hdc:cdrom", "/c,,xvdq,,cdrom", "/img,qcow2,xvda", "target=/x, vdev=xvda", "foo=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		d, err := ParseDiskSpec(spec)
		if err != nil {
			if !errors.Is(err, ErrBadValue) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimit) {
				t.Fatalf("ParseDiskSpec(%q): undocumented error %v", spec, err)
			}
			return
		}
		again, err := ParseDiskSpec(d.String())
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("ParseDiskSpec(%q) = %+v, but its String %q reads back as %+v, %v", spec, d, d.String(), again, err)
		}
		if id, ok := VDevNumber(d.VDev); !ok || id != d.DevID {
			t.Fatalf("VDevNumber(%q) = %d, %v; spec says %d", d.VDev, id, ok, d.DevID)
		}
	})
}
