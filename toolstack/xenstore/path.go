package xenstore

import (
	"strconv"
	"strings"

	"github.com/xenolith/xenolith/hypercall"
)

// Special watch paths (docs/misc/xenstore.txt). They are nodes without a
// value or children that only carry permissions (GET_PERMS, SET_PERMS),
// and WATCH events.
const (
	IntroduceDomainPath = "@introduceDomain" // fires on INTRODUCE
	ReleaseDomainPath   = "@releaseDomain"   // fires when a domain is released or dies
)

// DomainPath returns a domain's home directory, /local/domain/<domid>.
func DomainPath(domid uint16) string {
	return "/local/domain/" + strconv.Itoa(int(domid))
}

// validChars reports whether p has only the characters xenstore allows
// in a path: ASCII letters, digits and -/_@ (C's valid_chars).
func validChars(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '/', c == '_', c == '@':
		default:
			return false
		}
	}
	return true
}

// canonicalize turns a path from a client into the absolute path it names,
// following C xenstored's canonicalize(): relative paths (not starting
// with / or @) are relative to the caller's home directory; special paths
// (@...) only where allowSpecial; no empty path, no illegal character, no
// "//", no trailing "/" except the root. Limits: the path as given is at
// most XENSTORE_REL_PATH_MAX bytes when relative, the absolute path at
// most XENSTORE_ABS_PATH_MAX; for an unprivileged caller, the part below
// /local/domain/<domid>/ at most XENSTORE_REL_PATH_MAX. Every failure is
// EINVAL.
func canonicalize(c *conn, p string, allowSpecial bool) (abs string, relative bool, err error) {
	if p == "" || !validChars(p) {
		return "", false, hypercall.EINVAL
	}
	if p[0] == '@' {
		if !allowSpecial || len(p) > hypercall.XenstoreAbsPathMax {
			return "", false, hypercall.EINVAL
		}
		return p, false, nil
	}
	abs = p
	if p[0] != '/' {
		if len(p) > hypercall.XenstoreRelPathMax {
			return "", false, hypercall.EINVAL
		}
		relative = true
		abs = c.home + "/" + p
	}
	if len(abs) > hypercall.XenstoreAbsPathMax ||
		(abs != "/" && strings.HasSuffix(abs, "/")) ||
		strings.Contains(abs, "//") {
		return "", false, hypercall.EINVAL
	}
	if !c.privileged() {
		if rest, ok := strings.CutPrefix(abs, "/local/domain/"); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 && len(rest)-i-1 > hypercall.XenstoreRelPathMax {
				return "", false, hypercall.EINVAL
			}
		}
	}
	return abs, relative, nil
}

// parentOf returns the parent of an absolute path other than "/".
func parentOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// baseOf returns the last element of an absolute path other than "/".
func baseOf(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// childPath joins a directory and a child name.
func childPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// isChildOrSelf reports whether p is parent or below it (C's is_child;
// every normal path is below "/").
func isChildOrSelf(p, parent string) bool {
	if parent == "/" {
		return p != "" && p[0] == '/'
	}
	return strings.HasPrefix(p, parent) && (len(p) == len(parent) || p[len(parent)] == '/')
}
