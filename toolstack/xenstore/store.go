package xenstore

import (
	"slices"

	"github.com/xenolith/xenolith/hypercall"
)

// node is one xenstore node. Nodes are immutable once stored: a change
// makes a new node, so a transaction may hold the committed version while
// the tree moves on.
type node struct {
	value    []byte   // raw bytes, never modified after the node is stored
	perms    []Perm   // at least one entry; perms[0] is the owner
	children []string // child names in creation order (C xenstored's order)
	gen      uint64   // generation of the last change (store.gen when stored)
}

// owner returns the domain that owns n.
func (n *node) owner() uint16 { return n.perms[0].Domid }

// withValue returns a copy of n holding value.
func (n *node) withValue(value []byte) *node {
	c := *n
	c.value = value
	return &c
}

// withPerms returns a copy of n with these permissions.
func (n *node) withPerms(perms []Perm) *node {
	c := *n
	c.perms = perms
	return &c
}

// withChild returns a copy of n with child name appended.
func (n *node) withChild(name string) *node {
	c := *n
	c.children = append(slices.Clip(n.children), name)
	return &c
}

// withoutChild returns a copy of n without child name.
func (n *node) withoutChild(name string) *node {
	c := *n
	c.children = slices.DeleteFunc(slices.Clone(n.children), func(s string) bool { return s == name })
	return &c
}

// childrenSize is the size of the DIRECTORY reply: every name with a NUL.
func (n *node) childrenSize() int {
	size := 0
	for _, ch := range n.children {
		size += len(ch) + 1
	}
	return size
}

// genOf returns n's generation, 0 for a missing node.
func genOf(n *node) uint64 {
	if n == nil {
		return 0
	}
	return n.gen
}

// store is the committed tree. Guarded by Server.mu.
type store struct {
	nodes   map[string]*node  // absolute path -> node; the flat layout of C's database
	gen     uint64            // last generation handed out; only grows
	owned   map[uint16]int    // committed nodes per owning domain (nodes quota)
	special map[string][]Perm // permissions of the special watch paths
}

func newStore() *store {
	st := &store{
		nodes:   make(map[string]*node),
		owned:   make(map[uint16]int),
		special: make(map[string][]Perm),
	}
	dom0 := []Perm{{Access: AccessNone, Domid: 0}}
	v := view{st: st}
	// The initial tree: C xenstored's / and /tool/xenstored, plus what
	// xen-init-dom0 writes at boot: /local/domain/0 with its name and
	// domid.
	v.put("/", &node{perms: dom0})
	for _, p := range []string{"/tool", "/tool/xenstored", "/local", "/local/domain", "/local/domain/0"} {
		v.put(parentOf(p), v.get(parentOf(p)).withChild(baseOf(p)))
		v.put(p, &node{perms: dom0})
	}
	for _, kv := range [][2]string{{"name", "Domain-0"}, {"domid", "0"}} {
		p := "/local/domain/0/" + kv[0]
		v.put("/local/domain/0", v.get("/local/domain/0").withChild(kv[0]))
		v.put(p, &node{perms: dom0, value: []byte(kv[1])})
	}
	st.special[IntroduceDomainPath] = dom0
	st.special[ReleaseDomainPath] = dom0
	return st
}

// view reads and writes either the committed tree (tx nil) or a
// transaction's view of it. Guarded by Server.mu.
type view struct {
	st *store
	tx *transaction
}

// get returns the node at path, or nil. In a transaction, the first access
// of a path records the committed generation it saw.
func (v view) get(path string) *node {
	if v.tx == nil {
		return v.st.nodes[path]
	}
	if n, ok := v.tx.overlay[path]; ok {
		return n
	}
	n := v.st.nodes[path]
	if _, seen := v.tx.accessed[path]; !seen {
		v.tx.accessed[path] = genOf(n)
	}
	return n
}

// peek returns the node at path, or nil, without recording an access:
// for deciding who hears of a change, which must not make the
// transaction conflict with changes it never looked at.
func (v view) peek(path string) *node {
	if v.tx != nil {
		if n, ok := v.tx.overlay[path]; ok {
			return n
		}
	}
	return v.st.nodes[path]
}

