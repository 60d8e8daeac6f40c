package xlcfg

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// VifSpec is one item of "vif", a virtual network interface, from a spec
// in xl-network-configuration(5) syntax: comma-separated KEY=VALUE in any
// order. "" is an interface with every default, as in xl (vif = [ "" ]).
// Fields are as written (trimmed) unless said otherwise; "" means not set.
type VifSpec struct {
	// MAC is the guest's address, in lower case: six hex octets,
	// unicast (the low bit of the first octet clear) and not all zeros.
	// "": the toolstack generates one (xl uses 00:16:3e:xx:xx:xx).
	MAC     string
	Bridge  string // host bridge to attach the back end to (xl's default: xenbr0)
	IP      string // guest addresses for the hotplug script: IPv4 or IPv6 addresses or prefixes, separated by spaces
	Model   string // emulated card model (e1000...); PVH guests have none, so it has no effect
	Type    string // "vif" (PV, the default); "ioemu" is refused
	VifName string // host-side interface name (at most 15 bytes, no '/', ':' or white space)
	Script  string // hotplug script
	Rate    string // bandwidth limit, RATE[GMK]{B,b}/s[@INTERVAL[m,u]s], such as 10Mb/s@20ms
	Backend string // back-end (driver) domain name
	Line    int    // where the spec is in the config file (0 if unknown)
}

// vifRefused are the keys of xl's parse_nic_config (xl_parse.c) that
// Xenolith refuses, besides the colo_* family.
var vifRefused = map[string]bool{
	"gatewaydev": true, "netdev": true, "devid": true, "mtu": true, "accel": true,
	"forwarddev": true, "vid": true, "vlan": true,
}

const vifParamList = "mac, bridge, ip, model, type, vifname, script, rate and backend"

// parseVif reads one vif spec. Unlike xl, which lets the last of a
// repeated key win and keeps blanks around values, it refuses repeated
// keys and trims values.
func parseVif(spec string) (VifSpec, *specError) {
	var v VifSpec
	seen := map[string]bool{}
	for _, tok := range strings.Split(spec, ",") {
		tok = trimSpec(tok)
		if tok == "" {
			continue
		}
		key, val, ok := strings.Cut(tok, "=")
		key, val = trimSpec(key), trimSpec(val)
		switch {
		case !ok && (tok == "trusted" || tok == "untrusted"):
			return VifSpec{}, unsupportedSpec("%s is not supported by Xenolith: remove it", tok)
		case !ok:
			return VifSpec{}, badSpec("%q is not KEY=VALUE (vif specs are comma-separated KEY=VALUE: %s)", trunc(tok), vifParamList)
		case vifRefused[key] || strings.HasPrefix(key, "colo_"):
			return VifSpec{}, unsupportedSpec("%s= is not supported by Xenolith: remove it", trunc(key))
		}
		dst := v.field(key)
		if dst == nil {
			return VifSpec{}, badSpec("unknown parameter %q (vif specs take %s; see xl-network-configuration(5))", trunc(key)+"=", vifParamList)
		}
		if seen[key] {
			return VifSpec{}, badSpec("%s is given twice: each parameter may appear once", key)
		}
		seen[key] = true
		if val == "" {
			return VifSpec{}, badSpec("%s= has no value (remove it for the default)", key)
		}
		if err := checkVifParam(key, &val); err != nil {
			return VifSpec{}, err
		}
		*dst = val
	}
	return v, nil
}

// field returns the field for a vif key, or nil.
func (v *VifSpec) field(key string) *string {
	switch key {
	case "mac":
		return &v.MAC
	case "bridge":
		return &v.Bridge
	case "ip":
		return &v.IP
	case "model":
		return &v.Model
	case "type":
		return &v.Type
	case "vifname":
		return &v.VifName
	case "script":
		return &v.Script
	case "rate":
		return &v.Rate
	case "backend":
		return &v.Backend
	}
	return nil
}

