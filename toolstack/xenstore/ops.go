package xenstore

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xenolith/xenolith/hypercall"
)

// request is one message being handled, with the transaction its tx_id
// names (nil for none). after, if set, runs once the reply is queued
// (WATCH's initial event follows its OK).
type request struct {
	s     *Server
	c     *conn
	tx    *transaction
	m     Message
	after func()
}

func (r *request) view() view { return view{st: r.s.st, tx: r.tx} }

// arg returns the payload's single string (C's onearg), or EINVAL.
func (r *request) arg() (string, error) {
	a, ok := oneArg(r.m.Payload)
	if !ok {
		return "", hypercall.EINVAL
	}
	return a, nil
}

// path returns the canonical form of the payload's single path.
func (r *request) path(allowSpecial bool) (string, error) {
	a, err := r.arg()
	if err != nil {
		return "", err
	}
	abs, _, err := canonicalize(r.c, a, allowSpecial)
	return abs, err
}

var okReply = []byte("OK\x00")

// opFlags say how the dispatcher treats a message type (C's XS_FLAG_*).
type opFlags uint8

const (
	flagPriv opFlags = 1 << iota // dom0 only: EACCES for a domain
	flagNoTx                     // tx_id is ignored, not looked up
)

// opTable is the dispatch table, indexed by message type (C xenstored's
// wire_funcs). Types without a handler (WATCH_EVENT, ERROR, the removed
// RESTRICT, anything >= XS_TYPE_COUNT) get ENOSYS, as from C xenstored.
// INTRODUCE is handled by Server.process, outside the lock, because it
// calls the Connector.
var opTable = [hypercall.XsTypeCount]struct {
	name  string
	fn    func(*request) ([]byte, error)
	flags opFlags
}{
	hypercall.XsControl:            {"CONTROL", opControl, flagPriv},
	hypercall.XsDirectory:          {"DIRECTORY", opDirectory, 0},
	hypercall.XsRead:               {"READ", opRead, 0},
	hypercall.XsGetPerms:           {"GET_PERMS", opGetPerms, 0},
	hypercall.XsWatch:              {"WATCH", opWatch, flagNoTx},
	hypercall.XsUnwatch:            {"UNWATCH", opUnwatch, flagNoTx},
	hypercall.XsTransactionStart:   {"TRANSACTION_START", opTransactionStart, 0},
	hypercall.XsTransactionEnd:     {"TRANSACTION_END", opTransactionEnd, 0},
	hypercall.XsIntroduce:          {"INTRODUCE", nil, flagPriv},
	hypercall.XsRelease:            {"RELEASE", opRelease, flagPriv},
	hypercall.XsGetDomainPath:      {"GET_DOMAIN_PATH", opGetDomainPath, 0},
	hypercall.XsWrite:              {"WRITE", opWrite, 0},
	hypercall.XsMkdir:              {"MKDIR", opMkdir, 0},
	hypercall.XsRm:                 {"RM", opRm, 0},
	hypercall.XsSetPerms:           {"SET_PERMS", opSetPerms, 0},
	hypercall.XsIsDomainIntroduced: {"IS_DOMAIN_INTRODUCED", opIsDomainIntroduced, flagPriv},
	hypercall.XsResume:             {"RESUME", opResume, flagPriv},
	hypercall.XsSetTarget:          {"SET_TARGET", opSetTarget, flagPriv},
	hypercall.XsResetWatches:       {"RESET_WATCHES", opResetWatches, 0},
	hypercall.XsDirectoryPart:      {"DIRECTORY_PART", opDirectoryPart, 0},
}

// unknownTypeErrno answers message types xenstored does not serve. C
// xenstored's process_message sends ENOSYS ("Client unknown operation")
// and keeps the connection; so does Xenolith.
const unknownTypeErrno = hypercall.ENOSYS

