package xenstore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

func TestInitialTree(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	if got := d0.dir("/"); !slices.Equal(got, []string{"tool", "local"}) {
		t.Errorf("/ children %v", got)
	}
	for _, p := range []string{"/", "/tool", "/tool/xenstored", "/local", "/local/domain", "/local/domain/0", "/local/domain/0/name"} {
		if got := d0.perms(p); got != "n0" {
			t.Errorf("%s perms %q, want n0", p, got)
		}
	}
	if got := d0.read("/local/domain/0/name"); got != "Domain-0" {
		t.Errorf("dom0 name %q", got)
	}
	for _, p := range []string{IntroduceDomainPath, ReleaseDomainPath} {
		if got := d0.perms(p); got != "n0" {
			t.Errorf("%s perms %q", p, got)
		}
	}
}

func TestWriteReadDirectory(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.write("/a/b/c", "v1")
	if got := d0.read("/a/b/c"); got != "v1" {
		t.Fatalf("read %q", got)
	}
	// Implicit parents are empty and inherit "n0".
	if got := d0.read("/a/b"); got != "" {
		t.Fatalf("implicit parent value %q", got)
	}
	// Children keep creation order (C xenstored's, not sorted).
	for _, n := range []string{"z", "m", "a"} {
		d0.write("/a/"+n, n)
	}
	if got := d0.dir("/a"); !slices.Equal(got, []string{"b", "z", "m", "a"}) {
		t.Fatalf("children %v", got)
	}
	// Binary values, empty values, overwrite.
	d0.write("/bin", "x\x00y\xff")
	if got := d0.read("/bin"); got != "x\x00y\xff" {
		t.Fatalf("binary %q", got)
	}
	d0.write("/bin", "")
	if got := d0.read("/bin"); got != "" {
		t.Fatalf("empty %q", got)
	}
	// Dom0's relative paths are below /local/domain/0.
	d0.write("rel/key", "r")
	if got := d0.read("/local/domain/0/rel/key"); got != "r" {
		t.Fatalf("relative %q", got)
	}
	// A domain's relative paths are below its home.
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/3"))
	d0.setPerms("/local/domain/3", "n3")
	d3 := s.testConn(t, 3)
	d3.write("data/x", "y")
	if got := d0.read("/local/domain/3/data/x"); got != "y" {
		t.Fatalf("domU relative %q", got)
	}
	if got := d3.read("data/x"); got != "y" {
		t.Fatalf("domU relative read %q", got)
	}
	if got := d0.ok(hypercall.XsGetDomainPath, 0, args("3")); got != "/local/domain/3\x00" {
		t.Fatalf("GET_DOMAIN_PATH %q", got)
	}
}

func TestPathValidation(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	long := func(n int) string { return "/" + strings.Repeat("a", n-1) }
	bad := []string{
		"", "//", "/a//b", "/a/", "a/", "/a b", "/a\tb", "/a.b", "/a:b", "/é",
		"@introduceDomain", // special paths only where allowed
		long(hypercall.XenstoreAbsPathMax + 1),
		strings.Repeat("r", hypercall.XenstoreRelPathMax+1),
	}
	for _, p := range bad {
		d0.fails("EINVAL", hypercall.XsRead, 0, args(p))
		d0.fails("EINVAL", hypercall.XsWrite, 0, append(args(p), 'v'))
	}
	// At the limits: fine.
	p := long(hypercall.XenstoreAbsPathMax)
	d0.write(p, "ok")
	if got := d0.read(p); got != "ok" {
		t.Fatal("abs path at the limit")
	}
	d0.write(strings.Repeat("r", hypercall.XenstoreRelPathMax), "ok")
	d0.write("/A-Z_a-z0-9@x", "chars")
	// A domain's path below its home is limited to XENSTORE_REL_PATH_MAX.
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/4"))
	d0.setPerms("/local/domain/4", "n4")
	d4 := s.testConn(t, 4)
	d4.fails("EINVAL", hypercall.XsWrite, 0, append(args("/local/domain/4/"+strings.Repeat("x", hypercall.XenstoreRelPathMax+1)), 'v'))
	d4.write("/local/domain/4/"+strings.Repeat("x", hypercall.XenstoreRelPathMax), "v")
	// The root is fine, and is a valid path.
	d0.ok(hypercall.XsRead, 0, args("/"))
}

