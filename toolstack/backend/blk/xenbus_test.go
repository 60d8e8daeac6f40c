package blk

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xenolith/xenolith/toolstack/internal/sharedpage"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

func TestNextTransitions(t *testing.T) {
	ok := [][2]state{
		{stateInitialising, stateInitWait}, {stateInitWait, stateConnected},
		{stateInitialising, stateClosing}, {stateInitWait, stateClosing}, {stateConnected, stateClosing},
		{stateClosing, stateClosed}, {stateClosed, stateInitWait},
	}
	bad := [][2]state{
		{stateInitialising, stateConnected}, {stateConnected, stateInitWait}, {stateClosed, stateConnected},
		{stateClosing, stateConnected}, {stateConnected, stateClosed}, {stateClosed, stateClosing},
	}
	for _, e := range ok {
		if s, err := next(e[0], e[1]); err != nil || s != e[1] {
			t.Errorf("%s -> %s: %v", e[0], e[1], err)
		}
	}
	for _, e := range bad {
		if _, err := next(e[0], e[1]); !errors.Is(err, ErrBadTransition) {
			t.Errorf("%s -> %s: err %v, want ErrBadTransition", e[0], e[1], err)
		}
	}
}

type fakeConnector struct {
	g  *fakeGrants
	ch *fakeChannel
}

func (c *fakeConnector) Connect(domid uint16, ref, port uint32) (Page, Channel, error) {
	p, err := c.g.Map(domid, ref, false)
	if err != nil {
		return nil, nil, err
	}
	return p, c.ch, nil
}

func pipeClient(t *testing.T, srv *xenstore.Server) *xenstore.Client {
	a, b := net.Pipe()
	go srv.ServeConn(a)
	c := xenstore.NewClient(b)
	t.Cleanup(func() { c.Close() })
	return c
}

type xbRig struct {
	t      *testing.T
	front  *xenstore.Client
	back   *xenstore.Client
	dev    *Device
	fr     *front
	g      *fakeGrants
	result chan error
	done   chan struct{}
}

func newXbRig(t *testing.T, readOnly bool) *xbRig {
	srv := xenstore.New(xenstore.Config{})
	r := &xbRig{t: t, front: pipeClient(t, srv), back: pipeClient(t, srv), result: make(chan error, 16), done: make(chan struct{})}
	const dom, devid = 3, 51712
	r.g = newFakeGrants(dom)
	ch := newFakeChannel()
	r.fr = newFront(t, r.g.grant(8), ch)
	path := filepath.Join(t.TempDir(), "d.img")
	os.WriteFile(path, make([]byte, 64*sectorSize), 0o600)
	f, sectors, discard, err := OpenImage(path, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r.dev = &Device{XS: r.back, Connector: &fakeConnector{r.g, ch}, BackPath: BackPath(dom, devid), FrontPath: FrontPath(dom, devid),
		Config: Config{Domid: dom, DevID: devid, File: f, Sectors: sectors, ReadOnly: readOnly, Discard: discard, Grants: r.g}}
	r.front.Write(0, r.dev.FrontPath+"/state", []byte("1"))
	token, err := r.dev.Start()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var once sync.Once
		for ev := range r.back.Events() {
			if ev.Token != token {
				continue
			}
			closed, err := r.dev.Handle()
			if err != nil {
				r.result <- err
			}
			if closed {
				once.Do(func() { close(r.done) })
			}
		}
	}()
	t.Cleanup(func() { r.dev.Close() })
	return r
}

func (r *xbRig) read(key string) string {
	v, err := r.front.Read(0, r.dev.BackPath+"/"+key)
	if err != nil {
		r.t.Fatalf("read %s: %v", key, err)
	}
	return string(v)
}

