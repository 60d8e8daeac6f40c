package xlcfg

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Defaults and bounds of the typed layer.
const (
	// DefaultMemoryMiB is the RAM of a domain without memory: libxl's
	// default (libxl__domain_build_info_setdefault sets max_memkb to
	// 32 * 1024 and target_memkb to max_memkb), so a config means the same
	// under xl and Xenolith.
	DefaultMemoryMiB = 32
	// MaxMemoryMiB (1 TiB) only catches a size written in KiB or bytes; the
	// domain builder applies the real limit.
	MaxMemoryMiB = 1 << 20
	// MaxVCPUs is Xen's HVM_MAX_VCPUS, the most a PVH guest can have;
	// the caller applies its own, lower limit.
	MaxVCPUs = 128
	// MaxNameLen bounds name, in bytes. xl has no limit; names end up in
	// xenstore, file names and terminal columns, so Xenolith picks one.
	MaxNameLen = 64
)

// keyOrder lists the keys Xenolith understands, in xl.cfg(5)'s order.
var keyOrder = []string{"type", "name", "uuid", "memory", "maxmem", "vcpus", "maxvcpus", "kernel", "ramdisk", "cmdline", "root", "extra",
	"on_poweroff", "on_reboot", "on_crash", "disk", "vif"}

// keyHints explain keys users bring from xl that Xenolith does not take.
var keyHints = map[string]string{
	"builder":    `xl replaced builder with type in Xen 4.10: use type = "pvh"`,
	"bootloader": "Xenolith boots the kernel directly: set kernel",
	"cpus":       "pinning vCPUs to host CPUs is not supported",
}

// DomainConfig is the subset of xl.cfg(5) Xenolith understands.
type DomainConfig struct {
	Type       string     // "type": always "pvh"; xl's "pv" and "hvm" are refused
	Name       string     // "name": required; 1 to MaxNameLen bytes, no '/' or control characters, not all digits, not "Domain-0"
	UUID       [16]byte   // "uuid": the domain handle, if HasUUID
	HasUUID    bool       // uuid is set; if not, the toolstack makes a random one, as xl does
	MemoryMiB  uint64     // "memory": default maxmem if set, else DefaultMemoryMiB (libxl's rule)
	MaxMemMiB  uint64     // "maxmem": at least MemoryMiB, default MemoryMiB; the guest still gets only MemoryMiB (Xenolith does not balloon)
	VCPUs      int        // "vcpus": default 1, at most the constant MaxVCPUs
	MaxVCPUs   int        // "maxvcpus": from VCPUs to the constant MaxVCPUs, default VCPUs
	Kernel     string     // "kernel": required, as written; see KernelPath
	Ramdisk    string     // "ramdisk": initial ramdisk, as written, or ""; see RamdiskPath
	Cmdline    string     // "cmdline", or "root" and "extra" combined as xl does
	OnPoweroff Action     // "on_poweroff": default ActionDestroy
	OnReboot   Action     // "on_reboot": default ActionRestart
	OnCrash    Action     // "on_crash": default ActionDestroy
	Disks      []DiskSpec // "disk": in config order; VDevs (DevIDs) are unique
	Vifs       []VifSpec  // "vif": in config order; MACs that are set are unique
	Warnings   []string   // "FILE:LINE: text" about accepted settings, for the user

	dir    string   // where a relative Kernel is; "" for the working directory
	layers []*File  // what was decoded, for Override
	orig   fieldSet // the fields as decoded, to notice direct edits
	parsed bool     // layers and orig are set
}

// scalars are the comparable fields of a DomainConfig.
type scalars struct {
	Type, Name                    string
	UUID                          [16]byte
	HasUUID                       bool
	MemoryMiB, MaxMemMiB          uint64
	VCPUs, MaxVCPUs               int
	Kernel, Ramdisk, Cmdline      string
	OnPoweroff, OnReboot, OnCrash Action
}

