package dom0

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xenolith/xenolith/hypercall"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/backend/blk"
	"github.com/xenolith/xenolith/toolstack/xenstore"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// publishVBD writes the vbd's front-end and back-end directories in one
// transaction, so a guest watching device/vbd sees the device whole: the
// front-end directory owned by the guest and readable by dom0, the
// back-end directory owned by dom0 and readable by the guest (xl's
// permissions; every key inherits its directory's).
func publishVBD(c *xenstore.Client, domid uint16, spec xlcfg.DiskSpec, image, front, back string) error {
	frontPerms := []xenstore.Perm{{Access: xenstore.AccessNone, Domid: domid}, {Access: xenstore.AccessRead, Domid: 0}}
	backPerms := []xenstore.Perm{{Access: xenstore.AccessNone, Domid: 0}, {Access: xenstore.AccessRead, Domid: domid}}
	keys := [][2]string{
		{front + "/backend", back}, {front + "/backend-id", "0"}, {front + "/virtual-device", strconv.FormatUint(uint64(spec.DevID), 10)},
		{front + "/device-type", map[bool]string{true: "cdrom", false: "disk"}[spec.CDROM]}, {front + "/state", "1"},
		{back + "/params", image}, {back + "/type", "phy"}, {back + "/dev", spec.VDev}, {back + "/state", "1"},
	}
	for attempt := 0; ; attempt++ {
		tx, err := c.TransactionStart()
		if err != nil {
			return fmt.Errorf("xenstore: %w", err)
		}
		err = func() error {
			for _, dir := range []struct {
				path  string
				perms []xenstore.Perm
			}{{front, frontPerms}, {back, backPerms}} {
				if err := c.Mkdir(tx, dir.path); err != nil {
					return fmt.Errorf("xenstore %s: %w", dir.path, err)
				}
				if err := c.SetPerms(tx, dir.path, dir.perms); err != nil {
					return fmt.Errorf("xenstore %s: %w", dir.path, err)
				}
			}
			for _, kv := range keys {
				if err := c.Write(tx, kv[0], []byte(kv[1])); err != nil {
					return fmt.Errorf("xenstore %s: %w", kv[0], err)
				}
			}
			return nil
		}()
		if err != nil {
			c.TransactionEnd(tx, false)
			return err
		}
		err = c.TransactionEnd(tx, true)
		if errors.Is(err, hypercall.EAGAIN) && attempt < 16 {
			continue
		}
		if err != nil {
			return fmt.Errorf("xenstore: commit: %w", err)
		}
		return nil
	}
}

// blkConnector connects blkback to a front end's ring the way Linux's
// blkback does: dom0 maps the ring-ref grant and binds the event channel.
type blkConnector struct{ reg *domains.Registry }

func (c blkConnector) Connect(domid uint16, ringRef, port uint32) (blk.Page, blk.Channel, error) {
	r, err := connectRing(c.reg, domid, ringRef, port, "vbd")
	if err != nil {
		return nil, nil, err
	}
	return r.page, r, nil
}

// Disk is a vbd served by blkback for one domain: its xenstore
// directories, the open image and the goroutine that feeds the back end
// its events. A Disk stays online when the guest's front end closes (the
// front end may connect again) until Detach or Close.
type Disk struct {
	// Spec is the disk as configured; Path is the image it serves.
	Spec xlcfg.DiskSpec
	Path string

	domid  uint16
	dev    *blk.Device
	client *xenstore.Client
	file   *os.File
	log    *slog.Logger

	detach     chan struct{} // closed by Detach: go Closing, finish once the front end closed
	stop       chan struct{} // closed to stop at once
	done       chan struct{} // closed when loop has returned
	detachOnce sync.Once
	stopOnce   sync.Once
	closeOnce  sync.Once
}

