package xenstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/xenolith/xenolith/hypercall"
)

// WatchEvent is a WATCH_EVENT as a client receives it.
type WatchEvent struct {
	Path  string
	Token string
}

// Client is a xenstore client over a byte stream (the Unix socket, or
// net.Pipe to Server.ServeConn): the Go counterpart of libxenstore for
// Xenolith's toolstack, tests and benchmarks. Requests may be issued
// from many goroutines; they are pipelined and their replies matched in
// order. Watch events arrive on Events, which must be drained.
type Client struct {
	rwc    io.ReadWriteCloser
	events chan WatchEvent

	wmu sync.Mutex // serializes writes and the pending queue's order
	mu  sync.Mutex // guards pending, reqID, err
	// pending holds one channel per request sent, in order.
	pending []chan Message
	reqID   uint32
	err     error
	closing chan struct{} // closed by Close: stop delivering events
	done    chan struct{} // closed when readLoop has returned
	once    sync.Once
}

// Dial connects to a xenstored's Unix socket.
func Dial(path string) (*Client, error) {
	nc, err := net.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("xenstore: %w", err)
	}
	return NewClient(nc), nil
}

// NewClient returns a client speaking on rwc.
func NewClient(rwc io.ReadWriteCloser) *Client {
	c := &Client{rwc: rwc, events: make(chan WatchEvent, 256), closing: make(chan struct{}), done: make(chan struct{})}
	go c.readLoop()
	return c
}

// Close closes the connection; pending requests fail with ErrClosed.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.closing) })
	err := c.rwc.Close()
	<-c.done
	return err
}

// Events returns the channel of watch events. It is closed when the
// connection ends.
func (c *Client) Events() <-chan WatchEvent { return c.events }

func (c *Client) readLoop() {
	defer close(c.done)
	defer close(c.events)
	br := bufio.NewReaderSize(c.rwc, MaxMessageSize)
	for {
		m, err := ReadMessage(br)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = ErrClosed
			}
			c.fail(err)
			return
		}
		if m.Type == hypercall.XsWatchEvent {
			if f := payloadStrings(m.Payload); len(f) >= 2 {
				select {
				case c.events <- WatchEvent{Path: f[0], Token: f[1]}:
				case <-c.closing:
				}
			}
			continue
		}
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			c.fail(fmt.Errorf("xenstore: unexpected %s reply", typeName(m.Type)))
			return
		}
		ch := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		ch <- m
	}
}

func (c *Client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for _, ch := range c.pending {
		close(ch)
	}
	c.pending = nil
}

// Do sends a request and returns the reply. An ERROR reply is returned as
// the hypercall.Errno it names (EINVAL for an unknown name, as
// libxenstore).
func (c *Client) Do(m Message) (Message, error) {
	ch := make(chan Message, 1)
	c.wmu.Lock()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		c.wmu.Unlock()
		return Message{}, err
	}
	c.reqID++
	m.ReqID = c.reqID
	c.pending = append(c.pending, ch)
	c.mu.Unlock()
	_, err := c.rwc.Write(m.Append(make([]byte, 0, HeaderSize+len(m.Payload))))
	c.wmu.Unlock()
	if err != nil {
		c.rwc.Close()
		return Message{}, fmt.Errorf("xenstore: %w", err)
	}
	r, ok := <-ch
	if !ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		return Message{}, c.err
	}
	if r.ReqID != m.ReqID {
		return Message{}, fmt.Errorf("xenstore: reply req_id %d for request %d", r.ReqID, m.ReqID)
	}
	if r.Type == hypercall.XsError {
		name, _ := oneArg(r.Payload)
		e, ok := hypercall.ParseErrno(name)
		if !ok {
			e = hypercall.EINVAL
		}
		return r, e
	}
	if r.Type != m.Type {
		return r, fmt.Errorf("xenstore: %s reply to %s", typeName(r.Type), typeName(m.Type))
	}
	return r, nil
}

func (c *Client) do(typ, tx uint32, payload []byte) ([]byte, error) {
	r, err := c.Do(Message{Type: typ, TxID: tx, Payload: payload})
	return r.Payload, err
}

func pathArg(path string) []byte { return appendString(nil, path) }

// Read returns the value at path (tx 0: no transaction).
func (c *Client) Read(tx uint32, path string) ([]byte, error) {
	return c.do(hypercall.XsRead, tx, pathArg(path))
}

// Write sets the value at path, creating it and its parents.
func (c *Client) Write(tx uint32, path string, value []byte) error {
	_, err := c.do(hypercall.XsWrite, tx, append(pathArg(path), value...))
	return err
}

// Mkdir creates an empty node (fine if it exists).
func (c *Client) Mkdir(tx uint32, path string) error {
	_, err := c.do(hypercall.XsMkdir, tx, pathArg(path))
	return err
}

// Rm removes path and its subtree.
func (c *Client) Rm(tx uint32, path string) error {
	_, err := c.do(hypercall.XsRm, tx, pathArg(path))
	return err
}

// Directory lists the children of path, in creation order.
func (c *Client) Directory(tx uint32, path string) ([]string, error) {
	p, err := c.do(hypercall.XsDirectory, tx, pathArg(path))
	if err != nil {
		return nil, err
	}
	return payloadStrings(p), nil
}

// GetPerms returns path's permissions.
func (c *Client) GetPerms(tx uint32, path string) ([]Perm, error) {
	p, err := c.do(hypercall.XsGetPerms, tx, pathArg(path))
	if err != nil {
		return nil, err
	}
	var perms []Perm
	for _, s := range payloadStrings(p) {
		pp, err := ParsePerm(s)
		if err != nil {
			return nil, fmt.Errorf("xenstore: GET_PERMS reply %q: %w", s, err)
		}
		perms = append(perms, pp)
	}
	return perms, nil
}

// SetPerms sets path's permissions (the first entry is the owner).
func (c *Client) SetPerms(tx uint32, path string, perms []Perm) error {
	payload := pathArg(path)
	for _, p := range perms {
		payload = appendString(payload, p.String())
	}
	_, err := c.do(hypercall.XsSetPerms, tx, payload)
	return err
}

// Watch registers a watch; its first event follows at once.
func (c *Client) Watch(path, token string) error {
	_, err := c.do(hypercall.XsWatch, 0, appendString(pathArg(path), token))
	return err
}

// Unwatch removes a watch.
func (c *Client) Unwatch(path, token string) error {
	_, err := c.do(hypercall.XsUnwatch, 0, appendString(pathArg(path), token))
	return err
}

// TransactionStart opens a transaction and returns its id.
func (c *Client) TransactionStart() (uint32, error) {
	p, err := c.do(hypercall.XsTransactionStart, 0, []byte{0})
	if err != nil {
		return 0, err
	}
	s, _ := oneArg(p)
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("xenstore: TRANSACTION_START reply %q", s)
	}
	return uint32(id), nil
}

// TransactionEnd commits (commit true) or aborts a transaction. A commit
// that conflicts fails with hypercall.EAGAIN: start again.
func (c *Client) TransactionEnd(tx uint32, commit bool) error {
	arg := "F"
	if commit {
		arg = "T"
	}
	_, err := c.do(hypercall.XsTransactionEnd, tx, pathArg(arg))
	return err
}