func TestPermissions(t *testing.T) {
	s := newTestServer(t, Config{})
	d0, d5, d6 := s.testConn(t, 0), s.testConn(t, 5), s.testConn(t, 6)
	d0.write("/local/domain/5/key", "v")
	d0.setPerms("/local/domain/5", "n0", "r5")
	d0.setPerms("/local/domain/5/key", "n0", "r5")

	// Read with r, no write; another domain neither.
	if got := d5.read("/local/domain/5/key"); got != "v" {
		t.Fatal(got)
	}
	d5.fails("EACCES", hypercall.XsWrite, 0, append(args("/local/domain/5/key"), 'x'))
	d6.fails("EACCES", hypercall.XsRead, 0, args("/local/domain/5/key"))
	d6.fails("EACCES", hypercall.XsDirectory, 0, args("/local/domain/5"))
	d6.fails("EACCES", hypercall.XsGetPerms, 0, args("/local/domain/5/key"))
	// Missing nodes: ENOENT where the nearest ancestor is readable, EACCES
	// elsewhere (no leak of what exists).
	d5.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/5/nope/deeper"))
	d6.fails("EACCES", hypercall.XsRead, 0, args("/local/domain/5/nope"))
	// Creating needs write on the nearest existing ancestor.
	d5.fails("EACCES", hypercall.XsWrite, 0, append(args("/local/domain/5/new"), 'x'))
	d5.fails("EACCES", hypercall.XsMkdir, 0, args("/local/domain/5/new"))

	// A writable directory: the domain owns what it creates; the rest of
	// the list is inherited.
	d0.ok(hypercall.XsMkdir, 0, args("/local/domain/5/device"))
	d0.setPerms("/local/domain/5/device", "n0", "b5", "r7")
	d5.write("/local/domain/5/device/vif/0/state", "1")
	for _, p := range []string{"/local/domain/5/device/vif", "/local/domain/5/device/vif/0", "/local/domain/5/device/vif/0/state"} {
		if got := d0.perms(p); got != "n5,b5,r7" {
			t.Errorf("%s perms %q, want n5,b5,r7", p, got)
		}
	}
	// Dom0 creates with the parent's list unchanged.
	d0.write("/local/domain/5/device/vbd/1", "x")
	if got := d0.perms("/local/domain/5/device/vbd/1"); got != "n0,b5,r7" {
		t.Errorf("dom0-created perms %q", got)
	}
	// Owner may set perms but not give the node away; others may not.
	d5.setPerms("/local/domain/5/device/vif/0/state", "n5", "r0", "r6")
	if got := d6.read("/local/domain/5/device/vif/0/state"); got != "1" {
		t.Fatal("r6 entry")
	}
	d5.fails("EPERM", hypercall.XsSetPerms, 0, args("/local/domain/5/device/vif/0/state", "n6"))
	d6.fails("EACCES", hypercall.XsSetPerms, 0, args("/local/domain/5/device/vif/0/state", "n5"))
	// b grants both, default access applies to the unlisted, w alone.
	d0.write("/shared", "s")
	d0.setPerms("/shared", "n0", "w6", "b5")
	d5.write("/shared", "from5")
	d6.write("/shared", "from6")
	d6.fails("EACCES", hypercall.XsRead, 0, args("/shared"))
	d0.setPerms("/shared", "r0")
	if got := d6.read("/shared"); got != "from6" {
		t.Fatal("default access")
	}
	d6.fails("EACCES", hypercall.XsWrite, 0, append(args("/shared"), 'x'))
	// Bad permission strings.
	for _, p := range []string{"x0", "r", "r-1", "r65536", "r1x", "", "R1", "r 1"} {
		d0.fails("EINVAL", hypercall.XsSetPerms, 0, args("/shared", p))
	}
	d0.fails("EINVAL", hypercall.XsSetPerms, 0, args("/shared"))
	d0.fails("ENOENT", hypercall.XsSetPerms, 0, args("/missing", "n0"))

	// SET_TARGET: a device model acts with its target's rights.
	_, _ = introduceGuest(t, s, 5)
	_, _ = introduceGuest(t, s, 9)
	d9 := s.testConn(t, 9)
	d9.fails("EACCES", hypercall.XsRead, 0, args("/local/domain/5/key"))
	d0.ok(hypercall.XsSetTarget, 0, args("9", "5"))
	// The domain's connection now has the target; the test conn for 9 is
	// a second one, so check through the domain's own.
	s.mu.Lock()
	dm := s.domains[9].c
	s.mu.Unlock()
	if a := accessFor(dm, []Perm{{AccessNone, 0}, {AccessRead, 5}}); a != AccessRead {
		t.Fatalf("target access %v", a)
	}
	if a := accessFor(dm, []Perm{{AccessNone, 5}}); a != AccessBoth|accessOwner {
		t.Fatalf("target owner access %v", a)
	}
	d0.fails("ENOENT", hypercall.XsSetTarget, 0, args("9", "8"))
	d0.fails("ENOENT", hypercall.XsSetTarget, 0, args("8", "5"))
	d0.fails("EINVAL", hypercall.XsSetTarget, 0, args("9"))
}

