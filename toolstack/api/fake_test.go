package api

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fakeLifecycle is a Lifecycle over a fixed table: domain 1 "vm1"
// running, domain 2 "vm2" paused. It records the calls and the bodies
// they carried.
type fakeLifecycle struct {
	mu       sync.Mutex
	calls    []string
	creates  []CreateRequest
	shutdown []ShutdownRequest
	renames  []string
	attaches []DiskAttachRequest
	err      error // returned by every method when set
	console  *fakeSession
	writer   bool // a writer is attached
}

var fakeDomains = map[string]DomainInfo{
	"1": {DomID: 1, Name: "vm1", State: "r-----", Status: StatusRunning, MemoryMiB: 32, VCPUs: 1},
	"2": {DomID: 2, Name: "vm2", State: "--p---", Status: StatusPaused, MemoryMiB: 64, VCPUs: 2},
}

func (f *fakeLifecycle) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.err
}

func (f *fakeLifecycle) find(ref string) (DomainInfo, error) {
	for id, d := range fakeDomains {
		if ref == id || ref == d.Name {
			return d, nil
		}
	}
	return DomainInfo{}, NotFound(ref)
}

func (f *fakeLifecycle) Create(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	if err := f.record("create"); err != nil {
		return CreateResponse{}, err
	}
	f.mu.Lock()
	f.creates = append(f.creates, req)
	f.mu.Unlock()
	return CreateResponse{DomID: 7, Name: "new"}, nil
}

func (f *fakeLifecycle) List(ctx context.Context) ([]DomainInfo, error) {
	if err := f.record("list"); err != nil {
		return nil, err
	}
	return []DomainInfo{fakeDomains["1"], fakeDomains["2"]}, nil
}

func (f *fakeLifecycle) Get(ctx context.Context, ref string) (DomainDetail, error) {
	if err := f.record("get " + ref); err != nil {
		return DomainDetail{}, err
	}
	d, err := f.find(ref)
	return DomainDetail{DomainInfo: d, Config: []byte(`{"Name":"` + d.Name + `"}`)}, err
}

