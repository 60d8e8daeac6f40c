package xenstore

import (
	"strconv"
	"strings"

	"github.com/xenolith/xenolith/hypercall"
)

// Access is what a permission entry grants (xs_perm_type without the
// internal OWNER and IGNORE bits).
type Access uint8

// Access values; the wire letters are n, r, w and b.
const (
	AccessNone  Access = 0
	AccessRead  Access = 1
	AccessWrite Access = 2
	AccessBoth  Access = AccessRead | AccessWrite
)

// accessOwner is granted, with read and write, to a node's owner and to
// privileged callers; SET_PERMS needs it.
const accessOwner Access = 4

// Perm is one permission entry: a letter and a domid, "r5" on the wire.
// In a node's list the first entry names the owner, and its access is
// the default for every domain not listed after it.
type Perm struct {
	Access Access
	Domid  uint16
}

// ParsePerm parses one entry: n, r, w or b followed by a decimal domid.
func ParsePerm(s string) (Perm, error) {
	if len(s) < 2 {
		return Perm{}, hypercall.EINVAL
	}
	var a Access
	switch s[0] {
	case 'n':
		a = AccessNone
	case 'r':
		a = AccessRead
	case 'w':
		a = AccessWrite
	case 'b':
		a = AccessBoth
	default:
		return Perm{}, hypercall.EINVAL
	}
	id, ok := parseDomid(s[1:])
	if !ok {
		return Perm{}, hypercall.EINVAL
	}
	return Perm{Access: a, Domid: id}, nil
}

// String returns the wire form, e.g. "r5".
func (p Perm) String() string {
	return string("nrwb"[p.Access&AccessBoth]) + strconv.Itoa(int(p.Domid))
}

// ParsePerms parses a list of entries separated by commas or spaces, as
// the documentation writes them ("n0,r5"). It is for the Go API; the wire
// carries one NUL-terminated entry per string.
func ParsePerms(s string) ([]Perm, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fields) == 0 {
		return nil, hypercall.EINVAL
	}
	perms := make([]Perm, len(fields))
	for i, f := range fields {
		p, err := ParsePerm(f)
		if err != nil {
			return nil, err
		}
		perms[i] = p
	}
	return perms, nil
}

// FormatPerms returns perms as "n0,r5".
func FormatPerms(perms []Perm) string {
	var b strings.Builder
	for i, p := range perms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// permsSize is the size a permission list counts for in the node-size
// quota: its wire strings with their NULs.
func permsSize(perms []Perm) int {
	n := 0
	for _, p := range perms {
		n += len(p.String()) + 1
	}
	return n
}

// appendPerms appends the GET_PERMS reply form of perms.
func appendPerms(b []byte, perms []Perm) []byte {
	for _, p := range perms {
		b = appendString(b, p.String())
	}
	return b
}

// accessFor returns what caller c may do on a node with these perms
// (C's perm_for_conn): privileged callers and the owner (or a domain
// whose SET_TARGET target is the owner) get everything; otherwise the
// first later entry naming c (or its target) applies, else the default.
func accessFor(c *conn, perms []Perm) Access {
	if len(perms) == 0 {
		return AccessNone
	}
	if c.privileged() || perms[0].Domid == c.domid || (c.hasTarget && perms[0].Domid == c.target) {
		return AccessBoth | accessOwner
	}
	for _, p := range perms[1:] {
		if p.Domid == c.domid || (c.hasTarget && p.Domid == c.target) {
			return p.Access
		}
	}
	return perms[0].Access
}
