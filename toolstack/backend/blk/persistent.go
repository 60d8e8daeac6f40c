package blk

import "sync"

// DefaultMaxPersistentGrants is the persistent-grant limit when
// Config.MaxPersistentGrants is 0 (Linux blkback's max_persistent_grants
// default is 1056; each is one mapped 4 KiB page).
const DefaultMaxPersistentGrants = 1056

// grantCache keeps mappings of a front end's grefs across requests
// (feature-persistent, negotiated by both ends): a front end that
// supports it reuses a fixed pool of granted pages and copies data in and
// out, so the back end maps each gref once. Mappings are writable (the
// front end grants persistent pages read-write). Past the limit, grefs
// are mapped for one request as without persistent grants.
//
// Locking: mu guards pages; workers call get concurrently.
type grantCache struct {
	g     Grants
	dom   uint16
	max   int
	mu    sync.Mutex
	pages map[uint32]Page
}

func newGrantCache(g Grants, dom uint16, max int) *grantCache {
	if max <= 0 {
		max = DefaultMaxPersistentGrants
	}
	return &grantCache{g: g, dom: dom, max: max, pages: map[uint32]Page{}}
}

// get returns a mapping of ref and whether it is cached (the caller must
// not unmap a cached page).
func (c *grantCache) get(ref uint32, readonly bool) (Page, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pages[ref]; ok {
		return p, true, nil
	}
	if len(c.pages) >= c.max {
		p, err := c.g.Map(c.dom, ref, readonly)
		return p, false, err
	}
	p, err := c.g.Map(c.dom, ref, false)
	if err != nil && readonly {
		// Granted read-only (an indirect page, a write's data): map it
		// for this request only, as it cannot be kept writable.
		p, err = c.g.Map(c.dom, ref, true)
		return p, false, err
	}
	if err != nil {
		return nil, false, err
	}
	if len(p.Bytes()) < pageSize {
		return p, false, nil // the caller refuses it and unmaps it
	}
	c.pages[ref] = p
	return p, true, nil
}

// len is the number of cached mappings.
func (c *grantCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pages)
}

// release unmaps every cached page (the back end is stopping, no worker runs).
func (c *grantCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ref, p := range c.pages {
		p.Unmap()
		delete(c.pages, ref)
	}
}
