package xenstore

import "sync"

// outQueue is a connection's queue of encoded messages waiting for the
// transport: replies, in request order, and watch events. Replies are
// bounded by the transport, which stops reading requests while
// maxPendingReplies are queued; events are bounded by maxEvents, past
// which pushEvent fails and the connection is dropped. Lock order:
// Server.mu before outQueue.mu.
type outQueue struct {
	mu        sync.Mutex
	cond      sync.Cond // on mu: broadcast on push, pop and close
	msgs      []queued  // guarded by mu
	replies   int       // replies in msgs; guarded by mu
	events    int       // events in msgs; guarded by mu
	pending   map[string]int
	closed    bool // guarded by mu
	maxEvents int
	signal    chan struct{} // capacity 1: wakes the ring loop after a push or close
}

type queued struct {
	b     []byte
	event bool
	key   string // dedupe key of an event, "" if none
}

// maxPendingReplies is how many replies a connection may have waiting
// before its transport stops reading requests (C xenstored's
// "outstanding" quota is 20 per domain).
const maxPendingReplies = 32

func newOutQueue(maxEvents int) *outQueue {
	q := &outQueue{maxEvents: maxEvents, pending: make(map[string]int), signal: make(chan struct{}, 1)}
	q.cond.L = &q.mu
	return q
}

func (q *outQueue) wake() {
	q.cond.Broadcast()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// pushReply queues an encoded reply.
func (q *outQueue) pushReply(b []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.msgs = append(q.msgs, queued{b: b})
	q.replies++
	q.wake()
}

// pushEvent queues an encoded watch event. With dedupe, an event equal to
// one still queued is dropped. It returns false if the queue already
// holds maxEvents events.
func (q *outQueue) pushEvent(b []byte, dedupe bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return true
	}
	var key string
	if dedupe {
		key = string(b[HeaderSize:])
		if q.pending[key] > 0 {
			return true
		}
	}
	if q.events >= q.maxEvents {
		return false
	}
	if dedupe {
		q.pending[key]++
	}
	q.msgs = append(q.msgs, queued{b: b, event: true, key: key})
	q.events++
	q.wake()
	return true
}

// popLocked removes the first message; q.mu is held and msgs not empty.
func (q *outQueue) popLocked() []byte {
	m := q.msgs[0]
	q.msgs[0] = queued{}
	q.msgs = q.msgs[1:]
	if len(q.msgs) == 0 {
		q.msgs = nil
	}
	if m.event {
		q.events--
		if m.key != "" {
			if q.pending[m.key]--; q.pending[m.key] <= 0 {
				delete(q.pending, m.key)
			}
		}
	} else {
		q.replies--
	}
	return m.b
}

// pop removes and returns the first message, or nil if there is none.
func (q *outQueue) pop() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.msgs) == 0 {
		return nil
	}
	b := q.popLocked()
	q.cond.Broadcast()
	return b
}

// waitAll blocks until messages are queued, then removes them all and
// appends them to buf. It returns false once the queue is closed.
func (q *outQueue) waitAll(buf []byte) ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.msgs) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return buf, false
	}
	for len(q.msgs) > 0 {
		buf = append(buf, q.popLocked()...)
	}
	q.cond.Broadcast()
	return buf, true
}

// waitReplies blocks while maxPendingReplies replies are queued. It
// returns false once the queue is closed.
func (q *outQueue) waitReplies() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.replies >= maxPendingReplies && !q.closed {
		q.cond.Wait()
	}
	return !q.closed
}

// full reports whether maxPendingReplies replies are queued.
func (q *outQueue) full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.replies >= maxPendingReplies
}

// reset drops every queued message (reconnection).
func (q *outQueue) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs, q.replies, q.events = nil, 0, 0
	clear(q.pending)
	q.wake()
}

// close drops every queued message and wakes all waiters for good.
func (q *outQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.msgs, q.replies, q.events = nil, 0, 0
	clear(q.pending)
	q.wake()
}

// isClosed reports whether close was called.
func (q *outQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
