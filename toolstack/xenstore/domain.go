package xenstore

import (
	"fmt"
	"strconv"

	"github.com/xenolith/xenolith/hypercall"
)

// domain is an introduced domain: its connection and ring. Guarded by
// Server.mu.
type domain struct {
	domid    uint16
	c        *conn
	rc       *ringConn
	shutdown bool // RESUME clears it; kept for C compatibility
}

// Introduce connects a domain's ring (the toolstack calls it after
// building the domain and before unpausing it; INTRODUCE messages reach it
// through the Connector). Like C xenstored it zeroes the ring indexes and
// announces reconnection and the error field in server_features, and
// fires @introduceDomain. Introducing an introduced domain again replaces
// its ring and resets its connection (C rebinds the port), without
// firing @introduceDomain. The server owns ring from here on and closes
// it on Release, DomainDied or Close; if Introduce fails, the caller
// keeps it.
func (s *Server) Introduce(domid uint16, ring Ring) error {
	if domid == 0 || domid >= hypercall.DomidFirstReserved {
		return domidError(ErrBadDomid, domid)
	}
	rc, err := newRingConn(ring)
	if err != nil {
		return domidError(err, domid)
	}
	// A domain introduced again: stop the old ring first, it may be the
	// same guest page.
	s.mu.Lock()
	old := s.releaseLocked(domid, false)
	s.mu.Unlock()
	if old != nil {
		<-old.done
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.domains[domid] != nil {
		s.mu.Unlock()
		return domidError(ErrAlreadyIntroduced, domid)
	}
	c := s.newConn(domid, "ring")
	rc.s, rc.c = s, c
	rc.reset()
	s.domains[domid] = &domain{domid: domid, c: c, rc: rc}
	if old == nil {
		s.fireSpecial(IntroduceDomainPath)
	}
	s.mu.Unlock()
	c.log.Info("xenstore: domain introduced")
	go rc.run()
	return nil
}

// Release disconnects a domain (RELEASE): its watches and transactions
// go, its Ring is closed, @releaseDomain fires. Its nodes stay (the
// toolstack removes them, or calls DomainDied instead). It returns once
// the ring is closed.
func (s *Server) Release(domid uint16) error {
	s.mu.Lock()
	if s.domains[domid] == nil {
		s.mu.Unlock()
		return domidError(ErrNotIntroduced, domid)
	}
	rc := s.releaseLocked(domid, true)
	s.mu.Unlock()
	<-rc.done
	return nil
}

// IsIntroduced reports whether a domain has a connection (dom0 always
// has).
func (s *Server) IsIntroduced(domid uint16) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return domid == 0 || s.domains[domid] != nil
}

// DomainDied cleans up after a domain that is gone: it is released if it
// was introduced, its home directory /local/domain/<domid> and its /vm
// directory are removed (watches fire), and @releaseDomain fires.
func (s *Server) DomainDied(domid uint16) {
	if domid == 0 {
		return
	}
	s.mu.Lock()
	var rc *ringConn
	if s.domains[domid] != nil {
		rc = s.releaseLocked(domid, false)
	}
	home := DomainPath(domid)
	if vm, err := s.callLocked(hypercall.XsRead, appendString(nil, home+"/vm")); err == nil && len(vm) > len("/vm/") && string(vm[:4]) == "/vm/" {
		s.callLocked(hypercall.XsRm, appendString(nil, string(vm)))
	}
	s.callLocked(hypercall.XsRm, appendString(nil, home))
	s.fireSpecial(ReleaseDomainPath)
	s.mu.Unlock()
	if rc != nil {
		<-rc.done
		rc.c.log.Info("xenstore: domain died")
	}
}

// releaseLocked forgets domid's domain and stops its ring goroutine,
// which closes the Ring; with fire, @releaseDomain fires. It returns the
// ringConn (wait on its done) or nil if domid was not introduced. Caller
// holds s.mu.
func (s *Server) releaseLocked(domid uint16, fire bool) *ringConn {
	d := s.domains[domid]
	if d == nil {
		return nil
	}
	delete(s.domains, domid)
	close(d.rc.stop) // before dropConn: the loop must not mistake it for a drop
	s.dropConn(d.c, "")
	if fire {
		s.fireSpecial(ReleaseDomainPath)
	}
	d.c.log.Info("xenstore: domain released")
	return d.rc
}

// DomainNodes describes a new domain for WriteDomainNodes.
type DomainNodes struct {
	Domid        uint16
	Name         string
	UUID         string // for /vm/<uuid>; "" derives one from the domid
	VCPUs        int    // cpu/0..VCPUs-1/availability = "online"
	MaxMemKiB    uint64 // memory/static-max
	TargetMemKiB uint64 // memory/target; 0 means MaxMemKiB
	StorePort    uint32 // store/port, if not 0 (a deprecated copy of HVM_PARAM_STORE_EVTCHN)
	StoreGfn     uint64 // store/ring-ref, if StorePort is set
	ConsolePort  uint32 // console/port, if not 0: also writes the console directory
	ConsoleGfn   uint64 // console/ring-ref
}

