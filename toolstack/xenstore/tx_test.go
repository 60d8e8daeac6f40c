package xenstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

func TestTransactionCommitAndIsolation(t *testing.T) {
	s := newTestServer(t, Config{})
	a, b := s.testConn(t, 0), s.testConn(t, 0)
	b.watch("/t", "w")
	b.takeEvents()
	a.write("/t/old", "o")
	b.takeEvents()
	tx := startTx(t, a)
	a.ok(hypercall.XsWrite, tx, append(args("/t/new/deep"), "n"...))
	a.ok(hypercall.XsRm, tx, args("/t/old"))
	a.ok(hypercall.XsMkdir, tx, args("/t/dir"))
	a.ok(hypercall.XsSetPerms, tx, args("/t/dir", "n0", "r9"))
	// The transaction sees its changes, others do not, and no watch fired.
	if got := a.ok(hypercall.XsRead, tx, args("/t/new/deep")); got != "n" {
		t.Fatal(got)
	}
	a.fails("ENOENT", hypercall.XsRead, tx, args("/t/old"))
	if got := payloadStrings([]byte(a.ok(hypercall.XsDirectory, tx, args("/t")))); !slices.Equal(got, []string{"new", "dir"}) {
		t.Fatalf("tx directory %v", got)
	}
	b.fails("ENOENT", hypercall.XsRead, 0, args("/t/new/deep"))
	if got := b.read("/t/old"); got != "o" {
		t.Fatal(got)
	}
	b.expectEvents()
	a.ok(hypercall.XsTransactionEnd, tx, args("T"))
	// Committed, and the watches fired at commit, in order.
	if got := b.read("/t/new/deep"); got != "n" {
		t.Fatal(got)
	}
	b.fails("ENOENT", hypercall.XsRead, 0, args("/t/old"))
	if got := b.perms("/t/dir"); got != "n0,r9" {
		t.Fatal(got)
	}
	// (MKDIR and SET_PERMS of /t/dir queue identical events: coalesced.)
	b.expectEvents(WatchEvent{"/t/new/deep", "w"}, WatchEvent{"/t/old", "w"}, WatchEvent{"/t/dir", "w"})
	// The transaction is gone.
	a.fails("ENOENT", hypercall.XsRead, tx, args("/t"))
	a.fails("ENOENT", hypercall.XsTransactionEnd, tx, args("T"))
}

func TestTransactionAbort(t *testing.T) {
	s := newTestServer(t, Config{})
	a := s.testConn(t, 0)
	a.watch("/ab", "w")
	a.takeEvents()
	tx := startTx(t, a)
	a.ok(hypercall.XsWrite, tx, append(args("/ab/x"), "1"...))
	a.ok(hypercall.XsTransactionEnd, tx, args("F"))
	a.fails("ENOENT", hypercall.XsRead, 0, args("/ab/x"))
	a.expectEvents()
	a.fails("ENOENT", hypercall.XsTransactionEnd, tx, args("F"))
}