// dispatch runs r's handler: privilege check, transaction lookup (ENOENT
// for an unknown tx_id), handler. Caller holds s.mu.
func (s *Server) dispatch(r *request) ([]byte, error) {
	t := r.m.Type
	if t >= uint32(len(opTable)) || opTable[t].fn == nil {
		if t == hypercall.XsIntroduce {
			return nil, hypercall.EINVAL // only via process
		}
		r.c.log.Debug("xenstore: unknown message type", "type", t)
		return nil, unknownTypeErrno
	}
	op := &opTable[t]
	if op.flags&flagPriv != 0 && !r.c.privileged() {
		return nil, hypercall.EACCES
	}
	if op.flags&flagNoTx == 0 && r.m.TxID != 0 {
		r.tx = r.c.txs[r.m.TxID]
		if r.tx == nil {
			return nil, hypercall.ENOENT
		}
	}
	return op.fn(r)
}

// ---- reading ----

func opRead(r *request) ([]byte, error) {
	abs, err := r.path(false)
	if err != nil {
		return nil, err
	}
	n, err := lookup(r.view(), r.c, abs, AccessRead)
	if err != nil {
		return nil, err
	}
	return slices.Clone(n.value), nil
}

func opDirectory(r *request) ([]byte, error) {
	abs, err := r.path(false)
	if err != nil {
		return nil, err
	}
	n, err := lookup(r.view(), r.c, abs, AccessRead)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n.childrenSize())
	for _, ch := range n.children {
		out = appendString(out, ch)
	}
	return out, nil
}

// opDirectoryPart answers path|offset| with generation| and the child
// list from byte offset on, cut at a name boundary to fit the payload;
// when the list ends within the reply an empty name (a second NUL)
// follows, as C's send_directory_part.
func opDirectoryPart(r *request) ([]byte, error) {
	p := r.m.Payload
	if bytes.Count(p, []byte{0}) != 2 || p[len(p)-1] != 0 {
		return nil, hypercall.EINVAL
	}
	args := payloadStrings(p)
	abs, _, err := canonicalize(r.c, args[0], false)
	if err != nil {
		return nil, err
	}
	off64, ok := parseDecimal(args[1], 1<<31)
	if !ok {
		return nil, hypercall.EINVAL
	}
	n, err := lookup(r.view(), r.c, abs, AccessRead)
	if err != nil {
		return nil, err
	}
	var children []byte
	for _, ch := range n.children {
		children = appendString(children, ch)
	}
	out := appendString(nil, strconv.FormatUint(n.gen, 10))
	off := int(off64)
	if off >= len(children) {
		return append(out, 0), nil
	}
	maxLen := hypercall.XenstorePayloadMax - len(out) - 1
	length := 0
	for {
		name := children[off+length:]
		nameLen := bytes.IndexByte(name, 0)
		if length+nameLen >= maxLen {
			break
		}
		length += nameLen + 1
		if off+length == len(children) {
			break
		}
	}
	out = append(out, children[off:off+length]...)
	if off+length == len(children) {
		out = append(out, 0)
	}
	return out, nil
}

func opGetPerms(r *request) ([]byte, error) {
	abs, err := r.path(true)
	if err != nil {
		return nil, err
	}
	var perms []Perm
	if abs[0] == '@' {
		perms = r.s.st.special[abs]
		if perms == nil {
			return nil, hypercall.ENOENT
		}
		if accessFor(r.c, perms)&AccessRead == 0 {
			return nil, hypercall.EACCES
		}
	} else {
		n, err := lookup(r.view(), r.c, abs, AccessRead)
		if err != nil {
			return nil, err
		}
		perms = n.perms
	}
	return appendPerms(nil, perms), nil
}

// ---- writing ----

// opWrite: path|value. The value is every byte after the path's NUL.
func opWrite(r *request) ([]byte, error) {
	i := bytes.IndexByte(r.m.Payload, 0)
	if i < 0 {
		return nil, hypercall.EINVAL
	}
	abs, _, err := canonicalize(r.c, string(r.m.Payload[:i]), false)
	if err != nil {
		return nil, err
	}
	value := slices.Clone(r.m.Payload[i+1:])
	v := r.view()
	n, err := lookup(v, r.c, abs, AccessWrite)
	switch {
	case err == hypercall.ENOENT:
		if err := r.s.createNode(v, r.c, abs, value); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if !r.c.privileged() && len(value)+permsSize(n.perms) > r.s.cfg.Quota.NodeSize {
			return nil, hypercall.ENOSPC
		}
		v.put(abs, n.withValue(value))
	}
	r.s.emit(v, nodeEvent(v, abs))
	return okReply, nil
}