func TestPermParsing(t *testing.T) {
	perms, err := ParsePerms("n0,r5 w7,b65535")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatPerms(perms); got != "n0,r5,w7,b65535" {
		t.Fatal(got)
	}
	if _, err := ParsePerms(""); err == nil {
		t.Fatal("empty list")
	}
}

func TestMkdirRm(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	d0.ok(hypercall.XsMkdir, 0, args("/m/n"))
	d0.write("/m/n", "keep")
	d0.ok(hypercall.XsMkdir, 0, args("/m/n")) // exists: fine, value kept
	if got := d0.read("/m/n"); got != "keep" {
		t.Fatal(got)
	}
	d0.write("/m/n/o/p", "deep")
	d0.write("/m/x", "x")
	d0.ok(hypercall.XsRm, 0, args("/m/n"))
	if got := d0.dir("/m"); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("after rm %v", got)
	}
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/m/n/o/p"))
	d0.ok(hypercall.XsRm, 0, args("/m/gone"))             // missing, parent exists
	d0.fails("ENOENT", hypercall.XsRm, 0, args("/m/a/b")) // missing parent
	d0.fails("EINVAL", hypercall.XsRm, 0, args("/"))
	s.mu.Lock()
	for p := range s.st.nodes {
		if strings.HasPrefix(p, "/m/n") {
			t.Errorf("node %s left behind", p)
		}
	}
	s.mu.Unlock()
}

func TestDirectoryPart(t *testing.T) {
	s := newTestServer(t, Config{})
	d0 := s.testConn(t, 0)
	var want []string
	for i := range 400 {
		name := fmt.Sprintf("child-number-%04d-with-a-long-name", i)
		want = append(want, name)
		d0.write("/big/"+name, "")
	}
	// DIRECTORY does not fit: E2BIG, as C xenstored's send_reply.
	d0.fails("E2BIG", hypercall.XsDirectory, 0, args("/big"))

	// Walk DIRECTORY_PART as libxenstore does.
	walk := func() ([]string, string) {
		var got []string
		var gen string
		off := 0
		for range 100 {
			rep := d0.ok(hypercall.XsDirectoryPart, 0, args("/big", strconv.Itoa(off)))
			g, rest, _ := strings.Cut(rep, "\x00")
			if gen == "" {
				gen = g
			} else if g != gen {
				t.Fatalf("generation changed %s -> %s", gen, g)
			}
			if len(rep) > hypercall.XenstorePayloadMax {
				t.Fatalf("reply %d bytes", len(rep))
			}
			done := strings.HasSuffix(rest, "\x00\x00") || rest == "\x00"
			names := payloadStrings([]byte(rest))
			for _, n := range names {
				if n != "" {
					got = append(got, n)
					off += len(n) + 1
				}
			}
			if done {
				return got, gen
			}
		}
		t.Fatal("DIRECTORY_PART never ended")
		return nil, ""
	}
	got, gen1 := walk()
	if !slices.Equal(got, want) {
		t.Fatalf("DIRECTORY_PART listed %d names, want %d", len(got), len(want))
	}
	// An offset at or past the end: just the generation and an empty name.
	if rep := d0.ok(hypercall.XsDirectoryPart, 0, args("/big", "100000")); rep != gen1+"\x00\x00" {
		t.Fatalf("past the end %q", rep)
	}
	// A change of the directory changes its generation; a change of a
	// child's value does not.
	d0.write("/big/"+want[0], "value")
	if _, gen := walk(); gen != gen1 {
		t.Fatal("child value changed the generation")
	}
	d0.write("/big/new", "")
	if _, gen := walk(); gen == gen1 {
		t.Fatal("new child kept the generation")
	}
	// Small directory in one part.
	d0.write("/small/a", "")
	d0.write("/small/b", "")
	rep := d0.ok(hypercall.XsDirectoryPart, 0, args("/small", "0"))
	if _, rest, _ := strings.Cut(rep, "\x00"); rest != "a\x00b\x00\x00" {
		t.Fatalf("small part %q", rest)
	}
	for _, bad := range [][]byte{args("/small"), args("/small", "x"), args("/small", "-1"), args("/small", "0", "0"), []byte("/small\x000")} {
		d0.fails("EINVAL", hypercall.XsDirectoryPart, 0, bad)
	}
	d0.fails("ENOENT", hypercall.XsDirectoryPart, 0, args("/nope", "0"))
}

