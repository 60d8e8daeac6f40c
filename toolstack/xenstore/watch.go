package xenstore

import (
	"github.com/xenolith/xenolith/hypercall"
)

// watch is one registered watch of a connection (C's struct watch).
type watch struct {
	path   string // absolute or special path
	token  string
	prefix int // bytes to strip from event paths: len(home)+1 for a relative watch
}

// event is a change that may fire watches.
type event struct {
	path  string // absolute or special path that changed
	exact bool   // fire only watches on path itself (descendants of a removed node)
	// perms are the permission lists that decide who hears of the change:
	// a watcher that may read any of them gets the event (C's
	// watch_permitted: the node, its parent, and the node's old
	// permissions after SET_PERMS). nil entries are skipped.
	perms [3][]Perm
}

// permitted reports whether c may hear of ev.
func (ev *event) permitted(c *conn) bool {
	if c.privileged() {
		return true
	}
	for _, p := range ev.perms {
		if p != nil && accessFor(c, p)&AccessRead != 0 {
			return true
		}
	}
	return false
}

// nodeEvent returns the event for a change at path in v, after the change
// (node and parent permissions as they are now).
func nodeEvent(v view, path string) event {
	ev := event{path: path}
	if n := v.peek(path); n != nil {
		ev.perms[0] = n.perms
	}
	if path != "/" {
		if p := v.peek(parentOf(path)); p != nil {
			ev.perms[1] = p.perms
		}
	}
	return ev
}

// emit fires ev now, or at commit when v is a transaction's view.
func (s *Server) emit(v view, ev event) {
	if v.tx != nil {
		v.tx.events = append(v.tx.events, ev)
		return
	}
	s.fire(ev)
}

// fire queues a WATCH_EVENT on every connection with a matching watch
// that may hear of ev (C's fire_watches). A watch on P matches changes at
// P and below; exact events and special paths match only equal paths.
// Caller holds s.mu.
func (s *Server) fire(ev event) {
	special := ev.path[0] == '@'
	for c := range s.conns {
		if len(c.watches) == 0 || !ev.permitted(c) {
			continue
		}
		// Index loop: queueing may drop c, which empties c.watches.
		for i := 0; i < len(c.watches); i++ {
			w := c.watches[i]
			var match bool
			if ev.exact || special {
				match = w.path == ev.path
			} else {
				match = w.path[0] != '@' && isChildOrSelf(ev.path, w.path)
			}
			if match {
				s.queueEvent(c, ev.path[w.prefix:], w.token)
			}
		}
	}
}

// fireSpecial fires @introduceDomain or @releaseDomain.
func (s *Server) fireSpecial(path string) {
	s.fire(event{path: path, perms: [3][]Perm{s.st.special[path]}})
}

// queueEvent queues WATCH_EVENT path|token| on c (req_id and tx_id 0).
// Events longer than XENSTORE_PAYLOAD_MAX are not sent (as C); an event
// identical to one still queued is dropped (as C, special paths
// excepted); a connection whose queue is full is dropped.
func (s *Server) queueEvent(c *conn, path, token string) {
	if c.out == nil || c.dropped {
		return
	}
	if len(path)+len(token)+2 > hypercall.XenstorePayloadMax {
		return
	}
	payload := make([]byte, 0, len(path)+len(token)+2)
	payload = appendString(appendString(payload, path), token)
	m := Message{Type: hypercall.XsWatchEvent, Payload: payload}
	dedupe := path[0] != '@'
	if !c.out.pushEvent(m.Append(make([]byte, 0, HeaderSize+len(payload))), dedupe) {
		s.dropConn(c, "more than MaxQueuedEvents undelivered watch events")
	}
}

// addWatch registers a watch for c (WATCH). Duplicates (same path and
// token) are EEXIST; an unprivileged connection may hold Quota.Watches
// watches (E2BIG, as C xenstored).
func (s *Server) addWatch(c *conn, abs, token string, relative bool) (*watch, error) {
	for _, w := range c.watches {
		if w.path == abs && w.token == token {
			return nil, hypercall.EEXIST
		}
	}
	if !c.privileged() && len(c.watches) >= s.cfg.Quota.Watches {
		return nil, hypercall.E2BIG
	}
	w := &watch{path: abs, token: token}
	if relative {
		w.prefix = len(c.home) + 1
	}
	c.watches = append(c.watches, w)
	return w, nil
}

// removeWatch unregisters a watch (UNWATCH), ENOENT if there is none.
func (s *Server) removeWatch(c *conn, abs, token string) error {
	for i, w := range c.watches {
		if w.path == abs && w.token == token {
			c.watches = append(c.watches[:i:i], c.watches[i+1:]...)
			return nil
		}
	}
	return hypercall.ENOENT
}