// AttachDisk publishes vbd spec for domain d in xenstore as xl does
// (publishVBD), opens the image and runs the back end's handshake and
// I/O until Detach or Close. It works the same at domain build and while
// the guest runs (hotplug: a front end watching device/vbd finds it).
func AttachDisk(xs *xenstore.Server, reg *domains.Registry, d *domains.Domain, spec xlcfg.DiskSpec, path string, log *slog.Logger) (*Disk, error) {
	f, sectors, discardOK, err := blk.OpenImage(path, spec.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("disk %s: %w", spec.VDev, err)
	}
	ours, theirs := net.Pipe()
	go xs.ServeConn(theirs)
	c := xenstore.NewClient(ours)
	front, back := blk.FrontPath(d.ID, spec.DevID), blk.BackPath(d.ID, spec.DevID)
	if err := publishVBD(c, d.ID, spec, path, front, back); err != nil {
		c.Close()
		f.Close()
		return nil, fmt.Errorf("disk %s: %w", spec.VDev, err)
	}
	dev := &blk.Device{XS: c, Connector: blkConnector{reg}, BackPath: back, FrontPath: front, Log: log,
		Config: blk.Config{Domid: d.ID, DevID: spec.DevID, File: f, Sectors: sectors, ReadOnly: spec.ReadOnly,
			Discard: discardOK && spec.Discard, Grants: blk.Dom0Grants{Dom0: reg.Dom0()}, Log: log}}
	token, err := dev.Start()
	if err != nil {
		c.Close()
		f.Close()
		return nil, fmt.Errorf("disk %s: %w", spec.VDev, err)
	}
	disk := &Disk{Spec: spec, Path: path, domid: d.ID, dev: dev, client: c, file: f, log: log,
		detach: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go disk.loop(token)
	return disk, nil
}

// loop owns the device: it feeds it its xenstore watch events and
// back-end stops, and carries out Detach and Close.
func (k *Disk) loop(token string) {
	defer close(k.done)
	detach := k.detach
	for {
		select {
		case ev, ok := <-k.client.Events():
			if !ok {
				k.dev.Close()
				return
			}
			if ev.Token != token {
				continue
			}
		case <-k.dev.Stopped():
		case <-detach:
			detach = nil
			// xl's removal: online = 0, back end Closing; the front end
			// then closes and ends access to its grants.
			err := errors.Join(k.client.Write(0, k.dev.BackPath+"/online", []byte("0")), k.dev.Close())
			if err != nil {
				k.log.Warn("vbd detach", "err", err)
			}
			if !k.frontUsesRing() {
				return
			}
			continue
		case <-k.stop:
			if err := k.dev.Close(); err != nil {
				k.log.Warn("vbd stopped", "err", err)
			}
			return
		}
		closed, err := k.dev.Handle()
		if err != nil {
			k.log.Warn("vbd front end refused", "err", err)
		}
		if closed && detach == nil {
			return
		}
	}
}

// frontUsesRing tells whether the front end may hold the ring: false when
// its state is Initialising, Closed or missing (nothing of the guest's
// to wait for when detaching).
func (k *Disk) frontUsesRing() bool {
	v, err := k.client.Read(0, k.dev.FrontPath+"/state")
	if err != nil {
		return false
	}
	switch strings.TrimSpace(string(v)) {
	case "0", "1", "6":
		return false
	}
	return true
}

// DetachTimeout is how long Detach waits for the front end to close, as
// libxl's LIBXL_DESTROY_TIMEOUT.
const DetachTimeout = 10 * time.Second

// Detach removes the disk while the guest runs, as xl block-detach: the
// back end writes online = 0 and goes Closing, and the front end has
// timeout to close. A front end that does not is disconnected anyway, as
// libxl falls back to a forced removal: forced is then true. Either way
// the vbd's xenstore directories are removed and the image closed.
func (k *Disk) Detach(timeout time.Duration) (forced bool, err error) {
	k.detachOnce.Do(func() { close(k.detach) })
	select {
	case <-k.done:
	case <-time.After(timeout):
		forced = true
		k.log.Warn("vbd front end did not close: disconnecting it", "timeout", timeout)
	}
	return forced, k.Close()
}

// Close stops serving at once (domain teardown), removes the vbd's
// xenstore directories and releases the image.
func (k *Disk) Close() error {
	var err error
	k.closeOnce.Do(func() {
		k.stopOnce.Do(func() { close(k.stop) })
		<-k.done
		err = k.removeNodes()
		k.client.Close()
		if e := k.file.Close(); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// removeNodes deletes the front-end and back-end directories, and the
// back end's per-domain directory once empty (libxl's path cleanup).
func (k *Disk) removeNodes() error {
	var errs []error
	for _, p := range []string{k.dev.FrontPath, k.dev.BackPath} {
		if err := k.client.Rm(0, p); err != nil && !errors.Is(err, hypercall.ENOENT) {
			errs = append(errs, fmt.Errorf("xenstore rm %s: %w", p, err))
		}
	}
	parent := path.Dir(k.dev.BackPath)
	if kids, err := k.client.Directory(0, parent); err == nil && len(kids) == 0 {
		k.client.Rm(0, parent)
	}
	return errors.Join(errs...)
}

// DiskInfo is one line of xl block-list: the front end's view, read from
// xenstore (its values are the guest's, so -1 when missing or garbled).
type DiskInfo struct {
	DevID      uint32
	BackendID  uint16
	FrontendID uint16
	State      int // the front end's XenbusState
	BackState  int // the back end's XenbusState
	EvtchnPort int // the front end's event-channel key
	RingRef    int // the front end's ring-ref key
	BackPath   string
}

// Info reads the disk's state as xl block-list does.
func (k *Disk) Info() DiskInfo {
	num := func(p string) int {
		v, err := k.client.Read(0, p)
		if err != nil {
			return -1
		}
		n, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 31)
		if err != nil {
			return -1
		}
		return int(n)
	}
	return DiskInfo{
		DevID: k.Spec.DevID, FrontendID: k.domid, BackPath: k.dev.BackPath,
		State: num(k.dev.FrontPath + "/state"), BackState: num(k.dev.BackPath + "/state"),
		EvtchnPort: num(k.dev.FrontPath + "/event-channel"), RingRef: num(k.dev.FrontPath + "/ring-ref"),
	}
}