// TestErrors covers the error replies not exercised elsewhere, and that a
// connection survives them.
func TestErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	d0, d5 := s.testConn(t, 0), s.testConn(t, 5)
	// Unknown and server-to-client types: ENOSYS, as C xenstored.
	for _, typ := range []uint32{hypercall.XsWatchEvent, hypercall.XsError, 20, hypercall.XsTypeCount, 1000, hypercall.XsInvalid} {
		d0.fails("ENOSYS", typ, 0, nil)
		d5.fails("ENOSYS", typ, 0, nil)
	}
	d0.ok(hypercall.XsRead, 0, args("/")) // still connected
	// Privileged operations from a domain.
	for _, typ := range []uint32{hypercall.XsControl, hypercall.XsIntroduce, hypercall.XsRelease, hypercall.XsIsDomainIntroduced,
		hypercall.XsResume, hypercall.XsSetTarget} {
		d5.fails("EACCES", typ, 0, args("5"))
	}
	// Payloads that are not exactly one string.
	for _, typ := range []uint32{hypercall.XsRead, hypercall.XsDirectory, hypercall.XsGetPerms, hypercall.XsMkdir, hypercall.XsRm, hypercall.XsGetDomainPath} {
		d0.fails("EINVAL", typ, 0, nil)
		d0.fails("EINVAL", typ, 0, []byte("/tool"))
		d0.fails("EINVAL", typ, 0, []byte("/tool\x00x\x00"))
	}
	d0.fails("EINVAL", hypercall.XsWrite, 0, []byte("/nonul"))
	d0.fails("EINVAL", hypercall.XsWatch, 0, args("/a"))
	d0.fails("EINVAL", hypercall.XsWatch, 0, args("/a", "t", "x"))
	d0.fails("EINVAL", hypercall.XsUnwatch, 0, args("/a"))
	d0.fails("ENOENT", hypercall.XsUnwatch, 0, args("/a", "t"))
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/nope"))
	d0.fails("ENOENT", hypercall.XsGetPerms, 0, args("@nope"))
	d0.fails("EINVAL", hypercall.XsGetDomainPath, 0, args("x"))
	d0.fails("EINVAL", hypercall.XsGetDomainPath, 0, args("70000"))
	// Transactions: unknown id, bad END argument, END without one, nesting.
	d0.fails("ENOENT", hypercall.XsRead, 42, args("/"))
	d0.fails("ENOENT", hypercall.XsTransactionEnd, 42, args("T"))
	d0.fails("ENOENT", hypercall.XsTransactionEnd, 0, args("T"))
	d0.fails("EINVAL", hypercall.XsTransactionEnd, 0, args("X"))
	tx := startTx(t, d0)
	d0.fails("EINVAL", hypercall.XsTransactionEnd, tx, args("yes"))
	d0.fails("EBUSY", hypercall.XsTransactionStart, tx, args(""))
	// Domains.
	d0.fails("EINVAL", hypercall.XsRelease, 0, args("0"))
	d0.fails("ENOENT", hypercall.XsRelease, 0, args("12"))
	d0.fails("EINVAL", hypercall.XsRelease, 0, args("x"))
	d0.fails("EINVAL", hypercall.XsResume, 0, args("0"))
	d0.fails("ENOENT", hypercall.XsResume, 0, args("12"))
	for dom, want := range map[string]string{"0": "T\x00", "32752": "T\x00", "12": "F\x00"} {
		if got := d0.ok(hypercall.XsIsDomainIntroduced, 0, args(dom)); got != want {
			t.Errorf("IS_DOMAIN_INTRODUCED %s = %q", dom, got)
		}
	}
	d0.fails("EINVAL", hypercall.XsIsDomainIntroduced, 0, args("-1"))
	// INTRODUCE: argument checks, then no connector.
	for _, bad := range [][]byte{args("5", "1"), args("5", "1", "0"), args("0", "1", "1"), args("x", "1", "1"), args("32752", "1", "1")} {
		d0.fails("EINVAL", hypercall.XsIntroduce, 0, bad)
	}
	d0.fails("ENOSYS", hypercall.XsIntroduce, 0, args("5", "1", "1"))
	d0.fails("ENOENT", hypercall.XsIntroduce, 99, args("5", "1", "1"))
	// CONTROL.
	if got := d0.ok(hypercall.XsControl, 0, args("help")); !strings.Contains(got, "print") {
		t.Errorf("CONTROL help %q", got)
	}
	d0.ok(hypercall.XsControl, 0, args("print", "hello"))
	if got := d0.ok(hypercall.XsControl, 0, args("quota")); !strings.Contains(got, "nodes: 1000") {
		t.Errorf("CONTROL quota %q", got)
	}
	d0.fails("ENOENT", hypercall.XsControl, 0, args("quota", "12"))
	d0.fails("EINVAL", hypercall.XsControl, 0, args("live-update"))
	d0.fails("EINVAL", hypercall.XsControl, 0, nil)
	// Replies echo req_id and tx_id (checked by send) and the type.
	r := d0.send(Message{Type: hypercall.XsRead, ReqID: 0xdeadbeef, TxID: tx, Payload: args("/tool")})
	if r.Type != hypercall.XsRead {
		t.Fatal(typeName(r.Type))
	}
	counts := s.OpCounts()
	if counts["READ"] == 0 || counts["unknown"] == 0 {
		t.Errorf("op counts %v", counts)
	}
}

