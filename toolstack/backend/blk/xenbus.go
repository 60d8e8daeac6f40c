package blk

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

// state is a xenbus state (io/xenbus.h, digest 9.1) of the back end.
//
//	Initialising --features written--> InitWait --front Initialised/Connected, ring mapped--> Connected
//	Initialising, InitWait, Connected --front Closing/Closed, Close, or hostile front end--> Closing
//	Closing --> Closed
//	Closed --front Initialising again--> InitWait (the front end reconnects)
type state uint32

const (
	stateInitialising state = hypercall.XenbusStateInitialising
	stateInitWait     state = hypercall.XenbusStateInitWait
	stateConnected    state = hypercall.XenbusStateConnected
	stateClosing      state = hypercall.XenbusStateClosing
	stateClosed       state = hypercall.XenbusStateClosed
)

func (s state) String() string {
	switch s {
	case stateInitialising:
		return "Initialising"
	case stateInitWait:
		return "InitWait"
	case stateConnected:
		return "Connected"
	case stateClosing:
		return "Closing"
	case stateClosed:
		return "Closed"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// next is the one transition function: the state after from on the way
// to to, or ErrBadTransition for an edge not in the diagram.
func next(from, to state) (state, error) {
	switch {
	case from == stateInitialising && to == stateInitWait,
		from == stateInitWait && to == stateConnected,
		(from == stateInitialising || from == stateInitWait || from == stateConnected) && to == stateClosing,
		from == stateClosing && to == stateClosed,
		from == stateClosed && to == stateInitWait:
		return to, nil
	}
	return from, fmt.Errorf("%w: %s -> %s", ErrBadTransition, from, to)
}

// Connector maps the front end's ring and binds its port. The daemon
// implements it over dom0: Ring = reg.Dom0().MapGrant(domid, ringRef,
// false); Channel = EvtchnBindInterdomain(domid, port) + Dom0Handle for
// Kicks + EvtchnSend for Notify + EvtchnClose (as toolstack/dom0's
// sharedRing does for the console).
type Connector interface {
	Connect(domid uint16, ringRef, port uint32) (Page, Channel, error)
}

// Device is one vbd's xenbus handshake: it publishes the back end's
// keys under BackPath, follows the front end's state, and runs a Backend
// while Connected.
//
// Locking: Start, Handle, Stopped and Close are called from one goroutine
// (the daemon's event loop for this device).
type Device struct {
	XS        *xenstore.Client
	Connector Connector
	BackPath  string // /local/domain/0/backend/vbd/<domid>/<devid>
	FrontPath string // /local/domain/<domid>/device/vbd/<devid>
	Config    Config // everything but Ring and Channel, which Connect supplies
	Log       *slog.Logger

	state state
	b     *Backend
}

// BackPath returns /local/domain/0/backend/vbd/<domid>/<devid>.
func BackPath(domid uint16, devid uint32) string {
	return fmt.Sprintf("/local/domain/0/backend/vbd/%d/%d", domid, devid)
}

// FrontPath returns /local/domain/<domid>/device/vbd/<devid>.
func FrontPath(domid uint16, devid uint32) string {
	return fmt.Sprintf("/local/domain/%d/device/vbd/%d", domid, devid)
}

func (d *Device) move(to state) error {
	s, err := next(d.state, to)
	if err != nil {
		return fmt.Errorf("blk: domain %d vbd %d: %w", d.Config.Domid, d.Config.DevID, err)
	}
	d.state = s
	return d.XS.Write(0, d.BackPath+"/state", []byte(strconv.Itoa(int(s))))
}

// Start publishes the features and goes to InitWait, then watches the
// front end's state. Call Handle with each event from d.XS.Events() whose
// token is the returned token (the daemon owns the event loop).
func (d *Device) Start() (token string, err error) {
	d.state = stateInitialising
	c := d.Config
	maxInd := c.MaxIndirectSegments
	if maxInd == 0 {
		maxInd = DefaultIndirectSegments
	}
	info, mode := 0, "w"
	if c.ReadOnly {
		info, mode = hypercall.VdiskReadonly, "r"
	}
	b2s := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	keys := [][2]string{
		{"frontend", d.FrontPath},
		{"frontend-id", strconv.Itoa(int(c.Domid))},
		{"online", "1"},
		{"feature-flush-cache", "1"},
		{"feature-persistent", "1"},
		{"feature-barrier", b2s(!c.ReadOnly)},
		{"feature-discard", b2s(c.Discard && !c.ReadOnly)},
		{"sectors", strconv.FormatUint(c.Sectors, 10)},
		{"sector-size", "512"},
		{"info", strconv.Itoa(info)},
		{"mode", mode},
	}
	if maxInd > 0 {
		keys = append(keys, [2]string{"feature-max-indirect-segments", strconv.Itoa(maxInd)})
	}
	for _, kv := range keys {
		if err := d.XS.Write(0, d.BackPath+"/"+kv[0], []byte(kv[1])); err != nil {
			return "", fmt.Errorf("blk: write %s: %w", kv[0], err)
		}
	}
	if err := d.move(stateInitWait); err != nil {
		return "", err
	}
	token = "blkback:" + d.BackPath
	if err := d.XS.Watch(d.FrontPath+"/state", token); err != nil {
		return "", fmt.Errorf("blk: watch front state: %w", err)
	}
	return token, nil
}

// Handle reacts to the front end's state (called on each watch event,
// and safe to call spuriously). It returns closed = true when the device
// has just reached Closed; it stays watched, and a front end that goes
// back to Initialising gets InitWait again and may reconnect (as Linux's
// blkback does while the device is online). A front end with bad keys is
// refused: the device closes.
func (d *Device) Handle() (closed bool, err error) {
	if d.b != nil {
		select {
		case <-d.b.Done(): // stopped by a hostile front end
			err = d.b.Err()
			d.b = nil
			if d.state == stateConnected {
				if e := d.move(stateClosing); e != nil {
					return false, errors.Join(err, e)
				}
			}
			return false, err
		default:
		}
	}
	v, rerr := d.XS.Read(0, d.FrontPath+"/state")
	if rerr != nil {
		return false, nil // not written yet, or removed: wait for the next event
	}
	fs, perr := strconv.Atoi(strings.TrimSpace(string(v)))
	if perr != nil {
		return false, nil
	}
	switch fs {
	case hypercall.XenbusStateInitialising:
		if d.state != stateClosed {
			return false, nil
		}
		return false, d.move(stateInitWait)
	case hypercall.XenbusStateInitialised, hypercall.XenbusStateConnected:
		if d.state != stateInitWait {
			return false, nil
		}
		if err := d.connect(); err != nil {
			if e := d.move(stateClosing); e != nil {
				err = errors.Join(err, e)
			}
			return false, err
		}
		return false, d.move(stateConnected)
	case hypercall.XenbusStateClosing:
		if d.state == stateClosing || d.state == stateClosed {
			return false, nil
		}
		err := d.stop()
		return false, errors.Join(err, d.move(stateClosing))
	case hypercall.XenbusStateClosed, hypercall.XenbusStateUnknown:
		if d.state == stateClosed {
			return false, nil
		}
		err := d.stop()
		if d.state != stateClosing {
			err = errors.Join(err, d.move(stateClosing))
		}
		return true, errors.Join(err, d.move(stateClosed))
	}
	return false, nil
}

// Stopped is closed when the running Backend stops by itself (a hostile
// front end); the daemon then calls Handle, which moves the device to
// Closing. nil (blocks forever) while not connected.
func (d *Device) Stopped() <-chan struct{} {
	if d.b == nil {
		return nil
	}
	return d.b.Done()
}

// State is the back end's xenbus state (XenbusState*).
func (d *Device) State() uint32 { return uint32(d.state) }

// Close stops serving (toolstack detach) and goes Closing.
func (d *Device) Close() error {
	err := d.stop()
	if d.state == stateInitWait || d.state == stateConnected || d.state == stateInitialising {
		err = errors.Join(err, d.move(stateClosing))
	}
	return err
}

func (d *Device) stop() error {
	if d.b == nil {
		return nil
	}
	err := d.b.Close()
	d.b = nil
	return err
}

func (d *Device) readUint(key string) (uint64, error) {
	v, err := d.XS.Read(0, d.FrontPath+"/"+key)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrHandshake, key, err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(v)), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %s = %q", ErrHandshake, key, v)
	}
	return n, nil
}

