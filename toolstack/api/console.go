package api

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ConsoleProtocol is the Upgrade token of GET .../console: after the
// 101 answer the connection carries raw bytes, console output from the
// daemon (history first, then live) and, for a writer, guest input from
// the client.
const ConsoleProtocol = "xenolith-console"

// consoleWriteTimeout drops a client that does not read its console
// output for this long.
const consoleWriteTimeout = 30 * time.Second

func (s *server) console(w http.ResponseWriter, r *http.Request) error {
	id, err := ref(r)
	if err != nil {
		return err
	}
	var write bool
	switch v := r.URL.Query().Get("write"); v {
	case "", "0", "false":
	case "1", "true":
		write = true
	default:
		return BadRequest("write", "write=%q: want 1 or 0", truncate(v))
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", ConsoleProtocol) {
		return BadRequest("", "the console is a connection upgrade: send Connection: Upgrade and Upgrade: %s", ConsoleProtocol)
	}
	if err := emptyBody(r); err != nil {
		return err
	}
	sess, err := s.lc.Console(r.Context(), id, write)
	if err != nil {
		return err
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		sess.Close()
		return err
	}
	go s.serveConsole(conn, brw, sess, write)
	return nil
}

// serveConsole copies console output to conn and, for a writer, conn's
// bytes to the guest, until either side ends.
func (s *server) serveConsole(conn net.Conn, brw *bufio.ReadWriter, sess ConsoleSession, write bool) {
	defer conn.Close()
	defer sess.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn.SetDeadline(time.Time{})
	if _, err := brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + ConsoleProtocol + "\r\n\r\n"); err != nil {
		return
	}
	if err := brw.Flush(); err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Input: bytes for the guest, or for a reader only the close.
		defer wg.Done()
		defer cancel()
		buf := make([]byte, 4096)
		for {
			n, err := brw.Read(buf)
			if n > 0 && write {
				if _, werr := sess.Input(ctx, buf[:n]); werr != nil {
					s.log.Debug("api: console input", "err", werr)
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	history, live := sess.Output()
	send := func(p []byte) bool {
		conn.SetWriteDeadline(time.Now().Add(consoleWriteTimeout))
		_, err := conn.Write(p)
		return err == nil
	}
	if len(history) == 0 || send(history) {
	loop:
		for {
			select {
			case p, ok := <-live:
				if !ok || !send(p) {
					break loop
				}
			case <-ctx.Done():
				break loop
			}
		}
	}
	// The output ended: close, which also ends the input loop.
	conn.Close()
	wg.Wait()
}

// headerHasToken reports whether a comma-separated header has token
// (case-insensitive), as Connection: keep-alive, Upgrade.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// ConsoleConn is an attached console: Read returns console output
// (history, then live output until the console ends: io.EOF), Write
// sends input (for a session opened with write), Close detaches.
type ConsoleConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func (c *ConsoleConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *ConsoleConn) Write(p []byte) (int, error) { return c.conn.Write(p) }
func (c *ConsoleConn) Close() error                { return c.conn.Close() }
