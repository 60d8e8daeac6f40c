package blk

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xenolith/xenolith/hypercall"
)

// Page is a mapped grant: the daemon implements it with
// *domains.GrantMapping (Bytes, Unmap).
type Page interface {
	Bytes() []byte // the 4096-byte frame
	Unmap()
}

// Grants maps a front end's grant refs into the back end. The daemon
// implements it over dom0: Map = reg.Dom0().MapGrant(dom, ref, readonly)
// (a *domains.GrantMapping is a Page; a GrantError becomes an error
// response, never a crash). Tests use a fake grant table.
type Grants interface {
	Map(dom uint16, ref uint32, readonly bool) (Page, error)
}

// Channel is the device's event channel as dom0 sees it: the daemon binds
// the front end's event-channel with Dom0.EvtchnBindInterdomain, sends with
// EvtchnSend and delivers Dom0Handle callbacks to Kicks (coalesced).
type Channel interface {
	Notify() error
	Kicks() <-chan struct{}
	Close() error
}

// File is the backing image: an *os.File on a raw image or a block
// device. Discard works when it also has Fd() (fallocate PUNCH_HOLE).
type File interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// Config describes one vbd back end with a connected ring.
type Config struct {
	Domid    uint16 // the front end's domain
	DevID    uint32 // virtual-device
	File     File
	Sectors  uint64 // disk size in 512-byte sectors
	ReadOnly bool   // access=ro: writes, barriers and discards are refused
	Discard  bool   // punch holes for DISCARD (File must have Fd)
	// MaxIndirectSegments is feature-max-indirect-segments: 0 means
	// DefaultIndirectSegments, negative means no indirect requests.
	MaxIndirectSegments int
	Workers             int // concurrent requests (0 = 8)
	// Persistent: both ends offered feature-persistent; grant mappings
	// are kept across requests, up to MaxPersistentGrants (0 = default).
	Persistent          bool
	MaxPersistentGrants int
	Grants              Grants
	Ring                Page    // the mapped sring page (ring-ref)
	Channel             Channel // bound event-channel
	Log                 *slog.Logger
}

const (
	defaultWorkers = 8
	pollInterval   = 100 * time.Millisecond // bounds the delay of a lost kick
	logBurst       = 10                     // refusal log lines per logWindow
	logWindow      = time.Second
)

// Backend serves one vbd ring. One goroutine (run) owns the ring: it
// copies requests out, hands them to a worker pool, collects completions
// in batches, pushes responses and notifies when rsp_event asks. Flushes
// and barriers wait for the requests before them.
type Backend struct {
	cfg   Config
	d     disk
	log   *slog.Logger
	ring  *ring
	work  chan *job
	dones chan *job

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	err      error // set before done is closed

	lim rateLimit
	pc  *grantCache // nil without persistent grants
}

// job is one request in flight.
type job struct {
	q      request
	status int16
}

