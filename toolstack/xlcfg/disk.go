package xlcfg

import (
	"fmt"
	"strconv"
	"strings"
)

// DiskSpec is one item of "disk", a virtual block device (vbd), from a
// spec in xl-disk-configuration(5) syntax. A valid DiskSpec has a Target,
// Format "raw" and a VDev.
//
// Accepted with no effect, because they only tune how xl's back ends
// serve a disk: backendtype (phy, tap, qdisk, standalone),
// specification=xen and direct-io-safe. Refused, as ErrUnsupported:
// formats other than raw, script= and the iscsi:/nbd:/enbd:/drbd:
// prefixes (hotplug scripts), backend= (driver domains),
// specification=virtio, the COLO parameters, trusted, untrusted and
// grant_usage.
type DiskSpec struct {
	// Target is the image file or block device, as written; a relative
	// path is relative to the config file (see DomainConfig.DiskPath).
	// Never empty: Xenolith has no empty cdrom drives.
	Target string
	// Format is always "raw" (written or defaulted): Xenolith serves
	// raw images only and refuses qcow, qcow2, vhd, qed and empty.
	Format string
	// VDev is the guest's name for the disk, as written: xvda, xvdb1,
	// hda or sdb2 (a deprecated "hdc:cdrom" gives VDev "hdc" and CDROM).
	VDev string
	// DevID is VDev's Xen virtual-device number, the front end's
	// virtual-device key and device id (xen-vbd-interface(7)): disk d,
	// partition p is 202<<8 | d<<4 | p when d and p are at most 15
	// (xvda = 51712, xvdb = 51728), else 1<<28 | d<<8 | p. hd and sd
	// names are numbered like xvd (hda and sda are both 51712, xvda)
	// rather than with libxl's IDE (3<<8) and SCSI (8<<8) numbers: a PVH
	// guest has no emulated controllers, so the name is only advisory.
	DevID uint32
	// ReadOnly: access=ro or r (default rw), or a cdrom.
	ReadOnly bool
	// CDROM: devtype=cdrom, the cdrom flag or a VDEV:cdrom vdev. A cdrom
	// is always ReadOnly.
	CDROM bool
	// Discard: the guest may discard (TRIM) blocks. As libxl: the
	// discard and no-discard flags, else on for a writable disk.
	Discard bool
	// Line is where the spec is in the config file (0 if unknown).
	Line int
}

// specError is why a disk or vif spec is refused.
type specError struct {
	err error // ErrBadValue or ErrUnsupported
	msg string
}

func badSpec(format string, args ...any) *specError {
	return &specError{ErrBadValue, fmt.Sprintf(format, args...)}
}

func unsupportedSpec(format string, args ...any) *specError {
	return &specError{ErrUnsupported, fmt.Sprintf(format, args...)}
}

// specSpace is the white space trimmed around disk and vif parameters.
const specSpace = " \t\n\r\v\f"

func trimSpec(s string) string { return strings.Trim(s, specSpace) }

// diskParam is one parameter of a disk spec while it is being read.
type diskParam struct {
	val string
	set bool
}

// diskParser reads one disk spec the way libxlu's disk lexer does
// (tools/libs/util/libxlu_disk_l.l): comma-separated KEY=VALUE, flags,
// deprecated PREFIX: and positional parameters, with target= taking the
// rest of the spec.
type diskParser struct {
	target, format, vdev, access, devtype diskParam
	cdromFlag                             bool
	discard                               diskParam // "1" or "0"
	hadPrefix                             bool      // a deprecated prefix such as phy: was given
}

const diskParamList = "target, format, vdev, access, devtype, backendtype, cdrom, discard, no-discard and direct-io-safe"

// diskKeys are the KEY= names of xl-disk-configuration(5); the value says
// whether Xenolith refuses the parameter.
var diskKeys = map[string]bool{
	"target": false, "format": false, "vdev": false, "access": false, "devtype": false,
	"backendtype": false, "specification": false,
	"backend": true, "script": true, "colo-host": true, "colo-port": true, "colo-export": true,
	"active-disk": true, "hidden-disk": true, "grant_usage": true,
}

// diskFlags are the bare-word parameters; the value says whether Xenolith
// refuses the flag.
var diskFlags = map[string]bool{
	"cdrom": false, "discard": false, "no-discard": false, "direct-io-safe": false,
	"colo": true, "no-colo": true, "trusted": true, "untrusted": true,
}

// diskFormats are xl's formats; Xenolith serves only raw.
var diskFormats = map[string]bool{"raw": true, "qcow": true, "qcow2": true, "vhd": true, "qed": true, "empty": true}

