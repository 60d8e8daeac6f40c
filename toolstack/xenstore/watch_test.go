package xenstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

func TestWatchSubtree(t *testing.T) {
	s := newTestServer(t, Config{})
	d0, w := s.testConn(t, 0), s.testConn(t, 0)
	w.watch("/a", "ta")
	w.expectEvents(WatchEvent{"/a", "ta"}) // the initial event, even for a missing node
	w.watch("/a/b", "tb")
	w.watch("/", "root")
	w.takeEvents()

	d0.write("/a/b/c", "1") // creates /a, /a/b: one event per watch, for the node written
	w.expectEvents(WatchEvent{"/a/b/c", "ta"}, WatchEvent{"/a/b/c", "tb"}, WatchEvent{"/a/b/c", "root"})
	d0.write("/a/x", "1")
	w.expectEvents(WatchEvent{"/a/x", "ta"}, WatchEvent{"/a/x", "root"})
	d0.write("/ab", "1") // not below /a
	w.expectEvents(WatchEvent{"/ab", "root"})
	d0.ok(hypercall.XsMkdir, 0, args("/a/b")) // exists: no event
	w.expectEvents()
	d0.setPerms("/a/x", "n0", "r3")
	w.expectEvents(WatchEvent{"/a/x", "ta"}, WatchEvent{"/a/x", "root"})

	// RM fires for the removed node on it and above, and "exactly" on
	// each removed descendant.
	w.watch("/a/b/c", "tc")
	w.watch("/a/b/c/nope", "tnope")
	w.takeEvents()
	d0.ok(hypercall.XsRm, 0, args("/a/b"))
	w.expectEvents(WatchEvent{"/a/b/c", "tc"}, WatchEvent{"/a/b", "ta"}, WatchEvent{"/a/b", "tb"}, WatchEvent{"/a/b", "root"})

	// UNWATCH stops events; the same path with two tokens fires twice.
	w.ok(hypercall.XsUnwatch, 0, args("/", "root"))
	w.watch("/a", "ta2")
	w.takeEvents()
	d0.write("/a/y", "")
	w.expectEvents(WatchEvent{"/a/y", "ta"}, WatchEvent{"/a/y", "ta2"})
	w.fails("EEXIST", hypercall.XsWatch, 0, args("/a", "ta"))

	// RESET_WATCHES drops them all.
	w.ok(hypercall.XsResetWatches, 0, args(""))
	d0.write("/a/z", "")
	w.expectEvents()
}

func TestWatchRelative(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/5"))
	d0.setPerms("/local/domain/5", "n5")
	d0.write("/local/domain/5/device/vif/0/state", "1")
	d5 := s.testConn(t, 5)
	d5.watch("device", "dev")
	d5.expectEvents(WatchEvent{"device", "dev"})
	d0.write("/local/domain/5/device/vif/0/state", "2")
	d5.expectEvents(WatchEvent{"device/vif/0/state", "dev"})
	d5.watch("/local/domain/5/device", "abs")
	d5.takeEvents()
	d0.write("/local/domain/5/device/x", "")
	d5.expectEvents(WatchEvent{"device/x", "dev"}, WatchEvent{"/local/domain/5/device/x", "abs"})
	// Relative UNWATCH names the same watch.
	d5.ok(hypercall.XsUnwatch, 0, args("device", "dev"))
	d5.fails("ENOENT", hypercall.XsUnwatch, 0, args("device", "dev"))
	// Dom0's relative watches are below /local/domain/0.
	d0.watch("rel", "r")
	d0.expectEvents(WatchEvent{"rel", "r"})
	d0.write("/local/domain/0/rel/k", "")
	d0.expectEvents(WatchEvent{"rel/k", "r"})
}