// fieldSet is a copy of the exported fields of a DomainConfig but
// Warnings.
type fieldSet struct {
	scalars
	Disks []DiskSpec
	Vifs  []VifSpec
}

func (c *DomainConfig) fields() fieldSet {
	return fieldSet{
		scalars: scalars{c.Type, c.Name, c.UUID, c.HasUUID, c.MemoryMiB, c.MaxMemMiB, c.VCPUs, c.MaxVCPUs,
			c.Kernel, c.Ramdisk, c.Cmdline, c.OnPoweroff, c.OnReboot, c.OnCrash},
		Disks: slices.Clone(c.Disks),
		Vifs:  slices.Clone(c.Vifs),
	}
}

func (f fieldSet) equal(g fieldSet) bool {
	return f.scalars == g.scalars && slices.Equal(f.Disks, g.Disks) && slices.Equal(f.Vifs, g.Vifs)
}

// KernelPath is Kernel with a relative path taken relative to the config
// file's directory, so a config and its kernel can move together. (xl
// opens it relative to its working directory; Xenolith's daemon has a
// different one.) The result is absolute after Load, and relative to the
// working directory after Decode of a File with a relative Name.
func (c *DomainConfig) KernelPath() string { return c.path(c.Kernel) }

// RamdiskPath is Ramdisk resolved as KernelPath resolves Kernel; "" if
// there is no ramdisk.
func (c *DomainConfig) RamdiskPath() string { return c.path(c.Ramdisk) }

// DiskPath is d.Target (d being one of c.Disks) resolved as KernelPath
// resolves Kernel.
func (c *DomainConfig) DiskPath(d DiskSpec) string { return c.path(d.Target) }

func (c *DomainConfig) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// Load reads, parses and decodes the config file at path.
func Load(path string) (*DomainConfig, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	// One byte over the limit is enough for Parse to refuse the file.
	src, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	f, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(path); err == nil {
		dir = filepath.Dir(abs)
	}
	return decode(dir, f)
}

// Decode checks f's settings and fills a DomainConfig, with xl's defaults
// for what is not set. Errors are *ConfigError; when there are several
// (every unknown key, every bad value) they come joined, in file order.
func Decode(f *File) (*DomainConfig, error) {
	if f == nil {
		return nil, errors.New("xlcfg: Decode of a nil File")
	}
	dir := ""
	if f.Name != "" {
		dir = filepath.Dir(f.Name)
	}
	// Override reads these settings again later: keep a copy.
	own := &File{Name: f.Name, Settings: slices.Clone(f.Settings)}
	return decode(dir, own)
}

// Override applies one xl create command-line argument, such as
// memory=512 or 'name="vm2"': like xl create, it reads kv as a line added
// to the end of the config (so += appends to the file's value) and checks
// the result again. On error c is unchanged.
//
// If c's fields were changed directly since Decode, or c was built by
// hand, the line is added to c's current values instead (see File), where
// root and extra no longer exist apart from Cmdline.
func (c *DomainConfig) Override(kv string) error {
	f, err := parse("command line", []byte(kv), true)
	if err != nil {
		return err
	}
	if len(f.Settings) == 0 {
		return &SyntaxError{File: f.Name, Err: ErrSyntax, Msg: fmt.Sprintf("override %q sets nothing: write KEY=VALUE", trunc(kv))}
	}
	base := c.layers
	if !c.parsed || !c.fields().equal(c.orig) {
		cur := c.File()
		cur.Name = "current config"
		base = []*File{cur}
	}
	nc, err := decode(c.dir, append(base[:len(base):len(base)], f)...)
	if err != nil {
		return err
	}
	*c = *nc
	return nil
}

// IsSet reports whether key was set in the config c was decoded from or
// in an override, rather than left to its default. After Override of a
// config built or edited by hand, every field that is not zero counts as set.
func (c *DomainConfig) IsSet(key string) bool {
	for _, f := range c.layers {
		for _, s := range f.Settings {
			if s.Key == key {
				return true
			}
		}
	}
	return false
}