// put stores n at path (nil removes the node), stamping a new generation.
// Parents' child lists are the caller's business.
func (v view) put(path string, n *node) {
	old := v.get(path)
	v.st.gen++
	if n != nil {
		n.gen = v.st.gen
	}
	delta := v.st.owned
	if v.tx != nil {
		delta = v.tx.ownedDelta
		v.tx.overlay[path] = n
	} else if n != nil {
		v.st.nodes[path] = n
	} else {
		delete(v.st.nodes, path)
	}
	if old != nil {
		delta[old.owner()]--
		if delta[old.owner()] == 0 {
			delete(delta, old.owner())
		}
	}
	if n != nil {
		delta[n.owner()]++
		if delta[n.owner()] == 0 {
			delete(delta, n.owner())
		}
	}
}

// owned returns how many nodes domid owns in this view.
func (v view) owned(domid uint16) int {
	n := v.st.owned[domid]
	if v.tx != nil {
		n += v.tx.ownedDelta[domid]
	}
	return n
}

// ---- tree operations (C xenstored's get_node, create_node, rm_node) ----

// lookup returns the node at abs if c may access it with want. A missing
// node is ENOENT only if c has some of want on its nearest existing
// ancestor, EACCES otherwise, so that errors do not tell a domain which
// nodes exist where it may not look (C's errno_from_parents).
func lookup(v view, c *conn, abs string, want Access) (*node, error) {
	if n := v.get(abs); n != nil {
		if accessFor(c, n.perms)&want != want {
			return nil, hypercall.EACCES
		}
		return n, nil
	}
	for p := abs; p != "/"; {
		p = parentOf(p)
		if a := v.get(p); a != nil {
			if accessFor(c, a.perms)&want != 0 {
				return nil, hypercall.ENOENT
			}
			return nil, hypercall.EACCES
		}
	}
	return nil, hypercall.ENOENT
}

// createNode creates the missing node abs holding value, and any missing
// ancestors, for caller c (C's create_node). Each new node inherits its
// parent's permissions; an unprivileged creator becomes the owner. The
// caller has checked with lookup that abs is missing and that c may write
// its nearest existing ancestor.
func (s *Server) createNode(v view, c *conn, abs string, value []byte) error {
	missing := []string{abs}
	for v.get(parentOf(missing[len(missing)-1])) == nil {
		missing = append(missing, parentOf(missing[len(missing)-1]))
	}
	// Every new node gets the same list: the existing ancestor's, with
	// an unprivileged creator as owner.
	perms := slices.Clone(v.get(parentOf(missing[len(missing)-1])).perms)
	if !c.privileged() {
		perms[0].Domid = c.domid
		if v.owned(c.domid)+len(missing) > s.cfg.Quota.Nodes {
			return hypercall.ENOSPC
		}
		if len(value)+permsSize(perms) > s.cfg.Quota.NodeSize {
			return hypercall.ENOSPC
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		p := missing[i]
		parent := v.get(parentOf(p))
		n := &node{perms: perms}
		if i == 0 {
			n.value = value
		}
		v.put(parentOf(p), parent.withChild(baseOf(p)))
		v.put(p, n)
	}
	if v.tx != nil {
		v.tx.created = true
	}
	return nil
}

// removeNode removes abs (which exists and is not "/") and its subtree,
// returning the watch events in C's order: each descendant (exact: only
// watches on that very path) after its own children, then abs itself
// (watches on abs and above).
func removeNode(v view, abs string) []event {
	var events []event
	var walk func(p string, n *node, parentPerms []Perm)
	walk = func(p string, n *node, parentPerms []Perm) {
		for _, ch := range n.children {
			cp := childPath(p, ch)
			if cn := v.get(cp); cn != nil {
				walk(cp, cn, n.perms)
			}
		}
		events = append(events, event{path: p, exact: p != abs, perms: [3][]Perm{n.perms, parentPerms}})
		v.put(p, nil)
	}
	parent := v.get(parentOf(abs))
	walk(abs, v.get(abs), parent.perms)
	v.put(parentOf(abs), parent.withoutChild(baseOf(abs)))
	return events
}