// parseDisk reads one disk spec.
func parseDisk(spec string) (DiskSpec, *specError) {
	if trimSpec(spec) == "" {
		return DiskSpec{}, badSpec(`empty disk spec (write "/path/to/disk.img,raw,xvda,rw")`)
	}
	p := &diskParser{}
	s := spec
	for {
		s = strings.TrimLeft(s, specSpace)
		if s == "" {
			break
		}
		if prefix, ok := diskPrefix(s); ok {
			if err := p.prefix(prefix); err != nil {
				return DiskSpec{}, err
			}
			s = s[len(prefix)+1:]
			continue
		}
		comma := strings.IndexByte(s, ',')
		end := comma
		if end < 0 {
			end = len(s)
		}
		if eq := strings.IndexByte(s[:end], '='); eq >= 0 {
			key := trimSpec(s[:eq])
			if key == "target" {
				// target= takes the rest of the spec, commas and
				// trailing blanks included; one final comma goes.
				v := strings.TrimSuffix(strings.TrimLeft(s[eq+1:], specSpace), ",")
				if swallowed := targetSwallows(v); swallowed != "" {
					return DiskSpec{}, badSpec("target= must come last: it takes the rest of the spec, commas included, so it would swallow %q (move target=... to the end)", trunc(swallowed))
				}
				if err := p.set(&p.target, "target", v); err != nil {
					return DiskSpec{}, err
				}
				break
			}
			tok, rest := s[eq+1:], ""
			if comma >= 0 {
				tok, rest = s[eq+1:comma], s[comma+1:]
			}
			s = rest
			if err := p.param(key, trimSpec(tok)); err != nil {
				return DiskSpec{}, err
			}
			continue
		}
		tok, rest, _ := strings.Cut(s, ",")
		s = rest
		tok = trimSpec(tok)
		if refused, ok := diskFlags[tok]; ok {
			if refused {
				return DiskSpec{}, unsupportedSpec("%s is not supported by Xenolith: remove it", tok)
			}
			if err := p.flag(tok); err != nil {
				return DiskSpec{}, err
			}
			continue
		}
		if err := p.positional(tok); err != nil {
			return DiskSpec{}, err
		}
	}
	return p.finish()
}

// diskPrefix returns the deprecated prefix s starts with ("phy" for
// "phy:/dev/sdb"), as libxlu's lexer sees one: a known prefix followed by
// anything, or any [a-z][a-z0-9]* followed by a colon and then nothing or
// something other than a letter or digit.
func diskPrefix(s string) (string, bool) {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) }
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return "", false
	}
	colon := 1
	for colon < len(s) && alnum(s[colon]) {
		colon++
	}
	if colon == len(s) || s[colon] != ':' {
		return "", false
	}
	name := s[:colon]
	if _, known := diskPrefixes[name]; known {
		return name, true
	}
	if rest := s[colon+1:]; rest == "" || !alnum(rest[0]) {
		return name, true
	}
	return "", false
}

// diskPrefixes are the deprecated prefixes libxlu knows: a format, a
// hotplug script, or nothing ("").
var diskPrefixes = map[string]string{
	"raw": "format", "qcow": "format", "qcow2": "format", "vhd": "format",
	"iscsi": "script", "nbd": "script", "enbd": "script", "drbd": "script",
	"tapdisk": "", "tap": "", "tap2": "", "aio": "", "ioemu": "", "file": "", "phy": "",
}

func (p *diskParser) prefix(name string) *specError {
	kind, known := diskPrefixes[name]
	switch {
	case !known:
		return badSpec("unknown prefix %q (write the path alone, with format=raw if needed)", trunc(name)+":")
	case kind == "script":
		return unsupportedSpec("%s: means the block-%s hotplug script, which Xenolith does not run: give a raw image file or block device", name, name)
	case kind == "format":
		if err := p.setFormat(name); err != nil {
			return err
		}
	}
	p.hadPrefix = true
	return nil
}

// set sets a parameter that may be given once. Like libxlu, it lets a
// value replace an empty one ("/img,,,access=ro" is fine), and it also
// lets the same value be given again.
func (p *diskParser) set(dst *diskParam, name, v string) *specError {
	if dst.set && dst.val != "" && dst.val != v {
		return badSpec("%s is given twice (%q and %q): each parameter may appear once", name, trunc(dst.val), trunc(v))
	}
	if !dst.set || v != "" {
		*dst = diskParam{val: v, set: true}
	}
	return nil
}

func (p *diskParser) setFormat(v string) *specError {
	if v == "" {
		v = "raw"
	}
	if !diskFormats[v] {
		if _, ok := vdevNumber(v); ok {
			return badSpec("%q is in the format position: write TARGET,raw,%s,rw (or vdev=%s)", trunc(v), v, v)
		}
		return badSpec("%q is not a disk format (use raw)", trunc(v))
	}
	if v != "raw" {
		return unsupportedSpec("format %q is not supported: Xenolith serves raw images only (convert it with qemu-img convert -O raw, then use format=raw)", v)
	}
	return p.set(&p.format, "format", v)
}