// opMkdir creates an empty node; an existing one (that the caller may
// write) is fine and fires nothing.
func opMkdir(r *request) ([]byte, error) {
	abs, err := r.path(false)
	if err != nil {
		return nil, err
	}
	v := r.view()
	_, err = lookup(v, r.c, abs, AccessWrite)
	if err == hypercall.ENOENT {
		if err := r.s.createNode(v, r.c, abs, nil); err != nil {
			return nil, err
		}
		r.s.emit(v, nodeEvent(v, abs))
		return okReply, nil
	}
	if err != nil {
		return nil, err
	}
	return okReply, nil
}

// opRm removes a subtree. A missing node is fine if its parent exists;
// the root cannot be removed (EINVAL).
func opRm(r *request) ([]byte, error) {
	abs, err := r.path(false)
	if err != nil {
		return nil, err
	}
	v := r.view()
	_, err = lookup(v, r.c, abs, AccessWrite)
	if err == hypercall.ENOENT {
		if v.get(parentOf(abs)) != nil {
			return okReply, nil
		}
		return nil, hypercall.ENOENT
	}
	if err != nil {
		return nil, err
	}
	if abs == "/" {
		return nil, hypercall.EINVAL
	}
	for _, ev := range removeNode(v, abs) {
		r.s.emit(v, ev)
	}
	return okReply, nil
}

// opSetPerms: path|perm|perm|... The caller must own the node (dom0 may
// always); a domain may not give the node away (EPERM).
func opSetPerms(r *request) ([]byte, error) {
	p := r.m.Payload
	strs := payloadStrings(p)
	if len(strs) < 2 {
		return nil, hypercall.EINVAL
	}
	if !r.c.privileged() && len(strs)-1 > r.s.cfg.Quota.Perms {
		return nil, hypercall.ENOSPC
	}
	perms := make([]Perm, len(strs)-1)
	for i, ps := range strs[1:] {
		pp, err := ParsePerm(ps)
		if err != nil {
			return nil, err
		}
		perms[i] = pp
	}
	abs, _, err := canonicalize(r.c, strs[0], true)
	if err != nil {
		return nil, err
	}
	if abs[0] == '@' {
		old := r.s.st.special[abs]
		if old == nil {
			return nil, hypercall.ENOENT
		}
		if accessFor(r.c, old)&(AccessWrite|accessOwner) != AccessWrite|accessOwner {
			return nil, hypercall.EACCES
		}
		if !r.c.privileged() && perms[0].Domid != old[0].Domid {
			return nil, hypercall.EPERM
		}
		r.s.st.special[abs] = perms
		return okReply, nil
	}
	v := r.view()
	n, err := lookup(v, r.c, abs, AccessWrite|accessOwner)
	if err != nil {
		return nil, err
	}
	if !r.c.privileged() {
		if perms[0].Domid != n.owner() {
			return nil, hypercall.EPERM
		}
		if len(n.value)+permsSize(perms) > r.s.cfg.Quota.NodeSize {
			return nil, hypercall.ENOSPC
		}
	}
	v.put(abs, n.withPerms(perms))
	ev := nodeEvent(v, abs)
	ev.perms[2] = n.perms // a watcher losing access hears of it too
	r.s.emit(v, ev)
	return okReply, nil
}

// ---- watches ----

// opWatch registers path|token| and, after the OK, fires the watch once.
// Xenolith refuses (EACCES) a watch on an existing node the caller may
// not read, where C xenstored accepts it and then filters every event.
func opWatch(r *request) ([]byte, error) {
	strs := payloadStrings(r.m.Payload)
	if len(strs) != 2 {
		return nil, hypercall.EINVAL
	}
	abs, relative, err := canonicalize(r.c, strs[0], true)
	if err != nil {
		return nil, err
	}
	if n := r.s.st.nodes[abs]; n != nil && accessFor(r.c, n.perms)&AccessRead == 0 {
		return nil, hypercall.EACCES
	}
	w, err := r.s.addWatch(r.c, abs, strs[1], relative)
	if err != nil {
		return nil, err
	}
	c, s := r.c, r.s
	r.after = func() { s.queueEvent(c, w.path[w.prefix:], w.token) }
	return okReply, nil
}