func TestTransactionConflicts(t *testing.T) {
	s := newTestServer(t, Config{})
	a, b := s.testConn(t, 0), s.testConn(t, 0)
	a.write("/c/k", "1")
	a.write("/c/other", "1")

	cases := []struct {
		name     string
		inTx     func(tx uint32) // what the transaction does
		outside  func()          // what another client does meanwhile
		conflict bool
	}{
		{"read then changed", func(tx uint32) { a.ok(hypercall.XsRead, tx, args("/c/k")) }, func() { b.write("/c/k", "2") }, true},
		{"written then changed", func(tx uint32) { a.ok(hypercall.XsWrite, tx, append(args("/c/k"), 'x')) }, func() { b.write("/c/k", "3") }, true},
		{"read missing then created", func(tx uint32) { a.fails("ENOENT", hypercall.XsRead, tx, args("/c/new")) }, func() { b.write("/c/new", "") }, true},
		{"read then removed", func(tx uint32) { a.ok(hypercall.XsRead, tx, args("/c/new")) }, func() { b.ok(hypercall.XsRm, 0, args("/c/new")) }, true},
		{"listed then child added", func(tx uint32) { a.ok(hypercall.XsDirectory, tx, args("/c")) }, func() { b.write("/c/added", "") }, true},
		{"created sibling concurrently", func(tx uint32) { a.ok(hypercall.XsWrite, tx, append(args("/c/mine"), 'x')) }, func() { b.write("/c/theirs", "") }, true},
		{"perms changed", func(tx uint32) { a.ok(hypercall.XsRead, tx, args("/c/k")) }, func() { b.setPerms("/c/k", "n0", "r1") }, true},
		{"rewrote a node, sibling added", func(tx uint32) { a.ok(hypercall.XsWrite, tx, append(args("/c/other"), 'y')) }, func() { b.write("/c/sibling", "") }, false},
		{"unrelated change", func(tx uint32) { a.ok(hypercall.XsRead, tx, args("/c/k")) }, func() { b.write("/elsewhere", "") }, false},
		{"child value changed", func(tx uint32) { a.ok(hypercall.XsDirectory, tx, args("/c")) }, func() { b.write("/c/other", "2") }, false},
		{"own change outside", func(tx uint32) { a.ok(hypercall.XsRead, tx, args("/c/k")) }, func() { a.write("/c/k", "4") }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.t, b.t = t, t
			tx := startTx(t, a)
			tc.inTx(tx)
			tc.outside()
			_, e := a.do(hypercall.XsTransactionEnd, tx, args("T"))
			if tc.conflict && e != "EAGAIN" {
				t.Fatalf("commit: %q, want EAGAIN", e)
			}
			if !tc.conflict && e != "" {
				t.Fatalf("commit: %s", e)
			}
			a.fails("ENOENT", hypercall.XsTransactionEnd, tx, args("F")) // gone either way
		})
	}
	// A failed commit changed nothing.
	a.t = t
	if got := a.read("/c/k"); got != "4" {
		t.Fatalf("after conflicts /c/k = %q", got)
	}
	a.fails("ENOENT", hypercall.XsRead, 0, args("/c/mine"))
}

// TestTransactionRetry is xenstore-write's loop: retry on EAGAIN.
func TestTransactionRetry(t *testing.T) {
	s := newTestServer(t, Config{})
	a, b := s.testConn(t, 0), s.testConn(t, 0)
	a.write("/n", "0")
	for i := range 5 {
		for attempt := 0; ; attempt++ {
			tx := startTx(t, a)
			v := a.ok(hypercall.XsRead, tx, args("/n"))
			if attempt == 0 {
				b.write("/n", v+"b") // interfere once per round
				v += "b"
			}
			a.ok(hypercall.XsWrite, tx, append(args("/n"), fmt.Sprint(v, i)...))
			if _, e := a.do(hypercall.XsTransactionEnd, tx, args("T")); e == "" {
				break
			} else if e != "EAGAIN" || attempt > 2 {
				t.Fatalf("round %d attempt %d: %s", i, attempt, e)
			}
		}
	}
	if got := a.read("/n"); got != "0b0b1b2b3b4" {
		t.Fatalf("/n = %q", got)
	}
}

func TestTransactionPermissionsAndReset(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/5"))
	d0.setPerms("/local/domain/5", "n5")
	d5 := s.testConn(t, 5)
	tx := startTx(t, d5)
	d5.ok(hypercall.XsWrite, tx, append(args("mine"), 'x'))
	d5.fails("EACCES", hypercall.XsWrite, tx, append(args("/local/domain/0/x"), 'x'))
	// Transaction ids are per connection.
	d0.fails("ENOENT", hypercall.XsRead, tx, args("/"))
	d5.ok(hypercall.XsResetWatches, 0, args(""))
	d5.fails("ENOENT", hypercall.XsTransactionEnd, tx, args("T"))
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/5/mine"))
}

