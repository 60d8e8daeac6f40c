package xenstore

import "github.com/xenolith/xenolith/hypercall"

// transaction is one open transaction of a connection (C's struct
// transaction). It is optimistic, as C xenstored's: reads and writes go
// to an overlay over the committed tree; the first access of each path
// records the committed generation it saw; TRANSACTION_END "T" commits
// only if every recorded generation is still current (a node created,
// changed or removed since is a conflict: EAGAIN). Guarded by Server.mu.
type transaction struct {
	id         uint32
	accessed   map[string]uint64 // path -> committed generation at first access (0: absent)
	overlay    map[string]*node  // nodes written by the transaction; nil = removed
	ownedDelta map[uint16]int    // change of owned-node counts per domain
	events     []event           // watch events, fired at commit
	created    bool              // the transaction created nodes (quota recheck at commit)
}

func newTransaction(id uint32) *transaction {
	return &transaction{
		id:         id,
		accessed:   make(map[string]uint64),
		overlay:    make(map[string]*node),
		ownedDelta: make(map[uint16]int),
	}
}

// startTransaction opens a transaction for c (TRANSACTION_START). An
// unprivileged connection may hold Quota.Transactions at once (ENOSPC).
func (s *Server) startTransaction(c *conn) (*transaction, error) {
	if !c.privileged() && len(c.txs) >= s.cfg.Quota.Transactions {
		return nil, hypercall.ENOSPC
	}
	// Pick an unused id; 0 means "no transaction".
	for {
		c.nextTx++
		if _, used := c.txs[c.nextTx]; c.nextTx != 0 && !used {
			break
		}
	}
	tx := newTransaction(c.nextTx)
	c.txs[tx.id] = tx
	return tx, nil
}

// commit applies tx to the committed tree and fires its watch events, or
// fails with EAGAIN if another change touched a node tx accessed, or
// ENOSPC if the nodes tx created no longer fit c's quota. The caller has
// removed tx from c.
func (s *Server) commit(c *conn, tx *transaction) error {
	for p, gen := range tx.accessed {
		if genOf(s.st.nodes[p]) != gen {
			return hypercall.EAGAIN
		}
	}
	if tx.created && !c.privileged() && s.st.owned[c.domid]+tx.ownedDelta[c.domid] > s.cfg.Quota.Nodes {
		return hypercall.ENOSPC
	}
	v := view{st: s.st}
	for p, n := range tx.overlay {
		if n == nil && v.get(p) == nil {
			continue // created and removed inside the transaction
		}
		v.put(p, n) // restamps n: the transaction is gone

	}
	for _, ev := range tx.events {
		s.fire(ev)
	}
	return nil
}
