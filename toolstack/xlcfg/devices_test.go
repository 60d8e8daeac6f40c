package xlcfg

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDisk(t *testing.T) {
	xvda := DiskSpec{Target: "/path/img", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}
	with := func(d DiskSpec, f func(*DiskSpec)) DiskSpec {
		f(&d)
		return d
	}
	// hdc, as xl-disk-configuration(5)'s examples write it.
	iso := DiskSpec{Target: "/root/image.iso", Format: "raw", VDev: "hdc", DevID: 202<<8 | 2<<4, ReadOnly: true, CDROM: true}
	vol := DiskSpec{Target: "/dev/vg/guest-volume", Format: "raw", VDev: "hda", DevID: 51712, Discard: true}
	tests := []struct {
		spec string
		want DiskSpec
	}{
		{"/path/img,raw,xvda,rw", xvda},
		{"format=raw, vdev=xvda, access=rw, target=/path/img", xvda},
		{"vdev=xvda,target=/path/img", xvda},
		{"  /path/img , raw , xvda , w ", xvda},
		{"/path/img,,xvda", xvda},
		{"/path/img,raw,xvda,", xvda},
		{"/path/img,,xvda,ro", with(xvda, func(d *DiskSpec) { d.ReadOnly, d.Discard = true, false })},
		{"/path/img,,xvda,r,discard", with(xvda, func(d *DiskSpec) { d.ReadOnly = true })},
		{"/path/img,,xvda,no-discard", with(xvda, func(d *DiskSpec) { d.Discard = false })},
		{"direct-io-safe, backendtype=phy, specification=xen, /path/img,,xvda", xvda},
		{"format=raw,/path/img,xvda,rw", xvda}, // format given: the second positional is the vdev
		{"vdev=xvda,/path/img,,rw", xvda},

		// The equivalent forms in xl-disk-configuration(5).
		{"/dev/vg/guest-volume,,hda", vol},
		{"/dev/vg/guest-volume,raw,hda,rw", vol},
		{"format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume", vol},
		{"raw:/dev/vg/guest-volume,hda,w", vol},
		{"/root/image.iso,,hdc,cdrom", iso},
		{"/root/image.iso,,hdc,,cdrom", iso},
		{"/root/image.iso,raw,hdc,devtype=cdrom", iso},
		{"format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso", iso},
		{"raw:/root/image.iso,hdc:cdrom,ro", iso},

		// Deprecated prefixes take format's place; they mean raw.
		{"phy:/dev/sdb,xvdb,w", DiskSpec{Target: "/dev/sdb", Format: "raw", VDev: "xvdb", DevID: 51728, Discard: true}},
		{"file:/path/img,xvda,r", with(xvda, func(d *DiskSpec) { d.ReadOnly, d.Discard = true, false })},
		{"tap:aio:/path/img,xvda,w", xvda},
		{"tap2:tapdisk:ioemu:/path/img,xvda", xvda},
		{"phy:/path/img,xvda:disk", xvda},

		// target= takes the rest, commas and trailing blanks included,
		// less one final comma.
		{"vdev=xvda, target=/a,b", DiskSpec{Target: "/a,b", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}},
		{"vdev=xvda, target=/a,", DiskSpec{Target: "/a", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}},
		{"vdev=xvda, target=/a,,", DiskSpec{Target: "/a,", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}},
		{"vdev=xvda, target= /my disk ", DiskSpec{Target: "/my disk ", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}},
		{"vdev=xvda, target=/a=b:c", DiskSpec{Target: "/a=b:c", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true}},
		{",,xvda,target=/path/img", xvda}, // an empty target may be given again

		// Numbering.
		{"/i,,xvdp15", DiskSpec{Target: "/i", Format: "raw", VDev: "xvdp15", DevID: 202<<8 | 15<<4 | 15, Discard: true}},
		{"/i,,xvdq", DiskSpec{Target: "/i", Format: "raw", VDev: "xvdq", DevID: 1<<28 | 16<<8, Discard: true}},
		{"/i,,sdb3", DiskSpec{Target: "/i", Format: "raw", VDev: "sdb3", DevID: 202<<8 | 1<<4 | 3, Discard: true}},
	}
	for _, tt := range tests {
		got, err := parseDisk(tt.spec)
		if err != nil {
			t.Errorf("parseDisk(%q): %s", tt.spec, err.msg)
			continue
		}
		if got != tt.want {
			t.Errorf("parseDisk(%q)\ngot  %+v\nwant %+v", tt.spec, got, tt.want)
		}
		// String gives a spec that reads back the same.
		again, err := parseDisk(got.String())
		if err != nil || again != got {
			t.Errorf("parseDisk(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseDiskErrors(t *testing.T) {
	tests := []struct {
		spec string
		err  error
		msg  string
	}{
		{"", ErrBadValue, `empty disk spec (write "/path/to/disk.img,raw,xvda,rw")`},
		{" ", ErrBadValue, `empty disk spec`},
		{"/img,qcow2,xvda", ErrUnsupported, `format "qcow2" is not supported: Xenolith serves raw images only (convert it with qemu-img convert -O raw, then use format=raw)`},
		{"format=vhd,vdev=xvda,target=/img", ErrUnsupported, `format "vhd" is not supported`},
		{"qcow2:/img,xvda", ErrUnsupported, `format "qcow2" is not supported`},
		{"tap:qcow:/img,xvda", ErrUnsupported, `format "qcow" is not supported`},
		{"/img,empty,xvda", ErrUnsupported, `format "empty" is not supported`},
		{"/img,foo,xvda", ErrBadValue, `"foo" is not a disk format (use raw)`},
		{"/img,xvda,rw", ErrBadValue, `"xvda" is in the format position: write TARGET,raw,xvda,rw (or vdev=xvda)`},
		{"/img,raw,xvda,rw,extra", ErrBadValue, `too many positional parameters at "extra": the order is target, format, vdev, access`},
		{"/img,raw,xvda,rx", ErrBadValue, `access "rx" is not ro, r, rw or w`},
		{"access=maybe,/img,,xvda", ErrBadValue, `access "maybe" is not ro, r, rw or w`},
		{"devtype=floppy,/img,,xvda", ErrBadValue, `devtype "floppy" is not disk or cdrom`},
		{"/img,,hdc:floppy", ErrBadValue, `"floppy" after the vdev is not cdrom or disk (write devtype=cdrom)`},
		{"backendtype=nfs,/img,,xvda", ErrBadValue, `backendtype "nfs" is not phy, tap, qdisk or standalone`},
		{"/img,raw,xvdA", ErrBadValue, `vdev "xvdA" is not a disk name: use xvda, xvdb, ..., xvdz, xvdaa, ... with an optional partition number (xvda1); hda-hdd and sda-sdp also work`},
		{"target=/img, vdev=xvda", ErrBadValue, `target= must come last: it takes the rest of the spec, commas included, so it would swallow "vdev=xvda" (move target=... to the end)`},
		{"target=/img,xvdb", ErrBadValue, `target= must come last: it takes the rest of the spec, commas included, so it would swallow "xvdb"`},
		{"vdev=xvda,target=/img, cdrom", ErrBadValue, `so it would swallow "cdrom"`},
		{"/img", ErrBadValue, `no vdev: add vdev=xvda (or write TARGET,raw,xvda,rw)`},
		{"/img,raw", ErrBadValue, `no vdev`},
		{"/img,raw,,rw", ErrBadValue, `no vdev`},
		{",raw,xvda", ErrBadValue, `no target: give the image path (TARGET,raw,xvda,rw or target=PATH); Xenolith has no empty cdrom drives`},
		{",,hdc:cdrom", ErrBadValue, `no target`},
		{",hdc:cdrom", ErrBadValue, `no target`},
		{"foo=bar,/img,,xvda", ErrBadValue, `unknown parameter "foo=" (disk specs take target, format, vdev, access, devtype, backendtype, cdrom, discard, no-discard and direct-io-safe; a path containing '=' must be written target=PATH, last)`},
		{"/a=b,raw,xvda", ErrBadValue, `unknown parameter "/a="`},
		{"script=block-iscsi,/img,,xvda", ErrUnsupported, `script= is not supported by Xenolith: remove it`},
		{"backend=dd,/img,,xvda", ErrUnsupported, `backend= is not supported by Xenolith: remove it`},
		{"specification=virtio,/img,,xvda", ErrUnsupported, `specification=virtio is not supported: Xenolith offers Xen PV disks (remove it)`},
		{"specification=scsi,/img,,xvda", ErrBadValue, `specification "scsi" is not xen or virtio`},
		{"colo,/img,,xvda", ErrUnsupported, `colo is not supported by Xenolith: remove it`},
		{"untrusted,/img,,xvda", ErrUnsupported, `untrusted is not supported by Xenolith: remove it`},
		{"iscsi:iqn.2001-05.com.example:disk,xvda", ErrUnsupported, `iscsi: means the block-iscsi hotplug script, which Xenolith does not run: give a raw image file or block device`},
		{"bogus:/img,xvda", ErrBadValue, `unknown prefix "bogus:" (write the path alone, with format=raw if needed)`},
		{"/img,,xvda,rw,cdrom", ErrBadValue, `access rw on a cdrom: a cdrom is read-only (use access=ro, or devtype=disk)`},
		{"vdev=xvda,vdev=xvdb,/img", ErrBadValue, `vdev is given twice ("xvda" and "xvdb"): each parameter may appear once`},
		{"/img,,xvda,target=/other", ErrBadValue, `target is given twice ("/img" and "/other")`},
		{"/img,,xvda,discard,no-discard", ErrBadValue, `no-discard after discard: give discard or no-discard once`},
	}
	for _, tt := range tests {
		got, err := parseDisk(tt.spec)
		if err == nil {
			t.Errorf("parseDisk(%q) = %+v, want an error", tt.spec, got)
			continue
		}
		if err.err != tt.err || !strings.Contains(err.msg, tt.msg) {
			t.Errorf("parseDisk(%q):\n%v %s\nwant\n%v %s...", tt.spec, err.err, err.msg, tt.err, tt.msg)
		}
	}
}

func TestVDevNumber(t *testing.T) {
	tests := []struct {
		name string
		id   uint32 // 0: not a disk name
	}{
		{"xvda", 51712}, {"xvdb", 51728}, {"xvda1", 51713}, {"xvdb15", 51743}, {"xvdp", 202<<8 | 15<<4},
		{"xvda16", 1<<28 | 16}, {"xvdq", 1<<28 | 16<<8}, {"xvdz", 1<<28 | 25<<8}, {"xvdaa", 1<<28 | 26<<8},
		{"xvdtq37", 1<<28 | 536<<8 | 37}, {"xvda255", 1<<28 | 255}, {"xvdbgqcv", 1<<28 | (1<<20-1)<<8}, {"xvdbgqcw", 0}, // xen-vbd-interface(7)
		{"hda", 51712}, {"hdd", 202<<8 | 3<<4}, {"hdb63", 1<<28 | 1<<8 | 63}, {"sda", 51712}, {"sdp15", 202<<8 | 15<<4 | 15},
		{"xvd", 0}, {"xvda0", 0}, {"xvda01", 0}, {"xvda256", 0}, {"xvdA", 0}, {"xvda1b", 0}, {"xvdcaaaa", 0},
		{"hde", 0}, {"hda64", 0}, {"sdq", 0}, {"sda16", 0}, {"vda", 0}, {"d0p0", 0}, {"51712", 0}, {"", 0}, {"xvda-1", 0},
	}
	for _, tt := range tests {
		id, ok := vdevNumber(tt.name)
		if ok != (tt.id != 0) || id != tt.id {
			t.Errorf("vdevNumber(%q) = %d, %v; want %d", tt.name, id, ok, tt.id)
		}
	}
}

func TestParseVif(t *testing.T) {
	tests := []struct {
		spec string
		want VifSpec
	}{
		{"", VifSpec{}},
		{" , ,", VifSpec{}},
		{"bridge=xenbr0", VifSpec{Bridge: "xenbr0"}},
		{"mac=00:16:3E:AB:cd:0F, bridge = xenbr1 ,ip=192.0.2.1 2001:db8::1 10.0.0.0/8",
			VifSpec{MAC: "00:16:3e:ab:cd:0f", Bridge: "xenbr1", IP: "192.0.2.1 2001:db8::1 10.0.0.0/8"}},
		{"type=vif,model=e1000,vifname=vif-web.0,script=vif-bridge,rate=10Mb/s,backend=netdom",
			VifSpec{Type: "vif", Model: "e1000", VifName: "vif-web.0", Script: "vif-bridge", Rate: "10Mb/s", Backend: "netdom"}},
		{"rate=100MB/s@20ms", VifSpec{Rate: "100MB/s@20ms"}},
		{"rate=4294967295B/s@4294967295us", VifSpec{Rate: "4294967295B/s@4294967295us"}},
		{"rate=1Kb/s@1", VifSpec{Rate: "1Kb/s@1"}},
		{"mac=02:00:00:00:00:01", VifSpec{MAC: "02:00:00:00:00:01"}}, // locally administered is fine
		{"script=/etc/xen/scripts/vif-route arg=1", VifSpec{Script: "/etc/xen/scripts/vif-route arg=1"}},
	}
	for _, tt := range tests {
		got, err := parseVif(tt.spec)
		if err != nil {
			t.Errorf("parseVif(%q): %s", tt.spec, err.msg)
			continue
		}
		if got != tt.want {
			t.Errorf("parseVif(%q)\ngot  %+v\nwant %+v", tt.spec, got, tt.want)
		}
		again, err := parseVif(got.String())
		if err != nil || again != got {
			t.Errorf("parseVif(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseVifErrors(t *testing.T) {
	tests := []struct {
		spec string
		err  error
		msg  string
	}{
		{"mac=00:16:3e:00:00", ErrBadValue, `mac "00:16:3e:00:00" is not 6 hex octets (write mac=00:16:3e:xx:xx:xx, or leave it out to have one generated)`},
		{"mac=00:16:3e:00:00:0g", ErrBadValue, `is not 6 hex octets`},
		{"mac=0:16:3e:00:00:01", ErrBadValue, `is not 6 hex octets`},
		{"mac=00-16-3e-00-00-01", ErrBadValue, `is not 6 hex octets`},
		{"mac=01:00:5E:00:00:01", ErrBadValue, `mac 01:00:5e:00:00:01 is a multicast address (the low bit of the first octet is set): use a unicast one such as 00:16:3e:xx:xx:xx`},
		{"mac=ff:ff:ff:ff:ff:ff", ErrBadValue, `is a multicast address`},
		{"mac=00:00:00:00:00:00", ErrBadValue, `mac 00:00:00:00:00:00 is all zeros`},
		{"ip=192.0.2.300", ErrBadValue, `ip "192.0.2.300" is not an IPv4 or IPv6 address (separate several with spaces)`},
		{"ip=192.0.2.1,192.0.2.2", ErrBadValue, `"192.0.2.2" is not KEY=VALUE (vif specs are comma-separated KEY=VALUE: mac, bridge, ip, model, type, vifname, script, rate and backend)`},
		{"ip=10.0.0.1 fe80::zz", ErrBadValue, `ip "fe80::zz" is not an IPv4 or IPv6 address`},
		{"bridge", ErrBadValue, `"bridge" is not KEY=VALUE`},
		{"foo=bar", ErrBadValue, `unknown parameter "foo=" (vif specs take mac, bridge, ip, model, type, vifname, script, rate and backend; see xl-network-configuration(5))`},
		{"Bridge=xenbr0", ErrBadValue, `unknown parameter "Bridge="`},
		{"mtu=9000", ErrUnsupported, `mtu= is not supported by Xenolith: remove it`},
		{"gatewaydev=eth0", ErrUnsupported, `gatewaydev= is not supported`},
		{"colo_sock_mirror_id=1", ErrUnsupported, `colo_sock_mirror_id= is not supported`},
		{"trusted", ErrUnsupported, `trusted is not supported by Xenolith: remove it`},
		{"type=ioemu", ErrUnsupported, `type=ioemu is not supported: PVH guests have no emulated network cards (use type=vif)`},
		{"type=tap", ErrBadValue, `type "tap" is not vif`},
		{"bridge=xenbr0,bridge=xenbr1", ErrBadValue, `bridge is given twice: each parameter may appear once`},
		{"bridge=", ErrBadValue, `bridge= has no value (remove it for the default)`},
		{"bridge=xen br0", ErrBadValue, `bridge "xen br0" is not a network interface name (at most 15 bytes, no '/', ':' or white space)`},
		{"vifname=a-very-long-ifname", ErrBadValue, `vifname "a-very-long-ifname" is not a network interface name`},
		{"vifname=../x", ErrBadValue, `vifname "../x" is not a network interface name`},
		{"rate=10Mb", ErrBadValue, `rate "10Mb" is not RATE/s or RATE/s@INTERVAL (such as 10Mb/s, 100MB/s@20ms;`},
		{"rate=0Mb/s", ErrBadValue, `rate "0Mb/s" is not RATE/s`},
		{"rate=4294967296B/s", ErrBadValue, `is not RATE/s`},
		{"rate=10Tb/s", ErrBadValue, `is not RATE/s`},
		{"rate=10Mb/s@", ErrBadValue, `is not RATE/s`},
		{"rate=10Mb/s@20ns", ErrBadValue, `is not RATE/s`},
		{"rate=10Mb/s@4295s", ErrBadValue, `is not RATE/s`},
	}
	for _, tt := range tests {
		got, err := parseVif(tt.spec)
		if err == nil {
			t.Errorf("parseVif(%q) = %+v, want an error", tt.spec, got)
			continue
		}
		if err.err != tt.err || !strings.Contains(err.msg, tt.msg) {
			t.Errorf("parseVif(%q):\n%v %s\nwant\n%v %s...", tt.spec, err.err, err.msg, tt.err, tt.msg)
		}
	}
}

func TestUUID(t *testing.T) {
	want := [16]byte{0x6f, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x4a, 0x6b, 0x8c, 0x7d, 0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d}
	for _, s := range []string{"6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "6f1B2c3D-4e5F-4a6B-8c7D-9e0F1a2B3c4D"} {
		if u, ok := parseUUID(s); !ok || u != want {
			t.Errorf("parseUUID(%q) = %x, %v", s, u, ok)
		}
	}
	if got := formatUUID(want); got != "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" {
		t.Errorf("formatUUID = %q", got)
	}
	for _, s := range []string{"", "6f1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4dd",
		"6f1b2c3d-4e5f-4a6b-8c7d_9e0f1a2b3c4d", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g", "{6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c}", "6f1b2c3d-4e5f-4a6b-8c7d-+e0f1a2b3c4d"} {
		if u, ok := parseUUID(s); ok {
			t.Errorf("parseUUID(%q) = %x, want an error", s, u)
		}
	}
}

func TestDecodeDevices(t *testing.T) {
	c, err := decodeString(t, "vm.cfg", minimal+`uuid = "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
maxmem = 256
maxvcpus = 4
ramdisk = "initrd.img"
disk = [ '/img/root.img,raw,xvda,rw',
         'phy:/dev/sdb,xvdb,w' ]
disk += [ '/img/cd.iso,,hdc,cdrom' ]
vif = [ 'mac=00:16:3E:00:00:01, bridge=xenbr0', '' ]
`)
	if err != nil {
		t.Fatal(err)
	}
	want := DomainConfig{Type: "pvh", Name: "vm", Kernel: "vmlinuz", Ramdisk: "initrd.img", HasUUID: true,
		UUID:      [16]byte{0x6f, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x4a, 0x6b, 0x8c, 0x7d, 0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d},
		MemoryMiB: 256, MaxMemMiB: 256, VCPUs: 1, MaxVCPUs: 4, // memory defaults to maxmem, vcpus to 1 (libxl)
		OnPoweroff: ActionDestroy, OnReboot: ActionRestart, OnCrash: ActionDestroy,
		Disks: []DiskSpec{
			{Target: "/img/root.img", Format: "raw", VDev: "xvda", DevID: 51712, Discard: true, Line: 8},
			{Target: "/dev/sdb", Format: "raw", VDev: "xvdb", DevID: 51728, Discard: true, Line: 9},
			{Target: "/img/cd.iso", Format: "raw", VDev: "hdc", DevID: 51744, ReadOnly: true, CDROM: true, Line: 10},
		},
		Vifs: []VifSpec{{MAC: "00:16:3e:00:00:01", Bridge: "xenbr0", Line: 11}, {Line: 11}},
	}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if c.RamdiskPath() != "initrd.img" || c.DiskPath(c.Disks[0]) != "/img/root.img" {
		t.Errorf("RamdiskPath %q, DiskPath %q", c.RamdiskPath(), c.DiskPath(c.Disks[0]))
	}

	// maxmem over memory is accepted with a warning; no ramdisk is "".
	c, err = decodeString(t, "vm.cfg", minimal+"memory = 512\nmaxmem = 1024\nvcpus = 2\nmaxvcpus = 2\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.MemoryMiB != 512 || c.MaxMemMiB != 1024 || c.VCPUs != 2 || c.MaxVCPUs != 2 || c.Ramdisk != "" || c.RamdiskPath() != "" || c.HasUUID {
		t.Errorf("got %+v", public(c))
	}
	if want := []string{"vm.cfg:5: maxmem (1024 MiB) is more than memory (512 MiB): Xenolith does not balloon, so the guest gets 512 MiB and cannot grow"}; !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("warnings %q, want %q", c.Warnings, want)
	}

	// Empty lists and a nil UUID, which xl takes as given.
	c, err = decodeString(t, "vm.cfg", minimal+"disk = []\nvif = []\nuuid = '00000000-0000-0000-0000-000000000000'\n")
	if err != nil || c.Disks != nil || c.Vifs != nil || !c.HasUUID || c.UUID != [16]byte{} {
		t.Errorf("got %+v, %v", public(c), err)
	}
	if c.IsSet("disk") != true || c.IsSet("ramdisk") {
		t.Error("IsSet")
	}
}

// TestDecodeDeviceErrors checks that errors in one list item name the
// item's own line.
func TestDecodeDeviceErrors(t *testing.T) {
	src := minimal + `disk = [ '/a.img,raw,xvda,rw',
  '/b.img,qcow2,xvdb',
  '/c.img,,xvda',
  '/d.img,,hda' ]
vif = [ 'mac=00:16:3e:00:00:01',
  'mac=00:16:3E:00:00:01', 'mac=03:00:00:00:00:01' ]
`
	_, err := decodeString(t, "bad.cfg", src)
	want := `bad.cfg:5: key "disk": "/b.img,qcow2,xvdb": format "qcow2" is not supported: Xenolith serves raw images only (convert it with qemu-img convert -O raw, then use format=raw)
bad.cfg:6: key "disk": "/c.img,,xvda": vdev xvda is already used by the disk at line 4 (each disk needs its own vdev)
bad.cfg:7: key "disk": "/d.img,,hda": vdev hda is the same device as xvda, used by the disk at line 4 (each disk needs its own vdev)
bad.cfg:9: key "vif": "mac=00:16:3E:00:00:01": mac 00:16:3e:00:00:01 is already used by the vif at line 8 (each vif needs its own MAC)
bad.cfg:9: key "vif": "mac=03:00:00:00:00:01": mac 03:00:00:00:00:01 is a multicast address (the low bit of the first octet is set): use a unicast one such as 00:16:3e:xx:xx:xx`
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	if !errors.Is(err, ErrUnsupported) || !errors.Is(err, ErrBadValue) {
		t.Error("errors.Is")
	}
}

func TestParseDiskSpecAndVDevNumber(t *testing.T) {
	d, err := ParseDiskSpec("/img/x.img,raw,xvdb,ro")
	if err != nil || d.DevID != 51728 || !d.ReadOnly || d.Target != "/img/x.img" {
		t.Errorf("ParseDiskSpec = %+v, %v", d, err)
	}
	if _, err := ParseDiskSpec("/img,qcow2,xvdb"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "qcow2") {
		t.Errorf("qcow2: %v, want ErrUnsupported naming the format", err)
	}
	if _, err := ParseDiskSpec("/img,raw"); !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "no vdev") {
		t.Errorf("no vdev: %v", err)
	}
	if _, err := ParseDiskSpec(strings.Repeat("a", MaxStringLen+1)); !errors.Is(err, ErrLimit) {
		t.Errorf("huge spec: %v, want ErrLimit", err)
	}
	for s, want := range map[string]uint32{"xvdb": 51728, "51728": 51728, "0": 0, "4294967295": 1<<32 - 1} {
		if got, ok := VDevNumber(s); !ok || got != want {
			t.Errorf("VDevNumber(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "4294967296", "99999999999", "vda", "-1", "xvdb "} {
		if got, ok := VDevNumber(s); ok {
			t.Errorf("VDevNumber(%q) = %d, want not a vdev", s, got)
		}
	}
}