func TestWatchPermissions(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.write("/local/domain/5/pub", "")
	d0.write("/local/domain/5/secret", "")
	d0.setPerms("/local/domain/5", "n0", "r5")
	d0.setPerms("/local/domain/5/pub", "n0", "r5")
	d0.setPerms("/local/domain/5/secret", "n0")
	d5 := s.testConn(t, 5)
	// Xenolith: watching an existing node one may not read is refused.
	d5.fails("EACCES", hypercall.XsWatch, 0, args("/local/domain/5/secret", "s"))
	d5.fails("EACCES", hypercall.XsWatch, 0, args("/tool", "s"))
	// A missing node may be watched (its future permissions decide).
	d5.watch("/local/domain/5", "home")
	d5.watch("/local/domain/6", "other")
	d5.takeEvents()
	// Events only for nodes it may read, or whose parent it may read.
	d0.write("/local/domain/5/pub", "x")
	d5.expectEvents(WatchEvent{"/local/domain/5/pub", "home"})
	d0.write("/local/domain/5/secret", "x") // parent readable: the name is no secret
	d5.expectEvents(WatchEvent{"/local/domain/5/secret", "home"})
	d0.write("/local/domain/5/secret/deeper", "x") // neither node nor parent readable
	d5.expectEvents()
	d0.write("/local/domain/6/x", "")
	d5.expectEvents()
	// Losing read access is heard of (old permissions count).
	d0.setPerms("/local/domain/5/pub", "n0")
	d0.setPerms("/local/domain/5", "n0")
	d5.expectEvents(WatchEvent{"/local/domain/5/pub", "home"}, WatchEvent{"/local/domain/5", "home"})
	d0.write("/local/domain/5/pub", "y")
	d5.expectEvents()
}

func TestWatchSpecial(t *testing.T) {
	s := newTestServer(t, Config{})
	d0, d5 := s.testConn(t, 0), s.testConn(t, 5)
	d0.watch(IntroduceDomainPath, "i")
	d0.watch(ReleaseDomainPath, "r")
	d0.watch("/", "root") // special events do not reach ordinary watches
	d5.watch(ReleaseDomainPath, "r5")
	d0.takeEvents()
	d5.expectEvents(WatchEvent{ReleaseDomainPath, "r5"})
	introduceGuest(t, s, 7)
	d0.expectEvents(WatchEvent{IntroduceDomainPath, "i"})
	if err := s.Release(7); err != nil {
		t.Fatal(err)
	}
	d0.expectEvents(WatchEvent{ReleaseDomainPath, "r"})
	d5.expectEvents() // @releaseDomain is "n0": not for domU 5
	d0.setPerms(ReleaseDomainPath, "n0", "r5")
	if got := d0.perms(ReleaseDomainPath); got != "n0,r5" {
		t.Fatal(got)
	}
	introduceGuest(t, s, 7)
	s.DomainDied(7)
	d5.expectEvents(WatchEvent{ReleaseDomainPath, "r5"})
	d5.fails("EACCES", hypercall.XsSetPerms, 0, args(ReleaseDomainPath, "n5"))
	d5.fails("EACCES", hypercall.XsGetPerms, 0, args(IntroduceDomainPath))
	// Other @ paths may be watched and never fire; they have no perms.
	d0.watch("@other", "o")
	d0.fails("ENOENT", hypercall.XsGetPerms, 0, args("@other"))
}

func TestWatchLongEventsAndTokens(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	long := "/" + strings.Repeat("p", 3000)
	d0.watch(long, strings.Repeat("t", 1000)) // event payload 4002 bytes: fine
	if ev := d0.takeEvents(); len(ev) != 1 {
		t.Fatalf("events %d", len(ev))
	}
	d0.watch(long, strings.Repeat("t", 1200)) // event over 4096: not sent, as C
	d0.expectEvents()
}

// TestWatchQueueBound: a client that does not read its events is dropped,
// and the writer is not blocked.
func TestWatchQueueBound(t *testing.T) {
	s := newTestServer(t, Config{MaxQueuedEvents: 50})
	d0, slow := s.testConn(t, 0), s.testConn(t, 0)
	slow.watch("/busy", "b")
	for i := range 200 {
		d0.write(fmt.Sprintf("/busy/%d", i), "x") // distinct paths: no dedupe
	}
	s.mu.Lock()
	dropped := slow.c.dropped
	s.mu.Unlock()
	if !dropped {
		t.Fatal("slow client not dropped")
	}
	// Identical pending events are coalesced, as C xenstored.
	s2 := newTestServer(t, Config{MaxQueuedEvents: 5})
	w := s2.testConn(t, 0)
	d := s2.testConn(t, 0)
	w.watch("/same", "s")
	for range 100 {
		d.write("/same", "x")
	}
	if ev := w.takeEvents(); len(ev) != 2 || w.c.dropped { // the initial one, then one for 100 writes
		t.Fatalf("coalescing: %d events, dropped %v", len(ev), w.c.dropped)
	}
}