// New validates cfg and starts serving. On success the back end owns
// cfg.Ring and cfg.Channel and closes them when it stops; on error the
// caller still owns them. cfg.File stays the caller's.
func New(cfg Config) (*Backend, error) {
	if cfg.File == nil || cfg.Grants == nil || cfg.Ring == nil || cfg.Channel == nil {
		return nil, fmt.Errorf("blk: domain %d vbd %d: incomplete config", cfg.Domid, cfg.DevID)
	}
	rg, err := newRing(cfg.Ring.Bytes())
	if err != nil {
		return nil, fmt.Errorf("blk: domain %d vbd %d: %w", cfg.Domid, cfg.DevID, err)
	}
	maxInd := cfg.MaxIndirectSegments
	switch {
	case maxInd == 0:
		maxInd = DefaultIndirectSegments
	case maxInd < 0:
		maxInd = 0
	case maxInd > MaxIndirectSegments:
		return nil, fmt.Errorf("blk: domain %d vbd %d: MaxIndirectSegments %d > %d", cfg.Domid, cfg.DevID, maxInd, MaxIndirectSegments)
	}
	if cfg.Discard {
		if _, ok := cfg.File.(interface{ Fd() uintptr }); !ok {
			cfg.Discard = false
		}
	}
	w := cfg.Workers
	if w <= 0 {
		w = defaultWorkers
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	b := &Backend{
		cfg:   cfg,
		d:     disk{sectors: cfg.Sectors, readOnly: cfg.ReadOnly, discard: cfg.Discard, maxIndirect: maxInd},
		log:   log.With("domid", cfg.Domid, "vbd", cfg.DevID),
		ring:  rg,
		work:  make(chan *job, ringSize),
		dones: make(chan *job, ringSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if cfg.Persistent {
		b.pc = newGrantCache(cfg.Grants, cfg.Domid, cfg.MaxPersistentGrants)
	}
	for range w {
		go b.worker()
	}
	go b.run()
	return b, nil
}

// Close stops the back end, waits for in-flight requests, unmaps the ring
// and closes the channel. It returns the error that stopped the device
// early (a hostile front end), if any.
func (b *Backend) Close() error {
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.done
	return b.err
}

// Done is closed when the back end has stopped (Close, or a front-end
// protocol error; Err then says which).
func (b *Backend) Done() <-chan struct{} { return b.done }

// Err is the protocol error that stopped the device, once Done is closed.
func (b *Backend) Err() error {
	select {
	case <-b.done:
		return b.err
	default:
		return nil
	}
}

// run is the ring loop.
func (b *Backend) run() {
	inflight := 0
	defer func() {
		if p := recover(); p != nil { // a broken invariant, never guest input
			b.err = fmt.Errorf("blk: panic: %v", p)
			b.log.Error("blk: panic serving the ring, device stopped", "panic", p, "stack", string(debug.Stack()))
		}
		for ; inflight > 0; inflight-- { // workers touch grants and the file, not the ring
			<-b.dones
		}
		close(b.work)
		if b.pc != nil {
			b.pc.release()
		}
		b.cfg.Ring.Unmap()
		if err := b.cfg.Channel.Close(); err != nil {
			b.log.Warn("blk: closing event channel", "err", err)
		}
		close(b.done)
	}()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var raw [slotSize]byte
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		n, err := b.ring.finalCheck()
		if err != nil {
			b.err = fmt.Errorf("blk: domain %d vbd %d: %w", b.cfg.Domid, b.cfg.DevID, err)
			b.log.Error("blk: hostile front end, device stopped", "err", err)
			return
		}
		for range n {
			b.ring.take(&raw)
			j := &job{q: decodeRequest(&raw)}
			if e := validate(&j.q, b.d); e != nil {
				b.refused(&j.q, e)
				b.ring.put(j.q.id, j.q.rspOp(), e.status)
				continue
			}
			if j.q.op == hypercall.BlkifOpFlushDiskcache || j.q.op == hypercall.BlkifOpWriteBarrier {
				// Order: everything before the flush completes first.
				for ; inflight > 0; inflight-- {
					b.complete(<-b.dones)
				}
				b.flushResponses() // answer what came before while the sync runs
				b.execute(j)
				b.ring.put(j.q.id, j.q.rspOp(), j.status)
				continue
			}
			inflight++
			b.work <- j
		}
		b.flushResponses()
		if n > 0 {
			continue
		}
		select {
		case <-b.stop:
			return
		case <-b.cfg.Channel.Kicks():
		case <-tick.C:
		case j := <-b.dones:
			inflight--
			b.complete(j)
		batch:
			for inflight > 0 {
				select {
				case j := <-b.dones:
					inflight--
					b.complete(j)
				default:
					break batch
				}
			}
			b.flushResponses()
		}
	}
}

func (b *Backend) complete(j *job) { b.ring.put(j.q.id, j.q.rspOp(), j.status) }

// flushResponses pushes written responses and notifies if asked.
func (b *Backend) flushResponses() {
	if b.ring.push() {
		if err := b.cfg.Channel.Notify(); err != nil {
			b.log.Warn("blk: notify", "err", err)
		}
	}
}

func (b *Backend) worker() {
	for j := range b.work {
		b.execute(j)
		b.dones <- j
	}
}

// execute performs a validated request and sets j.status.
func (b *Backend) execute(j *job) {
	q := &j.q
	var err error
	switch q.op {
	case hypercall.BlkifOpFlushDiskcache:
		err = b.cfg.File.Sync()
	case hypercall.BlkifOpWriteBarrier:
		if err = b.cfg.File.Sync(); err == nil {
			err = b.cfg.File.Sync()
		}
	case hypercall.BlkifOpDiscard:
		err = b.punch(int64(q.sector)*sectorSize, int64(q.nrDisc)*sectorSize)
	default:
		err = b.rw(q)
	}
	j.status = hypercall.BlkifRspOkay
	if err != nil {
		var re *reqError
		if errors.As(err, &re) {
			j.status = re.status
			b.refused(q, re)
		} else {
			j.status = hypercall.BlkifRspError
			b.logLimited("blk: I/O error", "op", q.op, "id", q.id, "sector", q.sector, "err", err)
		}
	}
}

func (b *Backend) punch(off, n int64) error {
	if n == 0 {
		return nil
	}
	f := b.cfg.File.(interface{ Fd() uintptr })
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
}

// rw performs a READ or WRITE (direct or indirect).
func (b *Backend) rw(q *request) error {
	segs := q.segs[:]
	if q.op == hypercall.BlkifOpIndirect {
		var err error
		if segs, err = b.indirectSegments(q); err != nil {
			return err
		}
	} else {
		segs = segs[:q.nrSegs]
	}
	if e := checkSegments(segs, q.sector, b.d); e != nil {
		return e
	}
	write := q.rwOp == hypercall.BlkifOpWrite
	var total int
	for _, s := range segs {
		total += int(s.last-s.first+1) * sectorSize
	}
	buf := make([]byte, total)
	pages := make([]Page, len(segs))
	owned := make([]bool, len(segs)) // mapped for this request only: unmap after
	defer func() {
		for i, p := range pages {
			if p != nil && owned[i] {
				p.Unmap()
			}
		}
	}()
	for i, s := range segs {
		p, cached, err := b.mapGrant(s.gref, write) // a write only reads guest memory
		if err != nil {
			return refuse("segment %d: map gref %d: %v", i, s.gref, err)
		}
		if len(p.Bytes()) < pageSize {
			if !cached {
				p.Unmap()
			}
			return refuse("segment %d: gref %d maps %d bytes", i, s.gref, len(p.Bytes()))
		}
		pages[i], owned[i] = p, !cached
	}
	off := int64(q.sector) * sectorSize
	if write {
		pos := 0
		for i, s := range segs {
			pos += copy(buf[pos:], pages[i].Bytes()[int(s.first)*sectorSize:(int(s.last)+1)*sectorSize])
		}
		_, err := b.cfg.File.WriteAt(buf, off)
		return err
	}
	n, err := b.cfg.File.ReadAt(buf, off)
	if n < len(buf) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	pos := 0
	for i, s := range segs {
		pos += copy(pages[i].Bytes()[int(s.first)*sectorSize:(int(s.last)+1)*sectorSize], buf[pos:])
	}
	return nil
}

// indirectSegments maps the indirect pages of q and copies its segments
// out of them (private copy before validation).
func (b *Backend) indirectSegments(q *request) ([]segment, error) {
	segs := make([]segment, q.nrSegs)
	for i := range indirectPages(q.nrSegs) {
		p, cached, err := b.mapGrant(q.indirect[i], true)
		if err != nil {
			return nil, refuse("indirect page %d: map gref %d: %v", i, q.indirect[i], err)
		}
		raw := p.Bytes()
		if len(raw) < pageSize {
			if !cached {
				p.Unmap()
			}
			return nil, refuse("indirect page %d: gref %d maps %d bytes", i, q.indirect[i], len(raw))
		}
		lo := i * segsPerIndirect
		hi := min(lo+segsPerIndirect, q.nrSegs)
		var priv [pageSize]byte
		copy(priv[:], raw[:pageSize])
		if !cached {
			p.Unmap()
		}
		decodeSegments(segs[lo:hi], priv[:])
	}
	return segs, nil
}

// mapGrant maps ref for one request, or returns its persistent mapping
// (cached = true: do not unmap).
func (b *Backend) mapGrant(ref uint32, readonly bool) (Page, bool, error) {
	if b.pc != nil {
		return b.pc.get(ref, readonly)
	}
	p, err := b.cfg.Grants.Map(b.cfg.Domid, ref, readonly)
	return p, false, err
}

// refused logs a refused request (rate-limited).
func (b *Backend) refused(q *request, e *reqError) {
	b.logLimited("blk: request refused", "op", q.op, "id", q.id, "sector", q.sector, "status", e.status, "reason", e.msg)
}

func (b *Backend) logLimited(msg string, args ...any) {
	if ok, dropped := b.lim.allow(time.Now()); ok {
		if dropped > 0 {
			args = append(args, "suppressed", dropped)
		}
		b.log.Warn(msg, args...)
	}
}

// rateLimit allows logBurst events per logWindow and counts the rest.
type rateLimit struct {
	mu      sync.Mutex
	start   time.Time
	n       int
	dropped int
}

func (r *rateLimit) allow(now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.start) >= logWindow {
		r.start, r.n = now, 0
	}
	if r.n >= logBurst {
		r.dropped++
		return false, 0
	}
	r.n++
	d := r.dropped
	r.dropped = 0
	return true, d
}

// OpenImage opens a raw image or block device for a vbd and returns it
// with its size in sectors and whether it can punch holes (a regular
// file: feature-discard).
func OpenImage(path string, readOnly bool) (f *os.File, sectors uint64, discard bool, err error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err = os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, 0, false, fmt.Errorf("blk: open image: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false, fmt.Errorf("blk: stat image: %w", err)
	}
	var size int64
	if st.Mode().IsRegular() {
		size = st.Size()
		discard = !readOnly
	} else {
		size, err = f.Seek(0, io.SeekEnd)
		if err != nil {
			f.Close()
			return nil, 0, false, fmt.Errorf("blk: size of %s: %w", path, err)
		}
	}
	return f, uint64(size) / sectorSize, discard, nil
}