func TestTransactionQuota(t *testing.T) {
	s := newTestServer(t, Config{})
	d5, d0 := s.testConn(t, 5), s.testConn(t, 0)
	var txs []uint32
	for range DefaultQuota().Transactions {
		txs = append(txs, startTx(t, d5))
	}
	d5.fails("ENOSPC", hypercall.XsTransactionStart, 0, args(""))
	d5.ok(hypercall.XsTransactionEnd, txs[0], args("F"))
	startTx(t, d5)
	for range 50 {
		startTx(t, d0) // dom0 is exempt
	}
}

func TestQuotas(t *testing.T) {
	s := newTestServer(t, Config{Quota: Quota{Nodes: 20, NodeSize: 100, Watches: 3, Perms: 3}})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/5"))
	d0.setPerms("/local/domain/5", "n5")
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/6"))
	d0.setPerms("/local/domain/6", "n6")
	d5 := s.testConn(t, 5)
	// Nodes: the home counts (owned by 5), so 19 more; implicit parents count.
	d5.write("a/b", "") // 2 nodes
	for i := range 17 {
		d5.write(fmt.Sprint("n", i), "")
	}
	d5.fails("ENOSPC", hypercall.XsWrite, 0, append(args("one-too-many"), 'x'))
	d5.fails("ENOSPC", hypercall.XsMkdir, 0, args("one-too-many"))
	// Freed by RM.
	d5.ok(hypercall.XsRm, 0, args("a"))
	d5.write("x/y", "")
	d5.fails("ENOSPC", hypercall.XsWrite, 0, append(args("z"), 'x'))
	// Inside a transaction, too, and at commit.
	tx := startTx(t, d5)
	d5.fails("ENOSPC", hypercall.XsWrite, tx, append(args("z"), 'x'))
	d5.ok(hypercall.XsTransactionEnd, tx, args("F"))
	// Node size: value plus permission strings ("n5" = 3 bytes).
	d6 := s.testConn(t, 6)
	d6.write("big", strings.Repeat("v", 97))
	d6.fails("ENOSPC", hypercall.XsWrite, 0, append(args("big"), strings.Repeat("v", 98)...))
	d6.fails("ENOSPC", hypercall.XsWrite, 0, append(args("big2"), strings.Repeat("v", 98)...))
	d6.fails("ENOSPC", hypercall.XsSetPerms, 0, args("big", "n6", "r1000"))
	// Permission entries per node.
	d6.setPerms("/local/domain/6", "n6", "r1", "r2")
	d6.fails("ENOSPC", hypercall.XsSetPerms, 0, args("/local/domain/6", "n6", "r1", "r2", "r3"))
	// Watches: E2BIG, as C xenstored.
	for i := range 3 {
		d6.watch(fmt.Sprint("w", i), "t")
	}
	d6.fails("E2BIG", hypercall.XsWatch, 0, args("w3", "t"))
	// Dom0 is exempt from all of them.
	for i := range 30 {
		d0.write(fmt.Sprint("/dom0/", i), strings.Repeat("v", 200))
		d0.watch(fmt.Sprint("/dom0/", i), "t")
	}
	d0.setPerms("/dom0/0", "n0", "r1", "r2", "r3", "r4", "r5", "r6", "r7")
	// Nodes a domain creates in a dom0 directory it may write count
	// for it too.
	d0.ok(hypercall.XsMkdir, 0, args("/pub"))
	d0.setPerms("/pub", "b0")
	d6.write("/pub/x", "")
	if got := d0.perms("/pub/x"); got != "b6" {
		t.Fatal(got)
	}
	s.mu.Lock()
	owned := s.st.owned[6]
	s.mu.Unlock()
	if owned != 3 { // home, big, /pub/x (watches are not nodes)
		t.Fatalf("domain 6 owns %d nodes", owned)
	}
}
