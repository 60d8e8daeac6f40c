package domains

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/hypervisor"
)

// maxDomID is the highest domid for a real domain (DOMID_FIRST_RESERVED - 1).
const maxDomID = hypercall.DomidFirstReserved - 1

// Registry owns every domain of this process and their domids, so that
// event channels (and later grants) can connect them. Domain 0 is created
// with the registry: a domain without vCPUs whose event-channel ports
// deliver to Go callbacks (the dom0 services).
type Registry struct {
	host *Host
	log  *slog.Logger

	mu   sync.RWMutex // guards doms and next
	doms map[uint16]*Domain
	next uint16
	dom0 *Domain
}

// NewRegistry creates a registry on host with dom0 in it. host may be nil
// for registries that only hold dom0 (tests of the dom0 API).
func NewRegistry(host *Host, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{host: host, log: log, doms: map[uint16]*Domain{}, next: 1}
	r.dom0 = newDom0(r)
	r.doms[0] = r.dom0
	return r
}

// Close destroys every domain and releases dom0's memory and grant table.
func (r *Registry) Close() {
	for _, d := range r.Domains() {
		if d != nil && d.ID != 0 {
			d.Destroy()
		}
	}
	r.dom0.releaseMappings()
	r.dom0.gnt.release()
	r.dom0.mem.Close()
}

// Dom0 returns domain 0.
func (r *Registry) Dom0() *Domain { return r.dom0 }

// Lookup returns the live domain with id.
func (r *Registry) Lookup(id uint16) (*Domain, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.doms[id]
	return d, ok
}

// Domains returns the live domains, dom0 included.
func (r *Registry) Domains() []*Domain {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Domain, 0, len(r.doms))
	for _, d := range r.doms {
		out = append(out, d)
	}
	return out
}

// Create builds a new domain from cfg with the next free domid. It starts
// Paused; Unpause runs it.
func (r *Registry) Create(cfg Config) (*Domain, error) {
	if r.host == nil {
		return nil, fmt.Errorf("domains: registry has no host to build domains on")
	}
	id, err := r.reserve()
	if err != nil {
		return nil, err
	}
	d, err := build(r, id, cfg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		delete(r.doms, id)
		return nil, err
	}
	r.doms[id] = d
	return d, nil
}

// reserve picks the next free domid (wrapping, as Xen's allocator does) and
// holds its slot until Create fills it.
func (r *Registry) reserve() (uint16, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range maxDomID {
		id := r.next
		r.next++
		if r.next > maxDomID {
			r.next = 1
		}
		if _, taken := r.doms[id]; !taken {
			r.doms[id] = nil
			return id, nil
		}
	}
	return 0, fmt.Errorf("domains: no free domid (%d domains)", maxDomID)
}

func (r *Registry) remove(d *Domain) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.doms[d.ID] == d {
		delete(r.doms, d.ID)
	}
}

// Dom0PoolPages is the size of dom0's page pool: memory the dom0 services
// own and may grant to guests (AllocDom0Page).
const Dom0PoolPages = 1024

// newDom0 makes domain 0: no VM, no vCPUs, ports delivering to callbacks,
// a grant table and a pool of pages it can grant.
func newDom0(r *Registry) *Domain {
	d := &Domain{ID: 0, Name: "Domain-0", reg: r, log: r.log.With("domid", 0), state: Running}
	d.cond = sync.NewCond(&d.mu)
	d.cfg.Console = io.Discard
	d.evtchn.init(DefaultMaxPorts, 0)
	d.mem = hypervisor.NewDetachedMemory()
	d.ramBytes = Dom0PoolPages * PageSize
	if _, err := d.mem.AddRegion("d0-pool", 0, d.ramBytes); err != nil {
		panic(fmt.Sprintf("domains: dom0 page pool: %v", err)) // host out of memory at start
	}
	if err := d.gnt.init("d0", DefaultMaxGrantFrames, DefaultMaxMaptrack); err != nil {
		panic(fmt.Sprintf("domains: dom0 grant table: %v", err))
	}
	return d
}

// AllocDom0Page hands out a page of dom0's pool: its frame number (for
// GrantAccess) and its bytes. Pages are not returned to the pool.
func (d *Domain) AllocDom0Page() (gfn uint64, page []byte, err error) {
	if d.ID != 0 {
		return 0, nil, fmt.Errorf("domains: AllocDom0Page on domain %d", d.ID)
	}
	d.mu.Lock()
	gfn = d.poolNext
	if gfn >= Dom0PoolPages {
		d.mu.Unlock()
		return 0, nil, fmt.Errorf("domains: dom0 page pool (%d pages) exhausted", Dom0PoolPages)
	}
	d.poolNext++
	d.mu.Unlock()
	page, err = d.mem.Slice(gfn*PageSize, PageSize)
	return gfn, page, err
}
