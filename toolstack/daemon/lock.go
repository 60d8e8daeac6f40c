package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrAlreadyRunning: another daemon holds the socket's lock.
var ErrAlreadyRunning = errors.New("another xenolith daemon is running")

// runningError names the socket and the other daemon's pid.
type runningError struct {
	socket string
	pid    string
}

func (e *runningError) Error() string {
	return fmt.Sprintf("another xenolith daemon is running on %s (pid %s)", e.socket, e.pid)
}

func (e *runningError) Unwrap() error { return ErrAlreadyRunning }

// socketLock is an exclusive flock on "<socket>.lock" holding the owner's
// pid. The kernel drops it when the process dies, so a crashed daemon
// leaves no stale lock, only a stale socket file that the next one
// removes.
type socketLock struct {
	f *os.File
}

// lockSocket creates the socket's directory (mode 0755), takes the lock,
// writes our pid into it and removes a stale socket file.
func lockSocket(socket string) (*socketLock, error) {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	f, err := os.OpenFile(socket+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("daemon lock: %w", err)
	}
	if err := flock(f); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid := strings.TrimSpace(string(b[:n]))
			if pid == "" {
				pid = "unknown"
			}
			return nil, &runningError{socket: socket, pid: pid}
		}
		return nil, fmt.Errorf("daemon lock %s: %w", f.Name(), err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if fi, err := os.Lstat(socket); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			f.Close()
			return nil, fmt.Errorf("%s exists and is not a socket: remove it or choose another --socket", socket)
		}
		// We hold the lock: whoever made it is gone.
		os.Remove(socket)
	}
	return &socketLock{f: f}, nil
}

func flock(f *os.File) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			return err
		}
	}
}

// unlock releases the lock (the lock file stays: removing it would let a
// newcomer lock a fresh inode while a late one still holds the old).
func (l *socketLock) unlock() {
	l.f.Close()
}

// listenSocket listens on socket with mode 0600 (root's tools only).
func listenSocket(socket string) (net.Listener, error) {
	l, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if err := os.Chmod(socket, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	return l, nil
}