func (f *fakeLifecycle) AttachDisk(ctx context.Context, ref string, req DiskAttachRequest) (DiskInfo, error) {
	if err := f.record("attach-disk " + ref); err != nil {
		return DiskInfo{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return DiskInfo{}, err
	}
	f.mu.Lock()
	f.attaches = append(f.attaches, req)
	f.mu.Unlock()
	return DiskInfo{VDev: "xvdb", DevID: 51728, FrontendID: d.DomID, State: 1, EvtchnPort: -1, RingRef: -1}, nil
}

func (f *fakeLifecycle) Disks(ctx context.Context, ref string) ([]DiskInfo, error) {
	if err := f.record("disks " + ref); err != nil {
		return nil, err
	}
	_, err := f.find(ref)
	return nil, err
}

func (f *fakeLifecycle) DetachDisk(ctx context.Context, ref, vdev string) (DiskDetachResult, error) {
	if err := f.record("detach-disk " + ref + " " + vdev); err != nil {
		return DiskDetachResult{}, err
	}
	_, err := f.find(ref)
	return DiskDetachResult{Forced: vdev == "xvdc"}, err
}

func (f *fakeLifecycle) Destroy(ctx context.Context, ref string) error {
	if err := f.record("destroy " + ref); err != nil {
		return err
	}
	_, err := f.find(ref)
	return err
}

func (f *fakeLifecycle) Shutdown(ctx context.Context, ref, reason string, req ShutdownRequest) (ShutdownResult, error) {
	if err := f.record(reason + " " + ref); err != nil {
		return ShutdownResult{}, err
	}
	f.mu.Lock()
	f.shutdown = append(f.shutdown, req)
	f.mu.Unlock()
	d, err := f.find(ref)
	if err != nil {
		return ShutdownResult{}, err
	}
	res := ShutdownResult{DomID: d.DomID, Name: d.Name}
	if req.Wait {
		res.Outcome, res.Reason = "destroyed", reason
	}
	return res, nil
}

// Pause allows running domains only, as the daemon.
func (f *fakeLifecycle) Pause(ctx context.Context, ref string) error {
	if err := f.record("pause " + ref); err != nil {
		return err
	}
	d, err := f.find(ref)
	if err != nil {
		return err
	}
	if d.Status != StatusRunning {
		return Conflict("domain %s is %s", d.Name, d.Status)
	}
	return nil
}

func (f *fakeLifecycle) Unpause(ctx context.Context, ref string) error {
	if err := f.record("unpause " + ref); err != nil {
		return err
	}
	d, err := f.find(ref)
	if err != nil {
		return err
	}
	if d.Status != StatusPaused {
		return Conflict("domain %s is %s", d.Name, d.Status)
	}
	return nil
}

func (f *fakeLifecycle) Rename(ctx context.Context, ref, name string) error {
	if err := f.record("rename " + ref); err != nil {
		return err
	}
	if _, err := f.find(ref); err != nil {
		return err
	}
	if _, err := f.find(name); err == nil {
		return Conflict("domain name %q is in use", name)
	}
	f.mu.Lock()
	f.renames = append(f.renames, name)
	f.mu.Unlock()
	return nil
}

func (f *fakeLifecycle) VCPUs(ctx context.Context, ref string) (VCPUList, error) {
	if err := f.record("vcpus " + ref); err != nil {
		return VCPUList{}, err
	}
	d, err := f.find(ref)
	if err != nil {
		return VCPUList{}, err
	}
	l := VCPUList{DomID: d.DomID, Name: d.Name}
	for i := range d.VCPUs {
		l.VCPUs = append(l.VCPUs, VCPUInfo{VCPU: i, Online: true, Running: true, CPU: -1, Affinity: "all", SoftAffinity: "all"})
	}
	return l, nil
}

func (f *fakeLifecycle) Console(ctx context.Context, ref string, write bool) (ConsoleSession, error) {
	if err := f.record("console " + ref); err != nil {
		return nil, err
	}
	if _, err := f.find(ref); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if write {
		if f.writer {
			return nil, Conflict("the console already has a writer")
		}
		f.writer = true
	}
	s := f.console
	if s == nil {
		s = newFakeSession("")
	}
	s.write = write
	s.owner = f
	return s, nil
}

func (f *fakeLifecycle) Info(ctx context.Context) (HostInfo, error) {
	if err := f.record("info"); err != nil {
		return HostInfo{}, err
	}
	return HostInfo{Host: "fake", XenMajor: 4, XenMinor: 17, XenVersion: "4.17.0-xenolith", Domains: 3}, nil
}

func (f *fakeLifecycle) Dmesg(ctx context.Context) (Dmesg, error) {
	if err := f.record("dmesg"); err != nil {
		return Dmesg{}, err
	}
	return Dmesg{Lines: []string{"one", "two"}}, nil
}

// fakeSession is a console with fixed history, live output from the
// test, and recorded input.
type fakeSession struct {
	history []byte
	live    chan []byte
	input   chan []byte
	closed  chan struct{}
	once    sync.Once
	write   bool
	owner   *fakeLifecycle
}

func newFakeSession(history string) *fakeSession {
	return &fakeSession{history: []byte(history), live: make(chan []byte, 16), input: make(chan []byte, 16), closed: make(chan struct{})}
}

func (s *fakeSession) Output() ([]byte, <-chan []byte) { return s.history, s.live }

func (s *fakeSession) Input(ctx context.Context, p []byte) (int, error) {
	if !s.write {
		return 0, Conflict("read-only")
	}
	s.input <- append([]byte(nil), p...)
	return len(p), nil
}

func (s *fakeSession) Close() error {
	s.once.Do(func() {
		if s.write && s.owner != nil {
			s.owner.mu.Lock()
			s.owner.writer = false
			s.owner.mu.Unlock()
		}
		close(s.closed)
	})
	return nil
}

// serveFake serves NewHandler(f) on a Unix socket in a temp dir and
// returns a client for it.
func serveFake(t *testing.T, f *fakeLifecycle) (*Client, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "xapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: NewHandler(f, nil)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c := NewClient(sock)
	t.Cleanup(c.Close)
	return c, sock
}
