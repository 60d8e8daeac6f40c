package xenstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
)

// DefaultSocketPath is where Xenolith's xenstored listens.
const DefaultSocketPath = "/run/xenolith/xenstored.sock"

// XenSocketPath is where Xen's libxenstore looks for the daemon when
// XENSTORED_PATH is not set ($XENSTORED_RUNDIR/socket, default rundir
// /var/run/xenstored).
const XenSocketPath = "/var/run/xenstored/socket"

// ListenUnix creates the directory of path (mode 0755) if needed, removes
// a stale socket at path, and listens there (socket mode 0600: root's
// tools only, as C xenstored's socket). It refuses to replace a file that
// is not a socket.
func (s *Server) ListenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("xenstore: socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("xenstore: %s exists and is not a socket: remove it or pick another --socket", path)
		}
		// A live daemon there would answer a connect; a stale socket not.
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("xenstore: another xenstored is listening on %s", path)
		}
		os.Remove(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("xenstore: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("xenstore: %w", err)
	}
	return l, nil
}

// ServeUnix listens on path (ListenUnix) and serves it until Close.
func (s *Server) ServeUnix(path string) error {
	l, err := s.ListenUnix(path)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts dom0 connections on l until Close, which closes l (the
// Unix listener then removes its socket file). It returns nil after
// Close, or the accept error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	s.lis[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lis, l)
		s.mu.Unlock()
		l.Close()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("xenstore: accept: %w", err)
		}
		go s.ServeConn(nc)
	}
}

// ServeConn serves one dom0 client on rwc (a socket, or one end of
// net.Pipe for an in-process client) until it closes, reading requests
// (pipelined, header and payload in any number of writes) and writing
// replies and watch events in order. A header announcing more than
// XENSTORE_PAYLOAD_MAX bytes drops the connection, as in C xenstored.
func (s *Server) ServeConn(rwc io.ReadWriteCloser) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		rwc.Close()
		return
	}
	c := s.newConn(0, "socket")
	c.kill = func() { rwc.Close() }
	s.sockets[rwc] = struct{}{}
	s.serveWG.Add(1)
	s.mu.Unlock()
	defer s.serveWG.Done()

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		var buf []byte
		for {
			var ok bool
			buf, ok = c.out.waitAll(buf[:0])
			if !ok {
				return
			}
			if _, err := rwc.Write(buf); err != nil {
				c.out.close()
				rwc.Close()
				return
			}
			if cap(buf) > 64<<10 {
				buf = nil // do not keep a burst's buffer forever
			}
		}
	}()

	defer func() {
		if p := recover(); p != nil {
			c.log.Error("xenstore: panic serving socket connection, dropping it", "panic", p, "stack", string(debug.Stack()))
		}
		s.mu.Lock()
		s.dropConn(c, "")
		delete(s.sockets, rwc)
		s.mu.Unlock()
		rwc.Close()
		<-writerDone
	}()

	br := bufio.NewReaderSize(rwc, MaxMessageSize)
	for c.out.waitReplies() {
		m, err := ReadMessage(br)
		if err != nil {
			if errors.Is(err, ErrPayloadTooLong) {
				c.log.Warn("xenstore: client sent a payload over XENSTORE_PAYLOAD_MAX, dropping it")
			}
			return
		}
		s.process(c, m)
	}
}
