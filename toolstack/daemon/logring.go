package daemon

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"
)

// DefaultLogLines is how many log lines a LogRing keeps.
const DefaultLogLines = 1000

// maxLogLineBytes cuts a single log line (a guest-chosen string in it
// cannot make the ring large).
const maxLogLineBytes = 4096

// LogRing keeps the daemon's last log lines for `xenolith dmesg`, as
// Xen's console ring keeps the hypervisor's. It is an io.Writer of text
// lines (slog's TextHandler output).
type LogRing struct {
	mu      sync.Mutex
	lines   []string // guarded by mu; a circular buffer once full
	next    int      // guarded by mu: where the next line goes once full
	max     int
	partial []byte // guarded by mu: a line not yet ended by '\n'
}

// NewLogRing returns a ring keeping the last n lines (n <= 0: DefaultLogLines).
func NewLogRing(n int) *LogRing {
	if n <= 0 {
		n = DefaultLogLines
	}
	return &LogRing{max: n}
}

// Write adds the complete lines in p (a trailing partial line waits for
// its end).
func (r *LogRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(r.partial) < maxLogLineBytes {
				r.partial = append(r.partial, p[:min(len(p), maxLogLineBytes-len(r.partial))]...)
			}
			break
		}
		line := append(r.partial, p[:i]...)
		r.partial = nil
		if len(line) > maxLogLineBytes {
			line = line[:maxLogLineBytes]
		}
		r.add(string(line))
		p = p[i+1:]
	}
	return n, nil
}

func (r *LogRing) add(line string) {
	if len(r.lines) < r.max {
		r.lines = append(r.lines, line)
		return
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % r.max
}

// Lines returns the kept lines, oldest first.
func (r *LogRing) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.lines))
	out = append(out, r.lines[r.next:]...)
	return append(out, r.lines[:r.next]...)
}

// NewLogger returns a logger writing text to stderr at level and to ring
// at level or Info, whichever is lower (dmesg always has the lifecycle
// events).
func NewLogger(stderr io.Writer, level slog.Level, ring *LogRing) *slog.Logger {
	hs := fanout{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})}
	if ring != nil {
		hs = append(hs, slog.NewTextHandler(ring, &slog.HandlerOptions{Level: min(level, slog.LevelInfo)}))
	}
	return slog.New(hs)
}

// fanout sends each record to every handler that wants it.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
