package xenstore

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/xenolith/xenolith/hypercall"
)

// Quota holds the per-domain limits. Dom0 (socket clients and the Go API)
// is exempt, as in C xenstored. The errno a violation gets is C
// xenstored's: ENOSPC for Nodes, NodeSize, Transactions and Perms, E2BIG
// for Watches.
type Quota struct {
	Nodes        int // nodes a domain may own (C: --entry-nb, default 1000)
	NodeSize     int // bytes of a node's value plus its permission strings (C: --entry-size, 2048)
	Watches      int // watches a domain may hold (C: --watch-nb, 128)
	Transactions int // transactions a domain may have open (C: --transaction, 10)
	Perms        int // permission entries per node set by a domain (C: --perm-nb, 5)
}

// DefaultQuota returns C xenstored's defaults.
func DefaultQuota() Quota {
	return Quota{Nodes: 1000, NodeSize: 2048, Watches: 128, Transactions: 10, Perms: 5}
}

// DefaultMaxQueuedEvents is the default of Config.MaxQueuedEvents.
const DefaultMaxQueuedEvents = 1024

// Config configures a Server.
type Config struct {
	// Quota: zero fields take DefaultQuota's values.
	Quota Quota
	// MaxQueuedEvents is how many watch events may wait for one
	// connection; a connection that lets more pile up is dropped.
	// 0 means DefaultMaxQueuedEvents.
	MaxQueuedEvents int
	// Connector maps a domain's ring for INTRODUCE messages; nil makes
	// INTRODUCE fail with ENOSYS (the Go API Introduce still works).
	Connector Connector
	// Log receives connection-level events (dropped clients, ring
	// errors), with the domid. nil means slog.Default().
	Log *slog.Logger
}

// Server is a xenstored: the tree, its connections and domains.
type Server struct {
	cfg      Config
	log      *slog.Logger
	serveWG  sync.WaitGroup // socket connection goroutines
	opCounts [hypercall.XsTypeCount + 1]atomic.Uint64

	mu      sync.Mutex                // guards everything below
	st      *store                    // the committed tree
	conns   map[*conn]struct{}        // live connections with an outgoing queue
	domains map[uint16]*domain        // introduced domains
	dom0    *conn                     // the Go API's connection (privileged, no queue)
	nextID  uint64                    // connection serial numbers
	closed  bool                      // Close was called
	lis     map[net.Listener]struct{} // listeners being served
	sockets map[io.Closer]struct{}    // open socket connections, closed by Close
}

// New returns a server holding the initial tree: /, /tool/xenstored,
// /local/domain/0 (name "Domain-0", domid "0"), all owned by dom0 with
// permissions "n0", and the special paths @introduceDomain and
// @releaseDomain ("n0").
func New(cfg Config) *Server {
	def := DefaultQuota()
	q := &cfg.Quota
	for _, f := range []struct {
		v *int
		d int
	}{
		{&q.Nodes, def.Nodes}, {&q.NodeSize, def.NodeSize}, {&q.Watches, def.Watches},
		{&q.Transactions, def.Transactions}, {&q.Perms, def.Perms},
	} {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	if cfg.MaxQueuedEvents <= 0 {
		cfg.MaxQueuedEvents = DefaultMaxQueuedEvents
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Log,
		st:      newStore(),
		conns:   make(map[*conn]struct{}),
		domains: make(map[uint16]*domain),
		lis:     make(map[net.Listener]struct{}),
		sockets: make(map[io.Closer]struct{}),
	}
	s.dom0 = &conn{domid: 0, home: DomainPath(0), txs: make(map[uint32]*transaction), log: s.log}
	return s
}

// conn is one client connection: a socket client (dom0) or a domain's
// ring. Guarded by Server.mu except out, which has its own lock.
type conn struct {
	id        uint64
	domid     uint16
	home      string // /local/domain/<domid>: base of relative paths
	hasTarget bool   // SET_TARGET: this domain acts for target (a device model)
	target    uint16
	watches   []*watch
	txs       map[uint32]*transaction
	nextTx    uint32
	out       *outQueue // nil for Server.dom0
	dropped   bool
	kill      func() // closes the transport; called with Server.mu held, must not block
	log       *slog.Logger
}

// privileged reports whether c bypasses permissions and quotas: dom0.
func (c *conn) privileged() bool { return c.domid == 0 }

// newConn registers a connection for domid. Caller holds s.mu.
func (s *Server) newConn(domid uint16, transport string) *conn {
	s.nextID++
	c := &conn{
		id:    s.nextID,
		domid: domid,
		home:  DomainPath(domid),
		txs:   make(map[uint32]*transaction),
		out:   newOutQueue(s.cfg.MaxQueuedEvents),
	}
	c.log = s.log.With("domid", domid, "conn", c.id, "transport", transport)
	s.conns[c] = struct{}{}
	return c
}

// dropConn forgets c's watches and transactions, closes its queue and its
// transport. reason, if not empty, is logged. Caller holds s.mu.
func (s *Server) dropConn(c *conn, reason string) {
	if c.dropped {
		return
	}
	c.dropped = true
	if reason != "" {
		c.log.Warn("xenstore: dropping connection", "reason", reason)
	}
	c.watches = nil
	c.txs = nil
	delete(s.conns, c)
	c.out.close()
	if c.kill != nil {
		c.kill()
	}
}

// resetConn forgets c's watches, transactions and queued output, as
// RESET_WATCHES plus a reconnection. Caller holds s.mu.
func (s *Server) resetConn(c *conn) {
	c.watches = nil
	clear(c.txs)
	c.out.reset()
}

// Close stops the server: listeners, socket connections and domain rings
// (each Ring is closed). It waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.lis {
		l.Close()
	}
	for sc := range s.sockets {
		sc.Close()
	}
	var rings []*ringConn
	for domid := range s.domains {
		if rc := s.releaseLocked(domid, false); rc != nil {
			rings = append(rings, rc)
		}
	}
	s.mu.Unlock()
	for _, rc := range rings {
		<-rc.done
	}
	s.serveWG.Wait()
	return nil
}