// File returns c as xl.cfg settings, one per field that is set (for
// xl list -l style output). For a valid c, String on the result is a
// config file that decodes to c.
func (c *DomainConfig) File() *File {
	f := &File{}
	add := func(key string, v Value) {
		f.Settings = append(f.Settings, Setting{Key: key, Op: OpSet, Value: v})
	}
	str := func(key, s string) {
		if s != "" {
			add(key, Value{Kind: String, Str: s})
		}
	}
	num := func(key string, n uint64) {
		if n != 0 {
			add(key, Value{Kind: Number, Num: int64(min(n, math.MaxInt64)), Str: strconv.FormatUint(n, 10)})
		}
	}
	count := func(key string, n int) {
		if n < 0 {
			add(key, Value{Kind: Number, Num: int64(n)})
		} else {
			num(key, uint64(n))
		}
	}
	list := func(key string, items []string) {
		if len(items) > 0 {
			v := Value{Kind: List}
			for _, s := range items {
				v.List = append(v.List, Value{Kind: String, Str: s})
			}
			add(key, v)
		}
	}
	str("type", c.Type)
	str("name", c.Name)
	if c.HasUUID {
		str("uuid", formatUUID(c.UUID))
	}
	num("memory", c.MemoryMiB)
	// maxmem and maxvcpus default to memory and vcpus. One less than
	// its default (vcpus edited, maxvcpus not) follows it.
	if c.MaxMemMiB > c.MemoryMiB {
		num("maxmem", c.MaxMemMiB)
	}
	count("vcpus", c.VCPUs)
	if c.MaxVCPUs > c.VCPUs {
		count("maxvcpus", c.MaxVCPUs)
	}
	str("kernel", c.Kernel)
	str("ramdisk", c.Ramdisk)
	str("cmdline", c.Cmdline)
	for _, a := range []struct {
		key string
		act Action
	}{{"on_poweroff", c.OnPoweroff}, {"on_reboot", c.OnReboot}, {"on_crash", c.OnCrash}} {
		if _, ok := ParseAction(a.act.String()); ok {
			str(a.key, a.act.String())
		}
	}
	var disks, vifs []string
	for _, d := range c.Disks {
		disks = append(disks, d.String())
	}
	for _, v := range c.Vifs {
		vifs = append(vifs, v.String())
	}
	list("disk", disks)
	list("vif", vifs)
	return f
}

// entry is one setting and the layer (file, then command line) it is in.
type entry struct {
	file  string
	layer int
	s     *Setting
}

type state int

const (
	absent  state = iota
	invalid       // set, and an error has been recorded
	valid
)

type decoder struct {
	base     string // name for errors about the whole config
	nlayers  int
	byKey    map[string][]entry
	order    []entry
	errs     []located[*ConfigError]
	skipped  int // unknown keys past maxErrors, counted but not built
	warnings []located[string]
}

type located[T any] struct {
	layer, line int
	v           T
}

