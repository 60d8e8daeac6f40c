package xlcfg

import (
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
var keyOrder = []string{"type", "name", "memory", "vcpus", "kernel", "cmdline", "root", "extra", "on_poweroff", "on_reboot", "on_crash"}

// keyHints explain keys users bring from xl that Xenolith does not take.
var keyHints = map[string]string{
	"builder":    `xl replaced builder with type in Xen 4.10: use type = "pvh"`,
	"bootloader": "Xenolith boots the kernel directly: set kernel",
	"maxmem":     "Xenolith does not balloon: set memory",
	"maxvcpus":   "Xenolith does not hotplug vCPUs: set vcpus",
	"cpus":       "pinning vCPUs to host CPUs is not supported",
}

// DomainConfig is the subset of xl.cfg(5) Xenolith understands.
type DomainConfig struct {
	Type       string   // "type": always "pvh"; xl's "pv" and "hvm" are refused
	Name       string   // "name": required; 1 to MaxNameLen bytes, no '/' or control characters, not all digits, not "Domain-0"
	MemoryMiB  uint64   // "memory": default DefaultMemoryMiB
	VCPUs      int      // "vcpus": default 1, at most MaxVCPUs
	Kernel     string   // "kernel": required, as written; see KernelPath
	Cmdline    string   // "cmdline", or "root" and "extra" combined as xl does
	OnPoweroff Action   // "on_poweroff": default ActionDestroy
	OnReboot   Action   // "on_reboot": default ActionRestart
	OnCrash    Action   // "on_crash": default ActionDestroy
	Warnings   []string // "FILE:LINE: text" about accepted settings, for the user

	dir    string   // where a relative Kernel is; "" for the working directory
	layers []*File  // what was decoded, for Override
	orig   fieldSet // the fields as decoded, to notice direct edits
	parsed bool     // layers and orig are set
}

// fieldSet is the comparable part of a DomainConfig.
type fieldSet struct {
	Type, Name                    string
	MemoryMiB                     uint64
	VCPUs                         int
	Kernel, Cmdline               string
	OnPoweroff, OnReboot, OnCrash Action
}

func (c *DomainConfig) fields() fieldSet {
	return fieldSet{c.Type, c.Name, c.MemoryMiB, c.VCPUs, c.Kernel, c.Cmdline, c.OnPoweroff, c.OnReboot, c.OnCrash}
}

// KernelPath is Kernel with a relative path taken relative to the config
// file's directory, so a config and its kernel can move together. (xl
// opens it relative to its working directory; Xenolith's daemon has a
// different one.) The result is absolute after Load, and relative to the
// working directory after Decode of a File with a relative Name.
func (c *DomainConfig) KernelPath() string {
	if c.Kernel == "" || filepath.IsAbs(c.Kernel) || c.dir == "" {
		return c.Kernel
	}
	return filepath.Join(c.dir, c.Kernel)
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
	if !c.parsed || c.fields() != c.orig {
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
	str("type", c.Type)
	str("name", c.Name)
	num("memory", c.MemoryMiB)
	if c.VCPUs < 0 {
		add("vcpus", Value{Kind: Number, Num: int64(c.VCPUs)})
	} else {
		num("vcpus", uint64(c.VCPUs))
	}
	str("kernel", c.Kernel)
	str("cmdline", c.Cmdline)
	for _, a := range []struct {
		key string
		act Action
	}{{"on_poweroff", c.OnPoweroff}, {"on_reboot", c.OnReboot}, {"on_crash", c.OnCrash}} {
		if _, ok := ParseAction(a.act.String()); ok {
			str(a.key, a.act.String())
		}
	}
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
	c.MemoryMiB = DefaultMemoryMiB
	if n, e, st := d.num("memory", "a number of MiB"); st == valid {
		switch {
		case n < 1:
			d.fail(e, ErrBadValue, "key %q: must be at least 1 MiB, got %d", "memory", n)
		case n > MaxMemoryMiB:
			d.fail(e, ErrBadValue, "key %q: %d MiB is more than the %d MiB (1 TiB) limit (memory is in MiB, not KiB or bytes)", "memory", n, MaxMemoryMiB)
		default:
			c.MemoryMiB = uint64(n)
		}
	}
	c.VCPUs = 1
	if n, e, st := d.num("vcpus", "a number of vCPUs"); st == valid {
		switch {
		case n < 1:
			d.fail(e, ErrBadValue, "key %q: must be at least 1, got %d", "vcpus", n)
		case n > MaxVCPUs:
			d.fail(e, ErrBadValue, "key %q: %d is more than %d, the most vCPUs a PVH guest can have", "vcpus", n, MaxVCPUs)
		default:
			c.VCPUs = int(n)
		}
	}
	switch k, e, st := d.str("kernel"); {
	case st == absent:
		d.missing("kernel", `kernel not set: add kernel = "/path/to/vmlinuz" (Xenolith boots the PVH kernel directly)`)
	case st == valid && k == "":
		d.fail(e, ErrBadValue, `key %q: the path is empty`, "kernel")
	case st == valid:
		c.Kernel = k
	}
	d.cmdline(c)
	d.actions(c)
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