// ---- request processing ----

// process handles one request from c and queues the reply (request type,
// req_id and tx_id echoed; ERROR with the errno name on failure).
func (s *Server) process(c *conn, m Message) {
	if m.Type < hypercall.XsTypeCount {
		s.opCounts[m.Type].Add(1)
	} else {
		s.opCounts[hypercall.XsTypeCount].Add(1)
	}
	if m.Type == hypercall.XsIntroduce {
		// INTRODUCE maps a ring through the Connector: not under s.mu.
		payload, err := s.introduceMessage(c, m)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !c.dropped {
			s.reply(c, m, payload, err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.dropped {
		return
	}
	r := request{s: s, c: c, m: m}
	payload, err := s.dispatch(&r)
	s.reply(c, m, payload, err)
	if err == nil && r.after != nil {
		r.after()
	}
}

// call runs a request as the Go API's dom0 connection and returns the
// reply payload or the error.
func (s *Server) call(typ uint32, payload []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callLocked(typ, payload)
}

// callLocked is call with s.mu held.
func (s *Server) callLocked(typ uint32, payload []byte) ([]byte, error) {
	r := request{s: s, c: s.dom0, m: Message{Type: typ, Payload: payload}}
	out, err := s.dispatch(&r)
	if err == nil && len(out) > hypercall.XenstorePayloadMax {
		return nil, hypercall.E2BIG
	}
	return out, err
}

// reply queues the reply to m on c. Caller holds s.mu.
func (s *Server) reply(c *conn, m Message, payload []byte, err error) {
	if err == nil && len(payload) > hypercall.XenstorePayloadMax {
		err = hypercall.E2BIG // C's send_reply
	}
	r := Message{Type: m.Type, ReqID: m.ReqID, TxID: m.TxID, Payload: payload}
	if err != nil {
		e := errnoOf(err)
		r.Type = hypercall.XsError
		r.Payload = appendString(nil, e.Name())
		c.log.Debug("xenstore: request failed", "op", typeName(m.Type), "errno", e.Name())
	}
	c.out.pushReply(r.Append(make([]byte, 0, HeaderSize+len(r.Payload))))
}

// OpCounts returns how many requests of each type the server has seen,
// by XS_* name ("unknown" for types it does not serve).
func (s *Server) OpCounts() map[string]uint64 {
	out := make(map[string]uint64)
	for t := range s.opCounts {
		n := s.opCounts[t].Load()
		if n == 0 {
			continue
		}
		name := "unknown"
		if t < len(opTable) && opTable[t].name != "" {
			name = opTable[t].name
		}
		out[name] += n
	}
	return out
}