func decode(dir string, layers ...*File) (*DomainConfig, error) {
	d := &decoder{base: layers[0].Name, nlayers: len(layers), byKey: map[string][]entry{}}
	if d.base == "" {
		d.base = "config"
	}
	for li, f := range layers {
		for i := range f.Settings {
			e := entry{file: f.Name, layer: li, s: &f.Settings[i]}
			d.order = append(d.order, e)
			d.byKey[e.s.Key] = append(d.byKey[e.s.Key], e)
		}
	}
	d.unknownKeys()
	c := &DomainConfig{dir: dir}
	d.typ(c)
	d.name(c)
	d.uuid(c)
	d.memory(c)
	d.vcpus(c)
	switch k, e, st := d.str("kernel"); {
	case st == absent:
		d.missing("kernel", `kernel not set: add kernel = "/path/to/vmlinuz" (Xenolith boots the PVH kernel directly)`)
	case st == valid && k == "":
		d.fail(e, ErrBadValue, `key %q: the path is empty`, "kernel")
	case st == valid:
		c.Kernel = k
	}
	switch r, e, st := d.str("ramdisk"); {
	case st == valid && r == "":
		d.fail(e, ErrBadValue, `key %q: the path is empty (remove ramdisk for none)`, "ramdisk")
	case st == valid:
		c.Ramdisk = r
	}
	d.cmdline(c)
	d.actions(c)
	d.disks(c)
	d.vifs(c)
	d.duplicates()
	if len(d.errs)+d.skipped > 0 {
		return nil, d.err()
	}
	sort.SliceStable(d.warnings, func(i, j int) bool { return d.warnings[i].less(d.warnings[j].layer, d.warnings[j].line) })
	for _, w := range d.warnings {
		c.Warnings = append(c.Warnings, w.v)
	}
	c.layers, c.orig, c.parsed = layers, c.fields(), true
	return c, nil
}

func (l located[T]) less(layer, line int) bool {
	if l.layer != layer {
		return l.layer < layer
	}
	return l.line < line
}

func (d *decoder) fail(e entry, err error, format string, args ...any) {
	d.errs = append(d.errs, located[*ConfigError]{e.layer, e.s.Line, &ConfigError{
		File: e.file, Line: e.s.Line, Key: e.s.Key, Err: err, Msg: fmt.Sprintf(format, args...),
	}})
}

// missing records a required key that is not set; it sorts last.
func (d *decoder) missing(key, msg string) {
	d.errs = append(d.errs, located[*ConfigError]{d.nlayers, 0, &ConfigError{
		File: d.base, Key: key, Err: ErrMissingKey, Msg: msg,
	}})
}

func (d *decoder) warn(e entry, format string, args ...any) {
	d.warnings = append(d.warnings, located[string]{e.layer, e.s.Line,
		position(e.file, e.s.Line, 0) + ": " + fmt.Sprintf(format, args...)})
}

// maxErrors bounds the errors returned, for a file of a thousand typos.
const maxErrors = 20

func (d *decoder) err() error {
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].less(d.errs[j].layer, d.errs[j].line) })
	if len(d.errs) == 1 && d.skipped == 0 {
		return d.errs[0].v
	}
	var errs []error
	for _, e := range d.errs[:min(len(d.errs), maxErrors)] {
		errs = append(errs, e.v)
	}
	if more := len(d.errs) + d.skipped - len(errs); more > 0 {
		errs = append(errs, fmt.Errorf("%s: %d more errors not shown", d.base, more))
	}
	return errors.Join(errs...)
}

func (d *decoder) unknownKeys() {
	known := map[string]bool{}
	for _, k := range keyOrder {
		known[k] = true
	}
	seen := map[string]bool{}
	n := 0
	for _, e := range d.order {
		k := e.s.Key
		if known[k] || seen[k] {
			continue
		}
		seen[k] = true
		// Later ones cannot be among the first maxErrors shown: skip
		// building them, for a file of 100000 typos.
		if n++; n > maxErrors {
			d.skipped++
			continue
		}
		hint := keyHints[k]
		if hint == "" {
			if s := suggest(k); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
		}
		if hint != "" {
			hint += "; "
		}
		d.fail(e, ErrUnknownKey, "unknown key %q (%sXenolith supports: %s)", trunc(k), hint, strings.Join(keyOrder, ", "))
	}
}

