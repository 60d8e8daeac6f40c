package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClientRoundTrip(t *testing.T) {
	f := &fakeLifecycle{}
	c, _ := serveFake(t, f)
	ctx := context.Background()
	resp, err := c.Create(ctx, CreateRequest{Config: "name = \"x\"", File: "/x.cfg", Paused: true})
	if err != nil || resp.DomID != 7 {
		t.Fatalf("Create: %+v %v", resp, err)
	}
	l, err := c.List(ctx)
	if err != nil || len(l) != 2 || l[1].Name != "vm2" || l[1].State != "--p---" {
		t.Fatalf("List: %+v %v", l, err)
	}
	d, err := c.Get(ctx, "vm1")
	if err != nil || d.DomID != 1 || string(d.Config) != `{"Name":"vm1"}` {
		t.Fatalf("Get: %+v %v", d, err)
	}
	if err := c.Pause(ctx, "vm1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Unpause(ctx, "vm2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename(ctx, "vm1", "web"); err != nil || f.renames[0] != "web" {
		t.Fatalf("Rename: %v %q", err, f.renames)
	}
	res, err := c.Shutdown(ctx, "vm1", ShutdownRequest{Wait: true, TimeoutS: 3})
	if err != nil || res.Outcome != "destroyed" || f.shutdown[0].TimeoutS != 3 {
		t.Fatalf("Shutdown: %+v %v %+v", res, err, f.shutdown)
	}
	if res, err := c.Reboot(ctx, "vm2", ShutdownRequest{}); err != nil || res.DomID != 2 {
		t.Fatalf("Reboot: %+v %v", res, err)
	}
	if v, err := c.VCPUs(ctx, "vm2"); err != nil || len(v.VCPUs) != 2 {
		t.Fatalf("VCPUs: %+v %v", v, err)
	}
	if i, err := c.Info(ctx); err != nil || i.XenVersion != "4.17.0-xenolith" {
		t.Fatalf("Info: %+v %v", i, err)
	}
	if m, err := c.Dmesg(ctx); err != nil || len(m.Lines) != 2 {
		t.Fatalf("Dmesg: %+v %v", m, err)
	}
	if di, err := c.AttachDisk(ctx, "vm2", DiskAttachRequest{Spec: "/i.img,raw,xvdb,rw"}); err != nil || di.DevID != 51728 || f.attaches[0].Spec != "/i.img,raw,xvdb,rw" {
		t.Fatalf("AttachDisk: %+v %v", di, err)
	}
	if l, err := c.Disks(ctx, "vm2"); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("Disks: %#v %v (want an empty list, not null)", l, err)
	}
	if r, err := c.DetachDisk(ctx, "vm2", "xvdc"); err != nil || !r.Forced {
		t.Fatalf("DetachDisk: %+v %v", r, err)
	}
	if err := c.Destroy(ctx, "vm1"); err != nil {
		t.Fatal(err)
	}
	want := []string{"create", "list", "get vm1", "pause vm1", "unpause vm2", "rename vm1", "poweroff vm1", "reboot vm2", "vcpus vm2", "info", "dmesg",
		"attach-disk vm2", "disks vm2", "detach-disk vm2 xvdc", "destroy vm1"}
	if strings.Join(f.calls, ",") != strings.Join(want, ",") {
		t.Errorf("calls %q, want %q", f.calls, want)
	}
}

func TestClientErrors(t *testing.T) {
	c, _ := serveFake(t, &fakeLifecycle{})
	ctx := context.Background()
	err := c.Destroy(ctx, "foo")
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || err.Error() != `domain "foo" not found` || !errors.Is(err, ErrNotFound) {
		t.Errorf("Destroy foo: %#v", err)
	}
	err = c.Pause(ctx, "vm2")
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Errorf("Pause vm2: %v", err)
	}
	// Names with odd characters travel escaped.
	if _, err := c.Get(ctx, "a/b c?d"); err == nil || err.Error() != `domain "a/b c?d" not found` {
		t.Errorf("Get of an odd name: %v", err)
	}
}

func TestClientWithoutDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	c := NewClient(sock)
	_, err := c.List(context.Background())
	if !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("List without a daemon: %v, want ErrNoDaemon", err)
	}
	want := `no xenolith daemon at ` + sock + `: start one with "xenolith daemon" (or set XENOLITH_SOCKET)`
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if _, err := c.Console(context.Background(), "x", false); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("Console without a daemon: %v", err)
	}
	// A stale socket file (nobody listening) is the same.
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := c.List(context.Background()); !errors.Is(err, ErrNoDaemon) {
		t.Errorf("List on a stale socket: %v", err)
	}
}

func TestDefaultSocket(t *testing.T) {
	t.Setenv(SocketEnv, "")
	if DefaultSocket() != "/run/xenolith/xenolith.sock" {
		t.Errorf("DefaultSocket() = %q", DefaultSocket())
	}
	t.Setenv(SocketEnv, "/tmp/x.sock")
	if DefaultSocket() != "/tmp/x.sock" || NewClient("").Socket() != "/tmp/x.sock" {
		t.Errorf("with $%s: %q", SocketEnv, DefaultSocket())
	}
}

// readUntil reads from r until the bytes read contain want.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	for !strings.Contains(string(got), want) {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("reading until %q: got %q, %v", want, got, err)
		}
	}
	return string(got)
}

func TestConsoleUpgrade(t *testing.T) {
	s := newFakeSession("history\n")
	f := &fakeLifecycle{console: s}
	c, _ := serveFake(t, f)
	conn, err := c.Console(context.Background(), "vm1", true)
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, conn, "history\n")
	s.live <- []byte("live output\n")
	readUntil(t, conn, "live output\n")
	conn.Write([]byte("typed"))
	select {
	case in := <-s.input:
		if string(in) != "typed" {
			t.Errorf("input %q", in)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("input did not reach the session")
	}
	// One writer: a second is refused before the upgrade; a reader is fine.
	if _, err := c.Console(context.Background(), "vm1", true); !errors.Is(err, ErrConflict) {
		t.Errorf("second writer: %v, want 409", err)
	}
	f.mu.Lock()
	f.console = newFakeSession("r")
	f.mu.Unlock()
	ro, err := c.Console(context.Background(), "vm1", false)
	if err != nil {
		t.Fatalf("reader next to a writer: %v", err)
	}
	ro.Close()
	// Detaching closes the session.
	conn.Close()
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("session not closed after the client detached")
	}
	if _, err := c.Console(context.Background(), "nope", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("console of an unknown domain: %v", err)
	}
}

func TestConsoleEndsWithTheDomain(t *testing.T) {
	s := newFakeSession("")
	c, _ := serveFake(t, &fakeLifecycle{console: s})
	conn, err := c.Console(context.Background(), "vm1", false)
	if err != nil {
		t.Fatal(err)
	}
	s.live <- []byte("bye\n")
	close(s.live)
	b, err := io.ReadAll(conn)
	if err != nil || string(b) != "bye\n" {
		t.Errorf("read %q, %v; want bye and EOF", b, err)
	}
	// Input on a read-only session is dropped, not an error for the client.
	conn.Close()
}

func TestConsoleNeedsUpgrade(t *testing.T) {
	w, e := do(t, &fakeLifecycle{}, "GET", "/v1/domains/vm1/console", "")
	if w.Code != 400 || !strings.Contains(e.Message, "Upgrade") {
		t.Errorf("console without Upgrade: %d %q", w.Code, e.Message)
	}
	_, sock := serveFake(t, &fakeLifecycle{})
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "GET /v1/domains/vm1/console?write=maybe HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: xenolith-console\r\n\r\n")
	line, _ := bufio.NewReader(nc).ReadString('\n')
	if !strings.Contains(line, "400") {
		t.Errorf("write=maybe: %q", line)
	}
}
