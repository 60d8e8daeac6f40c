package console

// Output fan-out: the history kept for late readers and the per-reader
// queues. Kept apart from backend.go (STYLE item 7 names three files per
// device) because it is neither ring protocol nor goroutine lifecycle:
// it is what xenconsoled's buffer and pty do for xl console.

// historyBuf keeps the last max bytes of output: it grows until it holds max
// bytes, then wraps.
//
// Locking: guarded by Backend.mu.
type historyBuf struct {
	max int    // capacity in bytes (> 0)
	buf []byte // len(buf) < max: the output so far; == max: a ring whose oldest byte is at pos
	pos int    // next byte to overwrite once full
}

func (h *historyBuf) write(p []byte) {
	if len(h.buf) < h.max {
		k := min(len(p), h.max-len(h.buf))
		h.buf = append(h.buf, p[:k]...)
		p = p[k:]
		h.pos = len(h.buf) % h.max
	}
	if len(p) == 0 {
		return
	}
	if len(p) > h.max {
		p = p[len(p)-h.max:]
	}
	k := copy(h.buf[h.pos:], p)
	copy(h.buf, p[k:])
	h.pos = (h.pos + len(p)) % h.max
}

// bytes returns a copy of the kept output, oldest first.
func (h *historyBuf) bytes() []byte {
	out := make([]byte, 0, len(h.buf))
	if len(h.buf) < h.max {
		return append(out, h.buf...)
	}
	out = append(out, h.buf[h.pos:]...)
	return append(out, h.buf[:h.pos]...)
}

// reader is one Subscribe caller. The serving goroutine appends output to
// pending (never blocking); the reader's pump goroutine hands pending to
// the channel as one slice that the reader then owns.
type reader struct {
	out  chan []byte   // the reader's channel; closed by pump only
	wake chan struct{} // cap 1: pending grew or ended was set
	quit chan struct{} // closed on cancel or drop: pump closes out at once

	// Guarded by Backend.mu.
	pending  []byte // output not yet taken by pump
	inflight int    // bytes pump took and has not yet delivered
	ended    bool   // the back end stopped: deliver pending, then close out
	gone     bool   // quit is closed
}

// Subscribe returns the output kept so far (up to HistoryBytes) and a
// channel of all later output, in order, without loss (a reader more than
// 1 MiB behind is dropped: its channel is closed and a log line says so;
// the guest is never blocked by readers). Each slice received is the
// reader's own. cancel stops delivery and closes the channel; call it when
// done reading. When the back end stops the channel delivers what was
// queued, then closes; after it stopped, Subscribe returns the history and
// a closed channel.
func (b *Backend) Subscribe() (history []byte, out <-chan []byte, cancel func()) {
	r := &reader{out: make(chan []byte), wake: make(chan struct{}, 1), quit: make(chan struct{})}
	b.mu.Lock()
	history = b.hist.bytes()
	if b.readers == nil {
		r.ended = true
	} else {
		b.readers[r] = true
	}
	b.mu.Unlock()
	go b.pump(r)
	return history, r.out, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.dropReader(r)
	}
}

// queue appends p to r's pending output, or drops r if that would put it
// more than maxReaderLagBytes behind; it reports whether r was kept.
//
// Locking: b.mu must be held.
func (b *Backend) queue(r *reader, p []byte) bool {
	if len(r.pending)+r.inflight+len(p) > maxReaderLagBytes {
		b.dropReader(r)
		return false
	}
	r.pending = append(r.pending, p...)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true
}

// dropReader forgets r and makes its pump close the channel now.
//
// Locking: b.mu must be held.
func (b *Backend) dropReader(r *reader) {
	if r.gone {
		return
	}
	r.gone = true
	r.pending = nil
	close(r.quit)
	delete(b.readers, r) // no-op once readers is nil
}

// endReader tells r's pump that no more output will come.
//
// Locking: b.mu must be held.
func (b *Backend) endReader(r *reader) {
	r.ended = true
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// pump delivers r's pending output to its channel until r is cancelled,
// dropped, or ended and drained.
func (b *Backend) pump(r *reader) {
	defer close(r.out)
	for {
		b.mu.Lock()
		buf := r.pending
		r.pending = nil
		r.inflight = len(buf)
		ended := r.ended
		b.mu.Unlock()
		if len(buf) == 0 {
			if ended {
				return
			}
			select {
			case <-r.wake:
			case <-r.quit:
				return
			}
			continue
		}
		select {
		case r.out <- buf:
		case <-r.quit:
			return
		}
		b.mu.Lock()
		r.inflight = 0
		b.mu.Unlock()
	}
}