// suggest returns the known key k is probably a typo of, or "".
func suggest(k string) string {
	if len(k) < 3 || len(k) > 32 {
		return ""
	}
	// Two typos in "memroy", one in "vcpu", none that make "foo" "root".
	best, bestDist := "", min(2, len(k)/3)+1
	for _, known := range keyOrder {
		if dist := editDistance(strings.ToLower(k), known); dist < bestDist {
			best, bestDist = known, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// get returns the value xl uses for key and the entry that decides it
// (the last one).
func (d *decoder) get(key string) (Value, entry, state) {
	es := d.byKey[key]
	if len(es) == 0 {
		return Value{}, entry{}, absent
	}
	ss := make([]*Setting, len(es))
	for i, e := range es {
		ss[i] = e.s
	}
	v, bad, err := resolve(ss, func(i int) string {
		if es[i].layer == es[len(es)-1].layer {
			return "line " + strconv.Itoa(es[i].s.Line)
		}
		return position(es[i].file, es[i].s.Line, 0)
	})
	if err != nil {
		d.fail(es[bad], ErrBadValue, "key %q: %v", key, err)
		return Value{}, es[bad], invalid
	}
	return v, es[len(es)-1], valid
}

// str gets a string key. Numbers are taken as the text written, as xl
// does (name = 42 is the name "42").
func (d *decoder) str(key string) (string, entry, state) {
	v, e, st := d.get(key)
	if st != valid {
		return "", e, st
	}
	if v.Kind == List {
		d.fail(e, ErrBadValue, `key %q: expected a string, got a list (write %s = "...")`, key, key)
		return "", e, invalid
	}
	s := scalarText(v)
	switch {
	case strings.IndexByte(s, 0) >= 0:
		d.fail(e, ErrBadValue, `key %q: contains a NUL byte (\0)`, key)
		return "", e, invalid
	case !utf8.ValidString(s):
		d.fail(e, ErrBadValue, "key %q: is not valid UTF-8", key)
		return "", e, invalid
	}
	return s, e, valid
}

// num gets a number key. Like xl's xlu_cfg_get_long, it also takes a
// string holding a number (memory = "512"), and refuses +=.
func (d *decoder) num(key, what string) (int64, entry, state) {
	v, e, st := d.get(key)
	if st != valid {
		return 0, e, st
	}
	if e.s.Op == OpAppend {
		d.fail(e, ErrBadValue, "key %q: += cannot be used with numbers (write %s = N)", key, key)
		return 0, e, invalid
	}
	switch v.Kind {
	case Number:
		return v.Num, e, valid
	case String:
		if n, ok := strtol(v.Str); ok {
			return n, e, valid
		}
		d.fail(e, ErrBadValue, "key %q: expected %s, got string %q", key, what, trunc(v.Str))
	default:
		d.fail(e, ErrBadValue, "key %q: expected %s, got a list", key, what)
	}
	return 0, e, invalid
}

// strtol reads a whole string as C's strtol(s, &end, 0) with *end == 0:
// leading white space, a sign, then a number as parseNumber reads it.
func strtol(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || !isDigit(s[0]) {
		return 0, false
	}
	n, msg := parseNumber(s)
	if msg != "" {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func (d *decoder) typ(c *DomainConfig) {
	t, e, st := d.str("type")
	switch {
	case st == absent:
		d.missing("type", `type not set: add type = "pvh" (xl would create a PV guest, which Xenolith does not run)`)
	case st != valid:
	case t == "pvh":
		c.Type = t
	case t == "pv" || t == "hvm":
		d.fail(e, ErrUnsupported, `key %q: %q is not supported: Xenolith runs PVH guests (type = "pvh")`, "type", t)
	default:
		d.fail(e, ErrBadValue, `key %q: %q is not a domain type: use type = "pvh"`, "type", trunc(t))
	}
}

func (d *decoder) name(c *DomainConfig) {
	n, e, st := d.str("name")
	switch {
	case st == absent:
		d.missing("name", `name not set: add name = "NAME" (each domain needs a unique name)`)
	case st != valid:
	default:
		if msg := checkName(n); msg != "" {
			d.fail(e, ErrBadValue, "key %q: %s", "name", msg)
			return
		}
		c.Name = n
	}
}

// checkName applies Xenolith's rules for domain names, or says which one n
// breaks. xl itself only needs a name unique on the host.
func checkName(n string) string {
	switch {
	case n == "":
		return "the name is empty"
	case len(n) > MaxNameLen:
		return fmt.Sprintf("the name is %d bytes, more than %d", len(n), MaxNameLen)
	case strings.ContainsRune(n, '/'):
		return fmt.Sprintf("%q contains '/': names become parts of file and xenstore paths", n)
	case strings.IndexFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Sprintf("%q contains a control character", n)
	case allDigits(n):
		return fmt.Sprintf("%q is all digits: xl commands would read it as a domain id", n)
	case n == "Domain-0":
		return `"Domain-0" is the name of domain 0`
	}
	return ""
}

// cmdline sets Cmdline as xl's parse_cmdline does: cmdline if set (root
// and extra are then ignored, with a warning), else "root=ROOT EXTRA".
func (d *decoder) cmdline(c *DomainConfig) {
	cmd, ce, cst := d.str("cmdline")
	root, _, rst := d.str("root")
	extra, _, est := d.str("extra")
	switch {
	case cst == valid:
		c.Cmdline = cmd
		var ignored []string
		if rst == valid {
			ignored = append(ignored, "root")
		}
		if est == valid {
			ignored = append(ignored, "extra")
		}
		switch len(ignored) {
		case 1:
			d.warn(ce, "cmdline is set, so %s is ignored (as in xl)", ignored[0])
		case 2:
			d.warn(ce, "cmdline is set, so root and extra are ignored (as in xl)")
		}
	case cst == invalid:
	case rst == valid && est == valid:
		c.Cmdline = "root=" + root + " " + extra
	case rst == valid:
		c.Cmdline = "root=" + root
	case est == valid:
		c.Cmdline = extra
	}
}

func (d *decoder) actions(c *DomainConfig) {
	for _, a := range []struct {
		key string
		dst *Action
		def Action // xl_parse.c's defaults
	}{
		{"on_poweroff", &c.OnPoweroff, ActionDestroy},
		{"on_reboot", &c.OnReboot, ActionRestart},
		{"on_crash", &c.OnCrash, ActionDestroy},
	} {
		*a.dst = a.def
		s, e, st := d.str(a.key)
		if st != valid {
			continue
		}
		act, ok := ParseAction(s)
		if !ok {
			d.fail(e, ErrBadValue, "key %q: %q is not an action (use %s)", a.key, trunc(s), actionList)
			continue
		}
		*a.dst = act
	}
}

// duplicates warns, once per key and file, about a known key set twice in
// one file: legal, and the last wins, but usually an editing slip.
// Overrides are meant to replace, so they do not count.
func (d *decoder) duplicates() {
	for _, key := range keyOrder {
		var first, last entry
		n := 0
		flush := func() {
			if n > 1 {
				d.warn(last, "%s is set %d times (first on line %d); the last setting wins", key, n, first.s.Line)
			}
			n = 0
		}
		for _, e := range d.byKey[key] {
			if e.s.Op != OpSet {
				continue
			}
			if n > 0 && e.layer != first.layer {
				flush()
			}
			if n == 0 {
				first = e
			}
			last = e
			n++
		}
		flush()
	}
}

func (d *decoder) uuid(c *DomainConfig) {
	s, e, st := d.str("uuid")
	if st != valid {
		return
	}
	u, ok := parseUUID(s)
	if !ok {
		d.fail(e, ErrBadValue, "key %q: %q is not a UUID (write xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex, or remove uuid to have one generated)", "uuid", trunc(s))
		return
	}
	c.UUID, c.HasUUID = u, true
}

// parseUUID reads xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex of either
// case, as libxl_uuid_from_string does.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 {
		return u, false
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return u, false
			}
		case isHex(c):
			digits = append(digits, c)
		default:
			return u, false
		}
	}
	if _, err := hex.Decode(u[:], digits); err != nil {
		return u, false
	}
	return u, true
}

// formatUUID writes u in xl's form, in lower case.
func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// mib gets a size in MiB: memory or maxmem.
func (d *decoder) mib(key string) (uint64, entry, state) {
	n, e, st := d.num(key, "a number of MiB")
	if st != valid {
		return 0, e, st
	}
	switch {
	case n < 1:
		d.fail(e, ErrBadValue, "key %q: must be at least 1 MiB, got %d", key, n)
	case n > MaxMemoryMiB:
		d.fail(e, ErrBadValue, "key %q: %d MiB is more than the %d MiB (1 TiB) limit (%s is in MiB, not KiB or bytes)", key, n, MaxMemoryMiB, key)
	default:
		return uint64(n), e, valid
	}
	return 0, e, invalid
}

// memory sets MemoryMiB and MaxMemMiB as libxl does: each defaults to the
// other, and both to DefaultMemoryMiB; maxmem may not be less than memory.
func (d *decoder) memory(c *DomainConfig) {
	mem, me, mst := d.mib("memory")
	top, xe, xst := d.mib("maxmem")
	switch {
	case mst == valid && xst == valid:
		c.MemoryMiB, c.MaxMemMiB = mem, top
		if top < mem {
			d.fail(xe, ErrBadValue, "key %q: %d MiB is less than memory (%d MiB%s): xl refuses this; set maxmem to at least %d or remove it",
				"maxmem", top, mem, where(xe, me), mem)
		} else if top > mem {
			d.warn(xe, "maxmem (%d MiB) is more than memory (%d MiB): Xenolith does not balloon, so the guest gets %d MiB and cannot grow", top, mem, mem)
		}
	case mst == valid:
		c.MemoryMiB, c.MaxMemMiB = mem, mem
	case xst == valid && mst == absent:
		c.MemoryMiB, c.MaxMemMiB = top, top
	default:
		c.MemoryMiB, c.MaxMemMiB = DefaultMemoryMiB, DefaultMemoryMiB
	}
}

// count gets a number of vCPUs: vcpus or maxvcpus.
func (d *decoder) count(key string) (int, entry, state) {
	n, e, st := d.num(key, "a number of vCPUs")
	if st != valid {
		return 0, e, st
	}
	switch {
	case n < 1:
		d.fail(e, ErrBadValue, "key %q: must be at least 1, got %d", key, n)
	case n > MaxVCPUs:
		d.fail(e, ErrBadValue, "key %q: %d is more than %d, the most vCPUs a PVH guest can have", key, n, MaxVCPUs)
	default:
		return int(n), e, valid
	}
	return 0, e, invalid
}

// vcpus sets VCPUs and MaxVCPUs as xl does: vcpus defaults to 1 and
// maxvcpus to vcpus; maxvcpus may not be less than vcpus.
func (d *decoder) vcpus(c *DomainConfig) {
	n, ne, nst := d.count("vcpus")
	top, xe, xst := d.count("maxvcpus")
	c.VCPUs = 1
	if nst == valid {
		c.VCPUs = n
	}
	c.MaxVCPUs = c.VCPUs
	switch {
	case xst != valid:
	case nst == valid && top < n:
		d.fail(xe, ErrBadValue, "key %q: %d is less than vcpus (%d%s): xl refuses this; set maxvcpus to at least %d or remove it",
			"maxvcpus", top, n, where(xe, ne), n)
	case nst != invalid:
		c.MaxVCPUs = top
	}
}

// where names e's position for a message about from: ", line 4" in the
// same file, ", vm.cfg:4" in another, "" if unknown.
func where(from, e entry) string {
	switch {
	case e.s.Line == 0:
		return ""
	case from.layer == e.layer:
		return ", line " + strconv.Itoa(e.s.Line)
	}
	return ", " + position(e.file, e.s.Line, 0)
}

// item is one string of a list key, and where it is.
type item struct {
	text string
	line int   // the item's line, or its setting's
	e    entry // the setting that holds it
}

// items gets a list key as xl's xlu_cfg_get_list does: a list (a single
// string is an error), with += appending. Numbers are taken as their text.
func (d *decoder) items(key, example string) ([]item, state) {
	v, e, st := d.get(key)
	if st != valid {
		return nil, st
	}
	if v.Kind != List {
		d.fail(e, ErrBadValue, `key %q: expected a list, got a %s (write %s = [ "%s" ])`, key, v.Kind, key, example)
		return nil, invalid
	}
	// Walk the settings get folded, to know where each item is.
	es := d.byKey[key]
	start := 0
	for i, e := range es {
		if e.s.Op == OpSet {
			start = i
		}
	}
	var items []item
	bad := false
	for _, e := range es[start:] {
		for _, it := range e.s.Value.List {
			line := it.Line
			if line == 0 {
				line = e.s.Line
			}
			t := item{text: scalarText(it), line: line, e: e}
			switch {
			case strings.IndexByte(t.text, 0) >= 0:
				d.failItem(t, ErrBadValue, `key %q: %q contains a NUL byte (\0)`, key, trunc(t.text))
				bad = true
			case !utf8.ValidString(t.text):
				d.failItem(t, ErrBadValue, "key %q: an item is not valid UTF-8", key)
				bad = true
			default:
				items = append(items, t)
			}
		}
	}
	if bad {
		return items, invalid
	}
	return items, valid
}

// failItem records an error about one item of a list, at its line.
func (d *decoder) failItem(it item, err error, format string, args ...any) {
	d.errs = append(d.errs, located[*ConfigError]{it.e.layer, it.line, &ConfigError{
		File: it.e.file, Line: it.line, Key: it.e.s.Key, Err: err, Msg: fmt.Sprintf(format, args...),
	}})
}

// itemWhere names it's position for a message about from: "at line 4"
// in the same file, "at vm.cfg:4" in another, "in FILE" if the line is
// unknown.
func itemWhere(from, it item) string {
	switch {
	case it.line == 0:
		return "in " + it.e.file
	case from.e.layer == it.e.layer:
		return "at line " + strconv.Itoa(it.line)
	}
	return "at " + position(it.e.file, it.line, 0)
}

func (d *decoder) disks(c *DomainConfig) {
	items, _ := d.items("disk", "/path/to/disk.img,raw,xvda,rw")
	type used struct {
		it   item
		vdev string
	}
	byID := map[uint32]used{}
	for _, it := range items {
		ds, err := parseDisk(it.text)
		if err != nil {
			d.failItem(it, err.err, "key %q: %q: %s", "disk", trunc(it.text), err.msg)
			continue
		}
		if prev, dup := byID[ds.DevID]; dup {
			same := "already used by the disk"
			if prev.vdev != ds.VDev {
				same = "the same device as " + prev.vdev + ", used by the disk"
			}
			d.failItem(it, ErrBadValue, "key %q: %q: vdev %s is %s %s (each disk needs its own vdev)",
				"disk", trunc(it.text), ds.VDev, same, itemWhere(it, prev.it))
			continue
		}
		byID[ds.DevID] = used{it, ds.VDev}
		ds.Line = it.line
		c.Disks = append(c.Disks, ds)
	}
}

func (d *decoder) vifs(c *DomainConfig) {
	items, _ := d.items("vif", "bridge=xenbr0")
	byMAC := map[string]item{}
	for _, it := range items {
		vs, err := parseVif(it.text)
		if err != nil {
			d.failItem(it, err.err, "key %q: %q: %s", "vif", trunc(it.text), err.msg)
			continue
		}
		if vs.MAC != "" {
			if prev, dup := byMAC[vs.MAC]; dup {
				d.failItem(it, ErrBadValue, "key %q: %q: mac %s is already used by the vif %s (each vif needs its own MAC)",
					"vif", trunc(it.text), vs.MAC, itemWhere(it, prev))
				continue
			}
			byMAC[vs.MAC] = it
		}
		vs.Line = it.line
		c.Vifs = append(c.Vifs, vs)
	}
}
