package xenstore

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/xenolith/xenolith/hypercall"
)

// startSocketServer serves a new server on a fresh socket (a short path:
// sun_path holds 108 bytes).
func startSocketServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "xst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := newTestServer(t, cfg)
	path := filepath.Join(dir, "sock")
	l, err := s.ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	return s, path
}

func dialTest(t testing.TB, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSocketClient(t *testing.T) {
	_, path := startSocketServer(t, Config{})
	c := dialTest(t, path)
	if err := c.Write(0, "/x/y", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Read(0, "/x/y"); err != nil || string(v) != "v" {
		t.Fatalf("read %q %v", v, err)
	}
	if _, err := c.Read(0, "/x/nope"); !errors.Is(err, hypercall.ENOENT) {
		t.Fatalf("missing: %v", err)
	}
	if err := c.Mkdir(0, "/x/z"); err != nil {
		t.Fatal(err)
	}
	if names, err := c.Directory(0, "/x"); err != nil || !slices.Equal(names, []string{"y", "z"}) {
		t.Fatalf("directory %v %v", names, err)
	}
	if err := c.SetPerms(0, "/x/y", []Perm{{AccessNone, 0}, {AccessRead, 3}}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetPerms(0, "/x/y"); err != nil || FormatPerms(p) != "n0,r3" {
		t.Fatalf("perms %v %v", p, err)
	}
	if err := c.Watch("/x", "tok"); err != nil {
		t.Fatal(err)
	}
	tx, err := c.TransactionStart()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(tx, "/x/t", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := c.TransactionEnd(tx, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Rm(0, "/x/z"); err != nil {
		t.Fatal(err)
	}
	want := []WatchEvent{{"/x", "tok"}, {"/x/t", "tok"}, {"/x/z", "tok"}}
	for i, w := range want {
		select {
		case ev := <-c.Events():
			if ev != w {
				t.Fatalf("event %d: %v, want %v", i, ev, w)
			}
		case <-time.After(guestTimeout):
			t.Fatalf("event %d missing", i)
		}
	}
	if err := c.Unwatch("/x", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := c.TransactionEnd(tx, true); !errors.Is(err, hypercall.ENOENT) {
		t.Fatalf("ended twice: %v", err)
	}
}

// TestSocketFraming: the Xen tools write header and payload separately;
// other clients write byte by byte or pipeline many requests at once.
func TestSocketFraming(t *testing.T) {
	_, path := startSocketServer(t, Config{})
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(guestTimeout))
	send := func(m Message, chunks ...int) {
		b := m.Append(nil)
		for _, n := range chunks {
			if _, err := nc.Write(b[:n]); err != nil {
				t.Fatal(err)
			}
			b = b[n:]
			time.Sleep(time.Millisecond)
		}
		if _, err := nc.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(typ, reqID uint32, payload string) {
		t.Helper()
		m, err := ReadMessage(nc)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != typ || m.ReqID != reqID || string(m.Payload) != payload {
			t.Fatalf("got %s req %d %q, want %s req %d %q", typeName(m.Type), m.ReqID, m.Payload, typeName(typ), reqID, payload)
		}
	}
	// Header, then payload (libxenstore's two writes).
	send(Message{Type: hypercall.XsWrite, ReqID: 1, Payload: append(args("/f"), "v"...)}, HeaderSize)
	expect(hypercall.XsWrite, 1, "OK\x00")
	// Byte by byte.
	send(Message{Type: hypercall.XsRead, ReqID: 2, Payload: args("/f")}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	expect(hypercall.XsRead, 2, "v")
	// 200 pipelined requests in one write; replies in order.
	var burst []byte
	for i := range 200 {
		m := Message{Type: hypercall.XsRead, ReqID: uint32(100 + i), Payload: args("/f")}
		if i%3 == 0 {
			m = Message{Type: hypercall.XsRead, ReqID: uint32(100 + i), Payload: args("/missing")}
		}
		burst = m.Append(burst)
	}
	if _, err := nc.Write(burst); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if i%3 == 0 {
			expect(hypercall.XsError, uint32(100+i), "ENOENT\x00")
		} else {
			expect(hypercall.XsRead, uint32(100+i), "v")
		}
	}
	// req_id 0 throughout, as the Xen tools send: order is all there is.
	send(Message{Type: hypercall.XsGetDomainPath, Payload: args("3")})
	send(Message{Type: hypercall.XsGetDomainPath, Payload: args("4")})
	expect(hypercall.XsGetDomainPath, 0, "/local/domain/3\x00")
	expect(hypercall.XsGetDomainPath, 0, "/local/domain/4\x00")
}

// TestSocketPayloadTooLong: a header announcing more than 4096 bytes
// drops the connection, as C xenstored; the server goes on.
func TestSocketPayloadTooLong(t *testing.T) {
	s, path := startSocketServer(t, Config{})
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(guestTimeout))
	b := (&Message{Type: hypercall.XsRead}).Append(nil)
	b[12], b[13] = 0x01, 0x10 // len 4097
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMessage(nc); !errors.Is(err, io.EOF) {
		t.Fatalf("connection not dropped: %v", err)
	}
	c := dialTest(t, path)
	if _, err := c.Read(0, "/"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "connection cleanup", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 1
	})
}

// TestSocketSlowClient: a client that never reads its events is dropped;
// writers are not held up.
func TestSocketSlowClient(t *testing.T) {
	s, path := startSocketServer(t, Config{MaxQueuedEvents: 100})
	slow, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.UnixConn).SetReadBuffer(1024)
	slow.Write((&Message{Type: hypercall.XsWatch, Payload: args("/", "all")}).Append(nil))
	slow.SetReadDeadline(time.Now().Add(guestTimeout))
	for range 2 { // OK and the initial event: the watch is set, then the client stops reading
		if _, err := ReadMessage(slow); err != nil {
			t.Fatal(err)
		}
	}
	c := dialTest(t, path)
	if _, err := c.Read(0, "/"); err != nil { // registered too
		t.Fatal(err)
	}
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for i := 0; ; i++ {
		if err := c.Write(0, fmt.Sprintf("/n/%d", i), nil); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 1 {
			t.Logf("slow client dropped after %d writes in %v", i+1, time.Since(start))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slow client never dropped")
		}
	}
	slow.SetReadDeadline(time.Now().Add(guestTimeout))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("dropped connection: %v", err)
	}
}

func TestSocketCleanup(t *testing.T) {
	s, path := startSocketServer(t, Config{})
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Watch("/a", "t")
	c.TransactionStart()
	c.Close()
	waitFor(t, "connection cleanup", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 0
	})
	if _, err := c.Read(0, "/"); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed client: %v", err)
	}
}

func TestListenUnix(t *testing.T) {
	dir, err := os.MkdirTemp("", "xst")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s := newTestServer(t, Config{})
	// A stale socket is replaced; the directory is created.
	stale := filepath.Join(dir, "sub", "sock")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	l2, err := s.ListenUnix(stale)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	if fi, err := os.Stat(stale); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	go s.Serve(l2)
	// A live one is not.
	if _, err := s.ListenUnix(stale); err == nil {
		t.Fatal("replaced a live socket")
	}
	// Nor a regular file.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := s.ListenUnix(file); err == nil {
		t.Fatal("replaced a regular file")
	}
	// Close stops Serve and removes the socket.
	s.Close()
	waitFor(t, "socket removed", func() bool { _, err := os.Stat(stale); return err != nil })
}