func (r *xbRig) waitState(want int) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.read("state") != strconv.Itoa(want) {
		if time.Now().After(deadline) {
			r.t.Fatalf("back state %s, want %d", r.read("state"), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *xbRig) writeFront(kv ...string) {
	for i := 0; i < len(kv); i += 2 {
		if err := r.front.Write(0, r.dev.FrontPath+"/"+kv[i], []byte(kv[i+1])); err != nil {
			r.t.Fatal(err)
		}
	}
}

func TestHandshake(t *testing.T) {
	r := newXbRig(t, false)
	r.waitState(2)
	for k, want := range map[string]string{"sectors": "64", "sector-size": "512", "info": "0", "mode": "w",
		"feature-flush-cache": "1", "feature-barrier": "1", "feature-discard": "1", "feature-max-indirect-segments": "256",
		"frontend": r.dev.FrontPath, "frontend-id": "3"} {
		if got := r.read(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	r.writeFront("ring-ref", "8", "event-channel", "5", "protocol", "x86_64-abi", "state", "3")
	r.waitState(4)
	refs := []uint32{200}
	r.g.grant(200)
	r.fr.submit(rwReq(opWrite, 1, 0, segment{refs[0], 0, 7}))
	if got := r.fr.wait(1); got[0].status != okay {
		t.Fatalf("write over the negotiated ring: %+v", got[0])
	}
	r.writeFront("state", "5")
	r.waitState(5)
	r.writeFront("state", "6")
	r.waitState(6)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("device did not finish")
	}
	if n := r.g.live(); n != 0 {
		t.Errorf("%d mappings live after close", n)
	}
	// The device stays online: the front end may connect again.
	r.writeFront("state", "1")
	r.waitState(2)
	r.writeFront("state", "3")
	r.waitState(4)
	r.fr.submit(rwReq(opRead, 2, 0, segment{refs[0], 0, 7}))
	if got := r.fr.wait(1); got[0].status != okay {
		t.Fatalf("read after reconnecting: %+v", got[0])
	}
}

func TestHandshakeReadOnly(t *testing.T) {
	r := newXbRig(t, true)
	r.waitState(2)
	if r.read("info") != "4" || r.read("mode") != "r" || r.read("feature-discard") != "0" {
		t.Fatalf("info %s mode %s discard %s", r.read("info"), r.read("mode"), r.read("feature-discard"))
	}
}

func TestHandshakeBadFrontEnd(t *testing.T) {
	for name, kv := range map[string][]string{
		"protocol": {"ring-ref", "8", "event-channel", "5", "protocol", "x86_32-abi", "state", "3"},
		"no ring":  {"event-channel", "5", "state", "3"},
		"bad ref":  {"ring-ref", "x", "event-channel", "5", "state", "3"},
		"unowned":  {"ring-ref", "4242", "event-channel", "5", "state", "3"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newXbRig(t, false)
			r.waitState(2)
			r.writeFront(kv...)
			r.waitState(5)
			select {
			case err := <-r.result:
				if err == nil {
					t.Fatal("no error")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no error reported")
			}
		})
	}
}

func TestHandshakeHostileRingCloses(t *testing.T) {
	r := newXbRig(t, false)
	r.waitState(2)
	r.writeFront("ring-ref", "8", "event-channel", "5", "state", "3")
	r.waitState(4)
	// The daemon's loop also selects on Stopped; here the test does.
	stopped := make(chan struct{})
	go func() {
		deadline := time.Now().Add(5 * time.Second)
		for r.dev.Stopped() == nil && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		close(stopped)
	}()
	<-stopped
	ch := r.dev.Stopped()
	sharedpage.Store32(r.fr.page, offReqProd, 1000)
	r.fr.ch.kick()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("backend did not stop")
	}
	r.writeFront("state", "3") // any event: Handle notices the stop
	select {
	case err := <-r.result:
		if !errors.Is(err, ErrRingIndex) {
			t.Fatalf("Handle: %v, want ErrRingIndex", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error reported")
	}
	r.waitState(5)
}