// consoleLimit is libxl's LIBXL_XENCONSOLE_LIMIT (bytes).
const consoleLimit = "1048576"

// WriteDomainNodes writes a new domain's home directory as libxl does
// (libxl__domain_make, libxl__build_post), atomically for readers:
//
//	/local/domain/<id>                     n0,r<id>   (dom0's, the domain reads)
//	  vm name domid memory/ cpu/ store/    inherited  (dom0 writes them)
//	  control/                             n0,r<id>
//	    shutdown feature-poweroff feature-reboot feature-suspend
//	    feature-s3 feature-s4 sysrq        n<id>      (the domain's own)
//	    platform-feature-multiprocessor-suspend, -xs_reset_watches = "1"
//	  device/ data/ drivers/ feature/ attr/ error/   n<id>
//	  console/                             n<id>,r0   (front end: the domain's, dom0 reads)
//	/vm/<uuid> with uuid and name          n0,r<id>
//
// Existing /local/domain/<id> and /vm/<uuid> are replaced. Watches fire
// as for any dom0 write.
func (s *Server) WriteDomainNodes(d DomainNodes) error {
	if d.Domid == 0 || d.Domid >= hypercall.DomidFirstReserved {
		return domidError(ErrBadDomid, d.Domid)
	}
	id := strconv.Itoa(int(d.Domid))
	home := DomainPath(d.Domid)
	uuid := d.UUID
	if uuid == "" {
		uuid = fmt.Sprintf("00000000-0000-0000-0000-%012x", d.Domid)
	}
	vm := "/vm/" + uuid
	target := d.TargetMemKiB
	if target == 0 {
		target = d.MaxMemKiB
	}
	roperm := []string{"n0", "r" + id} // libxl's roperm
	rwperm := []string{"n" + id}       // libxl's rwperm
	type step struct {
		typ   uint32
		path  string
		value string
		perms []string
	}
	w := func(p, v string) step { return step{typ: hypercall.XsWrite, path: p, value: v} }
	mk := func(p string, perms []string) step { return step{typ: hypercall.XsMkdir, path: p, perms: perms} }
	steps := []step{
		{typ: hypercall.XsRm, path: home},
		mk(home, roperm),
		{typ: hypercall.XsRm, path: vm},
		mk(vm, roperm),
		w(vm+"/uuid", uuid),
		w(vm+"/name", d.Name),
		w(home+"/vm", vm),
		w(home+"/name", d.Name),
		w(home+"/domid", id),
		mk(home+"/control", roperm),
		w(home+"/control/platform-feature-multiprocessor-suspend", "1"),
		w(home+"/control/platform-feature-xs_reset_watches", "1"),
	}
	for _, k := range []string{"shutdown", "feature-poweroff", "feature-reboot", "feature-suspend", "feature-s3", "feature-s4", "sysrq"} {
		steps = append(steps, mk(home+"/control/"+k, rwperm))
	}
	for _, k := range []string{"device", "data", "drivers", "feature", "attr", "error"} {
		steps = append(steps, mk(home+"/"+k, rwperm))
	}
	steps = append(steps,
		w(home+"/memory/static-max", strconv.FormatUint(d.MaxMemKiB, 10)),
		w(home+"/memory/target", strconv.FormatUint(target, 10)),
	)
	for i := 0; i < d.VCPUs; i++ {
		steps = append(steps, w(home+"/cpu/"+strconv.Itoa(i)+"/availability", "online"))
	}
	if d.StorePort != 0 {
		steps = append(steps,
			w(home+"/store/port", strconv.FormatUint(uint64(d.StorePort), 10)),
			w(home+"/store/ring-ref", strconv.FormatUint(d.StoreGfn, 10)))
	}
	if d.ConsolePort != 0 {
		c := home + "/console"
		steps = append(steps,
			mk(c, []string{"n" + id, "r0"}),
			w(c+"/backend-id", "0"),
			w(c+"/limit", consoleLimit),
			w(c+"/type", "xenconsoled"),
			w(c+"/output", "pty"),
			w(c+"/tty", ""),
			w(c+"/port", strconv.FormatUint(uint64(d.ConsolePort), 10)),
			w(c+"/ring-ref", strconv.FormatUint(d.ConsoleGfn, 10)))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range steps {
		payload := appendString(nil, st.path)
		if st.typ == hypercall.XsWrite {
			payload = append(payload, st.value...)
		}
		if _, err := s.callLocked(st.typ, payload); err != nil && !(st.typ == hypercall.XsRm && err == hypercall.ENOENT) {
			return domidError(fmt.Errorf("%s %s: %w", typeName(st.typ), st.path, err), d.Domid)
		}
		if st.perms != nil {
			payload = appendString(nil, st.path)
			for _, p := range st.perms {
				payload = appendString(payload, p)
			}
			if _, err := s.callLocked(hypercall.XsSetPerms, payload); err != nil {
				return domidError(fmt.Errorf("SET_PERMS %s: %w", st.path, err), d.Domid)
			}
		}
	}
	return nil
}