func (p *diskParser) setAccess(v string) *specError {
	switch v {
	case "", "rw", "w", "ro", "r":
		return p.set(&p.access, "access", v)
	}
	return badSpec("access %q is not ro, r, rw or w", trunc(v))
}

// setVDev sets the vdev from a vdev parameter, which may be the
// deprecated VDEV:cdrom or VDEV:disk.
func (p *diskParser) setVDev(v string) *specError {
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		switch t := v[i+1:]; t {
		case "cdrom", "disk":
			if err := p.set(&p.devtype, "devtype", t); err != nil {
				return err
			}
		default:
			return badSpec("%q after the vdev is not cdrom or disk (write devtype=cdrom)", trunc(t))
		}
		v = v[:i]
	}
	return p.set(&p.vdev, "vdev", v)
}

func (p *diskParser) param(key, v string) *specError {
	refused, known := diskKeys[key]
	switch {
	case !known:
		return badSpec("unknown parameter %q (disk specs take %s; a path containing '=' must be written target=PATH, last)", trunc(key)+"=", diskParamList)
	case refused:
		return unsupportedSpec("%s= is not supported by Xenolith: remove it", key)
	}
	switch key {
	case "format":
		return p.setFormat(v)
	case "access":
		return p.setAccess(v)
	case "vdev":
		return p.set(&p.vdev, "vdev", v)
	case "devtype":
		if v != "disk" && v != "cdrom" {
			return badSpec("devtype %q is not disk or cdrom", trunc(v))
		}
		return p.set(&p.devtype, "devtype", v)
	case "backendtype":
		switch v {
		case "phy", "tap", "qdisk", "standalone":
			return nil
		}
		return badSpec("backendtype %q is not phy, tap, qdisk or standalone", trunc(v))
	case "specification":
		switch v {
		case "xen":
			return nil
		case "virtio":
			return unsupportedSpec("specification=virtio is not supported: Xenolith offers Xen PV disks (remove it)")
		}
		return badSpec("specification %q is not xen or virtio", trunc(v))
	}
	panic("xlcfg: disk key " + key + " not handled")
}

func (p *diskParser) flag(f string) *specError {
	switch f {
	case "cdrom":
		p.cdromFlag = true
	case "discard", "no-discard":
		v := "1"
		if f == "no-discard" {
			v = "0"
		}
		if p.discard.set {
			prev := "discard"
			if p.discard.val == "0" {
				prev = "no-discard"
			}
			return badSpec("%s after %s: give discard or no-discard once", f, prev)
		}
		p.discard = diskParam{val: v, set: true}
	}
	return nil
}

// positional assigns a parameter without a key to the first of target,
// format, vdev and access not yet given; a deprecated prefix takes the
// place of format.
func (p *diskParser) positional(tok string) *specError {
	switch {
	case !p.target.set:
		p.target = diskParam{val: tok, set: true}
		return nil
	case !p.hadPrefix && !p.format.set:
		if p.target.val == "" && strings.ContainsRune(tok, ':') {
			// libxlu: ",,hdc:cdrom" is an empty cdrom drive.
			return p.setVDev(tok)
		}
		return p.setFormat(tok)
	case !p.vdev.set:
		return p.setVDev(tok)
	case !p.access.set:
		return p.setAccess(tok)
	}
	return badSpec("too many positional parameters at %q: the order is target, format, vdev, access (other parameters are KEY=VALUE or one of the flags cdrom, discard, no-discard, direct-io-safe)", trunc(tok))
}

func (p *diskParser) finish() (DiskSpec, *specError) {
	if p.target.val == "" {
		return DiskSpec{}, badSpec("no target: give the image path (TARGET,raw,xvda,rw or target=PATH); Xenolith has no empty cdrom drives")
	}
	if p.vdev.val == "" {
		return DiskSpec{}, badSpec("no vdev: add vdev=xvda (or write TARGET,raw,xvda,rw)")
	}
	id, ok := vdevNumber(p.vdev.val)
	if !ok {
		return DiskSpec{}, badSpec("vdev %q is not a disk name: use xvda, xvdb, ..., xvdz, xvdaa, ... with an optional partition number (xvda1); hda-hdd and sda-sdp also work", trunc(p.vdev.val))
	}
	d := DiskSpec{Target: p.target.val, Format: "raw", VDev: p.vdev.val, DevID: id}
	d.CDROM = p.cdromFlag || p.devtype.val == "cdrom"
	d.ReadOnly = p.access.val == "ro" || p.access.val == "r"
	if d.CDROM {
		if p.access.val == "rw" || p.access.val == "w" {
			return DiskSpec{}, badSpec("access %s on a cdrom: a cdrom is read-only (use access=ro, or devtype=disk)", p.access.val)
		}
		d.ReadOnly = true
	}
	d.Discard = !d.ReadOnly
	if p.discard.set {
		d.Discard = p.discard.val == "1"
	}
	return d, nil
}