// connect reads ring-ref, event-channel and protocol, maps and binds, and
// starts the Backend.
func (d *Device) connect() error {
	ref, err := d.readUint("ring-ref")
	if err != nil {
		return err
	}
	port, err := d.readUint("event-channel")
	if err != nil {
		return err
	}
	if v, err := d.XS.Read(0, d.FrontPath+"/protocol"); err == nil && string(v) != "x86_64-abi" {
		return fmt.Errorf("%w: protocol %q (only x86_64-abi)", ErrHandshake, v)
	}
	page, ch, err := d.Connector.Connect(d.Config.Domid, uint32(ref), uint32(port))
	if err != nil {
		return fmt.Errorf("blk: domain %d vbd %d: connect ring-ref %d port %d: %w", d.Config.Domid, d.Config.DevID, ref, port, err)
	}
	cfg := d.Config
	cfg.Ring, cfg.Channel = page, ch
	if v, err := d.XS.Read(0, d.FrontPath+"/feature-persistent"); err == nil && strings.TrimSpace(string(v)) == "1" {
		cfg.Persistent = true
	}
	if cfg.Log == nil {
		cfg.Log = d.Log
	}
	b, err := New(cfg)
	if err != nil {
		page.Unmap()
		ch.Close()
		return err
	}
	d.b = b
	return nil
}