func TestIntroduceMessage(t *testing.T) {
	var got []string
	rings := map[uint16][]*fakeRing{}
	s := newTestServer(t, Config{Connector: func(domid uint16, gfn uint64, port uint32) (Ring, error) {
		got = append(got, fmt.Sprintf("%d|%d|%d", domid, gfn, port))
		if domid == 13 {
			return nil, hypercall.ENOMEM
		}
		r := newFakeRing()
		rings[domid] = append(rings[domid], r)
		return r, nil
	}})
	d0 := s.testConn(t, 0)
	d0.watch(IntroduceDomainPath, "intro")
	d0.expectEvents(WatchEvent{IntroduceDomainPath, "intro"})
	d0.ok(hypercall.XsIntroduce, 0, args("7", "1234", "5"))
	d0.expectEvents(WatchEvent{IntroduceDomainPath, "intro"})
	if !s.IsIntroduced(7) {
		t.Fatal("not introduced")
	}
	if got := d0.ok(hypercall.XsIsDomainIntroduced, 0, args("7")); got != "T\x00" {
		t.Fatal(got)
	}
	d0.fails("ENOMEM", hypercall.XsIntroduce, 0, args("13", "1", "2"))
	// Introducing again replaces the ring, without a second event.
	d0.ok(hypercall.XsIntroduce, 0, args("7", "1234", "6"))
	d0.expectEvents()
	if !rings[7][0].isClosed() || rings[7][1].isClosed() {
		t.Fatal("first ring not replaced")
	}
	if want := []string{"7|1234|5", "13|1|2", "7|1234|6"}; !slices.Equal(got, want) {
		t.Fatalf("connector calls %v", got)
	}
	d0.ok(hypercall.XsResume, 0, args("7"))
	d0.watch(ReleaseDomainPath, "rel")
	d0.expectEvents(WatchEvent{ReleaseDomainPath, "rel"})
	d0.ok(hypercall.XsRelease, 0, args("7"))
	d0.expectEvents(WatchEvent{ReleaseDomainPath, "rel"})
	if s.IsIntroduced(7) {
		t.Fatal("still introduced")
	}
	waitFor(t, "ring closed", rings[7][1].isClosed)
}

