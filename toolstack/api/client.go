package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// DefaultSocketPath is where the daemon listens unless told otherwise.
const DefaultSocketPath = "/run/xenolith/xenolith.sock"

// SocketEnv names the environment variable that overrides
// DefaultSocketPath for the daemon and the CLI.
const SocketEnv = "XENOLITH_SOCKET"

// DefaultSocket is $XENOLITH_SOCKET, or DefaultSocketPath.
func DefaultSocket() string {
	if s := os.Getenv(SocketEnv); s != "" {
		return s
	}
	return DefaultSocketPath
}

// maxResponseBytes bounds a response body the client reads.
const maxResponseBytes = 64 << 20

// Client calls the daemon's API on its Unix socket. Methods are safe for
// concurrent use. Errors from the daemon are *Error; when nothing listens
// on the socket the error wraps ErrNoDaemon and says how to start one.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client for the daemon at socket ("" means
// DefaultSocket()).
func NewClient(socket string) *Client {
	if socket == "" {
		socket = DefaultSocket()
	}
	c := &Client{socket: socket}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) },
		DisableKeepAlives: false,
		MaxIdleConns:      2,
	}}
	return c
}

// Socket returns the socket the client talks to.
func (c *Client) Socket() string { return c.socket }

// Close releases idle connections.
func (c *Client) Close() {
	c.hc.CloseIdleConnections()
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &noDaemonError{socket: c.socket, err: err}
		}
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("cannot connect to the xenolith daemon at %s: permission denied (the socket is root's: run as root)", c.socket)
		}
		return nil, fmt.Errorf("cannot connect to the xenolith daemon at %s: %w", c.socket, err)
	}
	return conn, nil
}

// do sends a request with body in (nil for none) and decodes a 2xx
// answer into out (nil to ignore it).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://xenolith"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var nd *noDaemonError
		if errors.As(err, &nd) {
			return nd
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("reading the daemon's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return responseError(resp.StatusCode, b)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the daemon's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// responseError decodes an error body; a body that is not one still
// gives an *Error with the status.
func responseError(status int, b []byte) *Error {
	e := &Error{}
	if err := json.Unmarshal(b, e); err != nil || e.Message == "" {
		msg := strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		e.Message = fmt.Sprintf("daemon answered %d %s: %s", status, http.StatusText(status), msg)
	}
	e.Status = status
	return e
}

func domainPath(ref string, rest string) string {
	return "/v1/domains/" + url.PathEscape(ref) + rest
}

// Create builds a domain (POST /v1/domains).
func (c *Client) Create(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	var out CreateResponse
	err := c.do(ctx, "POST", "/v1/domains", req, &out)
	return out, err
}

// List returns every domain, Domain-0 first (GET /v1/domains).
func (c *Client) List(ctx context.Context) ([]DomainInfo, error) {
	var out []DomainInfo
	err := c.do(ctx, "GET", "/v1/domains", nil, &out)
	return out, err
}

// Get returns one domain and its config (GET /v1/domains/{ref}).
func (c *Client) Get(ctx context.Context, ref string) (DomainDetail, error) {
	var out DomainDetail
	err := c.do(ctx, "GET", domainPath(ref, ""), nil, &out)
	return out, err
}

// Destroy destroys a domain (DELETE /v1/domains/{ref}).
func (c *Client) Destroy(ctx context.Context, ref string) error {
	return c.do(ctx, "DELETE", domainPath(ref, ""), nil, nil)
}

// Shutdown asks a guest to power off (POST .../shutdown).
func (c *Client) Shutdown(ctx context.Context, ref string, req ShutdownRequest) (ShutdownResult, error) {
	var out ShutdownResult
	err := c.do(ctx, "POST", domainPath(ref, "/shutdown"), req, &out)
	return out, err
}

// Reboot asks a guest to reboot (POST .../reboot).
func (c *Client) Reboot(ctx context.Context, ref string, req ShutdownRequest) (ShutdownResult, error) {
	var out ShutdownResult
	err := c.do(ctx, "POST", domainPath(ref, "/reboot"), req, &out)
	return out, err
}

// Pause pauses a running domain (POST .../pause).
func (c *Client) Pause(ctx context.Context, ref string) error {
	return c.do(ctx, "POST", domainPath(ref, "/pause"), nil, nil)
}

// Unpause resumes a paused domain (POST .../unpause).
func (c *Client) Unpause(ctx context.Context, ref string) error {
	return c.do(ctx, "POST", domainPath(ref, "/unpause"), nil, nil)
}

// Rename renames a domain (POST .../rename).
func (c *Client) Rename(ctx context.Context, ref, name string) error {
	return c.do(ctx, "POST", domainPath(ref, "/rename"), RenameRequest{Name: name}, nil)
}

// VCPUs lists a domain's vCPUs (GET .../vcpus).
func (c *Client) VCPUs(ctx context.Context, ref string) (VCPUList, error) {
	var out VCPUList
	err := c.do(ctx, "GET", domainPath(ref, "/vcpus"), nil, &out)
	return out, err
}

// AttachDisk is POST /v1/domains/{ref}/disks.
func (c *Client) AttachDisk(ctx context.Context, ref string, req DiskAttachRequest) (DiskInfo, error) {
	var out DiskInfo
	err := c.do(ctx, "POST", domainPath(ref, "/disks"), req, &out)
	return out, err
}

// Disks is GET /v1/domains/{ref}/disks.
func (c *Client) Disks(ctx context.Context, ref string) ([]DiskInfo, error) {
	var out []DiskInfo
	err := c.do(ctx, "GET", domainPath(ref, "/disks"), nil, &out)
	return out, err
}

// DetachDisk is DELETE /v1/domains/{ref}/disks/{vdev}.
func (c *Client) DetachDisk(ctx context.Context, ref, vdev string) (DiskDetachResult, error) {
	var out DiskDetachResult
	err := c.do(ctx, "DELETE", domainPath(ref, "/disks/"+url.PathEscape(vdev)), nil, &out)
	return out, err
}

// Info describes the host (GET /v1/info).
func (c *Client) Info(ctx context.Context) (HostInfo, error) {
	var out HostInfo
	err := c.do(ctx, "GET", "/v1/info", nil, &out)
	return out, err
}

// Dmesg returns the daemon's recent log lines (GET /v1/dmesg).
func (c *Client) Dmesg(ctx context.Context) (Dmesg, error) {
	var out Dmesg
	err := c.do(ctx, "GET", "/v1/dmesg", nil, &out)
	return out, err
}

// Console attaches to a domain's console (GET .../console, upgraded to a
// byte stream). With write the connection also carries input; a 409
// means another client writes. ctx bounds the handshake only.
func (c *Client) Console(ctx context.Context, ref string, write bool) (*ConsoleConn, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	path := domainPath(ref, "/console")
	if write {
		path += "?write=1"
	}
	req, err := http.NewRequest("GET", "http://xenolith"+path, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", ConsoleProtocol)
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if !stop() {
		conn.Close()
		return nil, ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("console: reading the daemon's answer: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
		resp.Body.Close()
		conn.Close()
		return nil, responseError(resp.StatusCode, b)
	}
	return &ConsoleConn{conn: conn, r: br}, nil
}