// targetSwallows returns the first part of a target= value after a comma
// that looks like another disk parameter (vdev=xvda, cdrom, xvdb), or "".
// libxlu would make it part of the path.
func targetSwallows(v string) string {
	parts := strings.Split(v, ",")
	for _, part := range parts[1:] {
		t := trimSpec(part)
		if k, _, ok := strings.Cut(t, "="); ok {
			if _, known := diskKeys[trimSpec(k)]; known {
				return t
			}
			continue
		}
		if _, flag := diskFlags[t]; flag {
			return t
		}
		if _, vdev := vdevNumber(t); vdev {
			return t
		}
	}
	return ""
}

// vdevNumber returns the Xen virtual-device number of a disk name (see
// DiskSpec.DevID), parsed as libxl__device_disk_dev_number does: xvd
// followed by letters for disks 0 to 2^20-1 and partitions up to 255,
// hd for disks a-d and partitions up to 63, sd for disks a-p and
// partitions up to 15; a partition number has no leading zero.
func vdevNumber(name string) (uint32, bool) {
	for _, f := range []struct {
		prefix        string
		maxDisk, maxP int
	}{{"xvd", 1<<20 - 1, 255}, {"hd", 3, 63}, {"sd", 15, 15}} {
		rest, ok := strings.CutPrefix(name, f.prefix)
		if !ok {
			continue
		}
		disk, part, ok := diskAndPartition(rest, f.maxDisk, f.maxP)
		if !ok {
			return 0, false
		}
		if disk <= 15 && part <= 15 {
			return 202<<8 | uint32(disk)<<4 | uint32(part), true
		}
		return 1<<28 | uint32(disk)<<8 | uint32(part), true
	}
	return 0, false
}

// diskAndPartition reads "a" (0), "z" (25), "aa" (26), ... then an
// optional partition number.
func diskAndPartition(s string, maxDisk, maxPart int) (int, int, bool) {
	disk, i := -1, 0
	for ; i < len(s) && s[i] >= 'a' && s[i] <= 'z'; i++ {
		disk = (disk+1)*26 + int(s[i]-'a')
		if disk > maxDisk {
			return 0, 0, false
		}
	}
	if disk < 0 {
		return 0, 0, false
	}
	if i == len(s) {
		return disk, 0, true
	}
	digits := s[i:]
	if digits[0] == '0' || len(digits) > 3 || !allDigits(digits) {
		return 0, 0, false
	}
	part, _ := strconv.Atoi(digits)
	if part > maxPart {
		return 0, 0, false
	}
	return disk, part, true
}

// String formats d as a disk spec that parseDisk reads back to d (Line
// aside): KEY=VALUE parameters with target= last.
func (d DiskSpec) String() string {
	var b strings.Builder
	if d.Format != "" {
		b.WriteString("format=" + d.Format + ", ")
	}
	if d.VDev != "" {
		b.WriteString("vdev=" + d.VDev + ", ")
	}
	if d.ReadOnly {
		b.WriteString("access=ro, ")
	} else {
		b.WriteString("access=rw, ")
	}
	if d.CDROM {
		b.WriteString("devtype=cdrom, ")
	}
	if d.Discard != !d.ReadOnly {
		if d.Discard {
			b.WriteString("discard, ")
		} else {
			b.WriteString("no-discard, ")
		}
	}
	b.WriteString("target=" + d.Target)
	if strings.HasSuffix(d.Target, ",") {
		// target= drops one final comma.
		b.WriteString(",")
	}
	return b.String()
}

// ParseDiskSpec reads one disk spec in xl-disk-configuration(5) syntax,
// as xl block-attach takes it. The error wraps ErrBadValue or
// ErrUnsupported and says how to fix the spec.
func ParseDiskSpec(spec string) (DiskSpec, error) {
	if len(spec) > MaxStringLen {
		return DiskSpec{}, fmt.Errorf("%w: disk spec is %d bytes, more than %d", ErrLimit, len(spec), MaxStringLen)
	}
	d, err := parseDisk(spec)
	if err != nil {
		return DiskSpec{}, fmt.Errorf("%w: %q: %s", err.err, trunc(spec), err.msg)
	}
	return d, nil
}

// VDevNumber returns the Xen virtual-device number of a disk name such as
// xvdb (see DiskSpec.DevID), or of a number given in decimal, as xl
// block-detach accepts either; false if s is neither.
func VDevNumber(s string) (uint32, bool) {
	if allDigits(s) && s != "" && len(s) <= 10 {
		n, err := strconv.ParseUint(s, 10, 32)
		return uint32(n), err == nil
	}
	return vdevNumber(s)
}
