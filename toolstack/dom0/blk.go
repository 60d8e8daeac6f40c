package dom0

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/backend/blk"
	"github.com/xenolith/xenolith/toolstack/xenstore"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

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

// Disk is a vbd served by blkback for one domain.
type Disk struct {
	dev    *blk.Device
	client *xenstore.Client
	file   *os.File
	done   chan struct{}
}

// AttachDisk publishes vbd spec for domain d in xenstore as xl does (the
// front-end directory owned by the guest, readable by dom0; the back-end
// directory owned by dom0, readable by the guest), opens the image and
// runs the back end's handshake and I/O until Close.
func AttachDisk(xs *xenstore.Server, reg *domains.Registry, d *domains.Domain, spec xlcfg.DiskSpec, path string, log *slog.Logger) (*Disk, error) {
	f, sectors, discardOK, err := blk.OpenImage(path, spec.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("disk %s: %w", spec.VDev, err)
	}
	ours, theirs := net.Pipe()
	go xs.ServeConn(theirs)
	c := xenstore.NewClient(ours)
	front, back := blk.FrontPath(d.ID, spec.DevID), blk.BackPath(d.ID, spec.DevID)
	frontPerms := []xenstore.Perm{{Access: xenstore.AccessNone, Domid: d.ID}, {Access: xenstore.AccessRead, Domid: 0}}
	backPerms := []xenstore.Perm{{Access: xenstore.AccessNone, Domid: 0}, {Access: xenstore.AccessRead, Domid: d.ID}}
	// Directories first, with xl's permissions, so every key written
	// below (and by the back end) inherits them.
	for _, dir := range []struct {
		path  string
		perms []xenstore.Perm
	}{{front, frontPerms}, {back, backPerms}} {
		if err = c.Mkdir(0, dir.path); err == nil {
			err = c.SetPerms(0, dir.path, dir.perms)
		}
		if err != nil {
			c.Close()
			f.Close()
			return nil, fmt.Errorf("disk %s: xenstore %s: %w", spec.VDev, dir.path, err)
		}
	}
	for _, kv := range [][2]string{
		{front + "/backend", back}, {front + "/backend-id", "0"}, {front + "/virtual-device", strconv.FormatUint(uint64(spec.DevID), 10)},
		{front + "/device-type", map[bool]string{true: "cdrom", false: "disk"}[spec.CDROM]}, {front + "/state", "1"},
		{back + "/params", path}, {back + "/type", "phy"}, {back + "/dev", spec.VDev}, {back + "/state", "1"},
	} {
		if err := c.Write(0, kv[0], []byte(kv[1])); err != nil {
			c.Close()
			f.Close()
			return nil, fmt.Errorf("disk %s: xenstore %s: %w", spec.VDev, kv[0], err)
		}
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
	disk := &Disk{dev: dev, client: c, file: f, done: make(chan struct{})}
	go disk.loop(token, log)
	return disk, nil
}

// loop feeds the device its xenstore watch events and back-end stops.
func (k *Disk) loop(token string, log *slog.Logger) {
	defer close(k.done)
	for {
		select {
		case ev, ok := <-k.client.Events():
			if !ok {
				return
			}
			if ev.Token != token {
				continue
			}
		case <-k.dev.Stopped():
		}
		if done, err := k.dev.Handle(); err != nil || done {
			if err != nil {
				log.Warn("vbd stopped", "err", err)
			}
			return
		}
	}
}

// Close stops the back end and releases the image.
func (k *Disk) Close() error {
	err := k.dev.Close()
	k.client.Close()
	<-k.done
	k.file.Close()
	return err
}