func opUnwatch(r *request) ([]byte, error) {
	strs := payloadStrings(r.m.Payload)
	if len(strs) != 2 {
		return nil, hypercall.EINVAL
	}
	abs, _, err := canonicalize(r.c, strs[0], true)
	if err != nil {
		return nil, err
	}
	if err := r.s.removeWatch(r.c, abs, strs[1]); err != nil {
		return nil, err
	}
	return okReply, nil
}

// opResetWatches drops all the caller's watches and transactions.
func opResetWatches(r *request) ([]byte, error) {
	r.c.watches = nil
	clear(r.c.txs)
	return okReply, nil
}

// ---- transactions ----

func opTransactionStart(r *request) ([]byte, error) {
	if r.tx != nil {
		return nil, hypercall.EBUSY // no nested transactions
	}
	tx, err := r.s.startTransaction(r.c)
	if err != nil {
		return nil, err
	}
	return appendString(nil, strconv.FormatUint(uint64(tx.id), 10)), nil
}

// opTransactionEnd: T| commits, F| aborts; the transaction is gone
// either way, also when the commit fails (EAGAIN, ENOSPC).
func opTransactionEnd(r *request) ([]byte, error) {
	a, err := r.arg()
	if err != nil || (a != "T" && a != "F") {
		return nil, hypercall.EINVAL
	}
	if r.tx == nil {
		return nil, hypercall.ENOENT
	}
	delete(r.c.txs, r.tx.id)
	if a == "T" {
		if err := r.s.commit(r.c, r.tx); err != nil {
			return nil, err
		}
	}
	return okReply, nil
}

// ---- domains ----

// argDomid parses the payload's single decimal domid.
func (r *request) argDomid() (uint16, error) {
	a, err := r.arg()
	if err != nil {
		return 0, err
	}
	d, ok := parseDomid(a)
	if !ok {
		return 0, hypercall.EINVAL
	}
	return d, nil
}

func opGetDomainPath(r *request) ([]byte, error) {
	d, err := r.argDomid()
	if err != nil {
		return nil, err
	}
	return appendString(nil, DomainPath(d)), nil
}

// opIsDomainIntroduced answers T or F; dom0 and DOMID_SELF are always T.
func opIsDomainIntroduced(r *request) ([]byte, error) {
	d, err := r.argDomid()
	if err != nil {
		return nil, err
	}
	if d == 0 || d == hypercall.DomidSelf || r.s.domains[d] != nil {
		return []byte("T\x00"), nil
	}
	return []byte("F\x00"), nil
}

// connectedDomain returns the introduced domain d: EINVAL for dom0,
// ENOENT if not introduced (C's onearg_domain).
func (r *request) connectedDomain(d uint16) (*domain, error) {
	if d == 0 {
		return nil, hypercall.EINVAL
	}
	dom := r.s.domains[d]
	if dom == nil {
		return nil, hypercall.ENOENT
	}
	return dom, nil
}

func opRelease(r *request) ([]byte, error) {
	d, err := r.argDomid()
	if err != nil {
		return nil, err
	}
	if _, err := r.connectedDomain(d); err != nil {
		return nil, err
	}
	r.s.releaseLocked(d, true) // the ring goroutine finishes on its own
	return okReply, nil
}

// opResume clears the domain's shutdown flag (kept for C compatibility;
// Xenolith has no use for it yet).
func opResume(r *request) ([]byte, error) {
	d, err := r.argDomid()
	if err != nil {
		return nil, err
	}
	dom, err := r.connectedDomain(d)
	if err != nil {
		return nil, err
	}
	dom.shutdown = false
	return okReply, nil
}