func TestWriteDomainNodes(t *testing.T) {
	s := newTestServer(t, Config{})
	err := s.WriteDomainNodes(DomainNodes{Domid: 3, Name: "guest", VCPUs: 2, MaxMemKiB: 262144,
		StorePort: 1, StoreGfn: 0xfeffc, ConsolePort: 2, ConsoleGfn: 0xfeffd})
	if err != nil {
		t.Fatal(err)
	}
	d0 := s.testConn(t, 0)
	vm := "/vm/00000000-0000-0000-0000-000000000003"
	values := map[string]string{
		"/local/domain/3/name":                                      "guest",
		"/local/domain/3/domid":                                     "3",
		"/local/domain/3/vm":                                        vm,
		"/local/domain/3/memory/static-max":                         "262144",
		"/local/domain/3/memory/target":                             "262144",
		"/local/domain/3/cpu/0/availability":                        "online",
		"/local/domain/3/cpu/1/availability":                        "online",
		"/local/domain/3/store/port":                                "1",
		"/local/domain/3/store/ring-ref":                            strconv.Itoa(0xfeffc),
		"/local/domain/3/console/port":                              "2",
		"/local/domain/3/console/ring-ref":                          strconv.Itoa(0xfeffd),
		"/local/domain/3/console/type":                              "xenconsoled",
		"/local/domain/3/control/shutdown":                          "",
		vm + "/name":                                                "guest",
		"/local/domain/3/control/platform-feature-xs_reset_watches": "1",
	}
	for p, want := range values {
		if got := d0.read(p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	perms := map[string]string{
		"/local/domain/3":                  "n0,r3",
		"/local/domain/3/name":             "n0,r3",
		"/local/domain/3/control":          "n0,r3",
		"/local/domain/3/control/shutdown": "n3",
		"/local/domain/3/control/platform-feature-multiprocessor-suspend": "n0,r3",
		"/local/domain/3/device":  "n3",
		"/local/domain/3/data":    "n3",
		"/local/domain/3/error":   "n3",
		"/local/domain/3/console": "n3,r0",
		vm:                        "n0,r3",
	}
	for p, want := range perms {
		if got := d0.perms(p); got != want {
			t.Errorf("%s perms %q, want %q", p, got, want)
		}
	}
	// The guest reads its home, writes where libxl lets it, nowhere else.
	g := s.testConn(t, 3)
	if got := g.read("name"); got != "guest" {
		t.Fatal(got)
	}
	g.write("control/feature-poweroff", "1")
	g.write("device/vbd/768/state", "1")
	g.write("data/x", "y")
	g.fails("EACCES", hypercall.XsWrite, 0, append(args("name"), 'x'))
	g.fails("EACCES", hypercall.XsWrite, 0, append(args("control/new"), 'x'))
	g.fails("EACCES", hypercall.XsRead, 0, args("/local/domain/0/name"))
	// Writing again replaces the directory.
	if err := s.WriteDomainNodes(DomainNodes{Domid: 3, Name: "again", VCPUs: 1, MaxMemKiB: 1024}); err != nil {
		t.Fatal(err)
	}
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/3/data/x"))
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/3/cpu/1/availability"))
	if err := s.WriteDomainNodes(DomainNodes{Domid: 0}); err == nil {
		t.Fatal("domid 0 accepted")
	}
}

func TestDomainDied(t *testing.T) {
	s := newTestServer(t, Config{})
	if err := s.WriteDomainNodes(DomainNodes{Domid: 4, Name: "doomed", VCPUs: 1, MaxMemKiB: 1024}); err != nil {
		t.Fatal(err)
	}
	ring, g := introduceGuest(t, s, 4)
	g.ok(hypercall.XsWatch, args("device", "dev"))
	g.ok(hypercall.XsTransactionStart, args(""))
	d0 := s.testConn(t, 0)
	d0.watch(ReleaseDomainPath, "rel")
	d0.watch("/local/domain/4", "home")
	d0.takeEvents()
	s.DomainDied(4)
	if !ring.isClosed() {
		t.Fatal("ring not closed")
	}
	if s.IsIntroduced(4) {
		t.Fatal("still introduced")
	}
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/4"))
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/vm/00000000-0000-0000-0000-000000000004"))
	ev := d0.takeEvents()
	if len(ev) == 0 || ev[len(ev)-1] != (WatchEvent{ReleaseDomainPath, "rel"}) || !slices.Contains(ev, WatchEvent{"/local/domain/4", "home"}) {
		t.Fatalf("events %v", ev)
	}
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	if n != 1 { // d0 only
		t.Fatalf("%d connections left", n)
	}
	// A domain that was never introduced: nodes go, @releaseDomain fires.
	d0.write("/local/domain/8/name", "x")
	s.DomainDied(8)
	d0.fails("ENOENT", hypercall.XsRead, 0, args("/local/domain/8"))
	d0.expectEvents(WatchEvent{ReleaseDomainPath, "rel"})
	if err := s.Release(8); err == nil {
		t.Fatal("Release of a domain never introduced")
	}
}

func startTx(t testing.TB, tc *testConn) uint32 {
	t.Helper()
	id, ok := oneArg([]byte(tc.ok(hypercall.XsTransactionStart, 0, args(""))))
	if !ok {
		t.Fatal("TRANSACTION_START reply")
	}
	v, err := strconv.ParseUint(id, 10, 32)
	if err != nil || v == 0 {
		t.Fatalf("transaction id %q", id)
	}
	return uint32(v)
}