// checkVifParam checks a value, normalising it in place (mac).
func checkVifParam(key string, val *string) *specError {
	v := *val
	switch key {
	case "mac":
		mac, err := parseMAC(v)
		if err != nil {
			return err
		}
		*val = mac
	case "ip":
		for _, a := range strings.Fields(v) {
			if _, err := netip.ParseAddr(a); err == nil {
				continue
			}
			if _, err := netip.ParsePrefix(a); err == nil {
				continue
			}
			return badSpec("ip %q is not an IPv4 or IPv6 address (separate several with spaces)", trunc(a))
		}
	case "type":
		switch v {
		case "vif":
		case "ioemu":
			return unsupportedSpec("type=ioemu is not supported: PVH guests have no emulated network cards (use type=vif)")
		default:
			return badSpec("type %q is not vif", trunc(v))
		}
	case "bridge", "vifname":
		if !isIfName(v) {
			return badSpec("%s %q is not a network interface name (at most 15 bytes, no '/', ':' or white space)", key, trunc(v))
		}
	case "rate":
		if !isRate(v) {
			return badSpec("rate %q is not RATE/s or RATE/s@INTERVAL (such as 10Mb/s, 100MB/s@20ms; RATE is 1 to 4294967295 with an optional G, M or K and B for bytes or b for bits)", trunc(v))
		}
	}
	return nil
}

// parseMAC checks a MAC address and returns it in lower case.
func parseMAC(s string) (string, *specError) {
	parts := strings.Split(s, ":")
	ok := len(parts) == 6
	for _, p := range parts {
		ok = ok && len(p) == 2 && isHex(p[0]) && isHex(p[1])
	}
	if !ok {
		return "", badSpec("mac %q is not 6 hex octets (write mac=00:16:3e:xx:xx:xx, or leave it out to have one generated)", trunc(s))
	}
	mac := strings.ToLower(s)
	first, _ := strconv.ParseUint(mac[:2], 16, 8)
	switch {
	case first&1 != 0:
		return "", badSpec("mac %s is a multicast address (the low bit of the first octet is set): use a unicast one such as 00:16:3e:xx:xx:xx", mac)
	case mac == "00:00:00:00:00:00":
		return "", badSpec("mac %s is all zeros: use one such as 00:16:3e:xx:xx:xx, or leave it out to have one generated", mac)
	}
	return mac, nil
}

// isIfName applies Linux's dev_valid_name to a network interface name.
func isIfName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '/' || c == ':' || c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// isRate checks a rate as libxlu_vif.c does: ^[0-9]+[GMK]?[Bb]/s$,
// optionally followed by @ and an interval ^[0-9]+[mu]?s?$, each number
// from 1 to 2^32-1 and the interval at most 2^32-1 µs.
func isRate(s string) bool {
	rate, interval, hasInterval := strings.Cut(s, "@")
	n, rest := leadingNumber(rate)
	if n == 0 || n > math.MaxUint32 {
		return false
	}
	if rest != "" && strings.IndexByte("GMK", rest[0]) >= 0 {
		rest = rest[1:]
	}
	if rest != "B/s" && rest != "b/s" {
		return false
	}
	if !hasInterval {
		return true
	}
	n, unit := leadingNumber(interval)
	if n == 0 || n > math.MaxUint32 {
		return false
	}
	usecs := map[string]uint64{"": 1e6, "s": 1e6, "m": 1e3, "ms": 1e3, "u": 1, "us": 1}
	mul, ok := usecs[unit]
	return ok && n*mul <= math.MaxUint32
}

// leadingNumber reads the decimal digits s starts with; 0 if there are
// none or too many.
func leadingNumber(s string) (uint64, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0, s
	}
	return n, s[i:]
}

// String formats v as a vif spec that parseVif reads back to v (Line
// aside).
func (v VifSpec) String() string {
	var parts []string
	for _, f := range []struct{ key, val string }{
		{"mac", v.MAC}, {"bridge", v.Bridge}, {"ip", v.IP}, {"model", v.Model}, {"type", v.Type},
		{"vifname", v.VifName}, {"script", v.Script}, {"rate", v.Rate}, {"backend", v.Backend},
	} {
		if f.val != "" {
			parts = append(parts, f.key+"="+f.val)
		}
	}
	return strings.Join(parts, ", ")
}