// opSetTarget: domid|target|. The domain (a device model) then has the
// target's permissions as well as its own.
func opSetTarget(r *request) ([]byte, error) {
	strs := payloadStrings(r.m.Payload)
	if len(strs) < 2 {
		return nil, hypercall.EINVAL
	}
	d, ok1 := parseDomid(strs[0])
	t, ok2 := parseDomid(strs[1])
	if !ok1 || !ok2 {
		return nil, hypercall.EINVAL
	}
	dom, err := r.connectedDomain(d)
	if err != nil {
		return nil, err
	}
	if _, err := r.connectedDomain(t); err != nil {
		return nil, err
	}
	dom.c.hasTarget, dom.c.target = true, t
	return okReply, nil
}

// introduceMessage handles INTRODUCE domid|gfn|port| from c, without
// s.mu: it maps the ring through the Connector, then calls Introduce.
func (s *Server) introduceMessage(c *conn, m Message) ([]byte, error) {
	if !c.privileged() {
		return nil, hypercall.EACCES
	}
	if m.TxID != 0 {
		s.mu.Lock()
		_, ok := c.txs[m.TxID]
		s.mu.Unlock()
		if !ok {
			return nil, hypercall.ENOENT
		}
	}
	strs := payloadStrings(m.Payload)
	if len(strs) < 3 {
		return nil, hypercall.EINVAL
	}
	domid, ok1 := parseDomid(strs[0])
	gfn, ok2 := parseDecimal(strs[1], 1<<52)
	port, ok3 := parseDecimal(strs[2], 1<<32-1)
	if !ok1 || !ok2 || !ok3 || port == 0 || domid == 0 || domid >= hypercall.DomidFirstReserved {
		return nil, hypercall.EINVAL
	}
	if s.cfg.Connector == nil {
		c.log.Warn("xenstore: INTRODUCE without a connector", "introduced", domid)
		return nil, hypercall.ENOSYS
	}
	ring, err := s.cfg.Connector(domid, gfn, uint32(port))
	if err != nil {
		c.log.Warn("xenstore: INTRODUCE: mapping the ring failed", "introduced", domid, "gfn", gfn, "port", port, "err", err)
		return nil, errnoOf(err)
	}
	if err := s.Introduce(domid, ring); err != nil {
		ring.Close()
		c.log.Warn("xenstore: INTRODUCE failed", "introduced", domid, "err", err)
		return nil, errnoOf(err)
	}
	return okReply, nil
}

// ---- CONTROL ----

// opControl serves a small subset of C xenstored's xenstore-control
// commands: help, print <text> (logged), quota [<domid>]. Others are
// EINVAL.
func opControl(r *request) ([]byte, error) {
	strs := payloadStrings(r.m.Payload)
	if len(strs) == 0 {
		return nil, hypercall.EINVAL
	}
	switch strs[0] {
	case "help":
		return appendString(nil, "Available commands:\nhelp\nprint <string>\nquota [<domid>]\n"), nil
	case "print":
		if len(strs) < 2 {
			return nil, hypercall.EINVAL
		}
		r.c.log.Info("xenstore: control print", "text", strings.Join(strs[1:], " "))
		return okReply, nil
	case "quota":
		q := r.s.cfg.Quota
		if len(strs) == 1 {
			return appendString(nil, fmt.Sprintf("nodes: %d\nnode-size: %d\nwatches: %d\ntransactions: %d\nnode-permissions: %d\n",
				q.Nodes, q.NodeSize, q.Watches, q.Transactions, q.Perms)), nil
		}
		d, ok := parseDomid(strs[1])
		if !ok {
			return nil, hypercall.EINVAL
		}
		dom := r.s.domains[d]
		if dom == nil {
			return nil, hypercall.ENOENT
		}
		return appendString(nil, fmt.Sprintf("Domain %d:\nnodes: %d (max %d)\nwatches: %d (max %d)\ntransactions: %d (max %d)\n",
			d, r.s.st.owned[d], q.Nodes, len(dom.c.watches), q.Watches, len(dom.c.txs), q.Transactions)), nil
	}
	return nil, hypercall.EINVAL
}
