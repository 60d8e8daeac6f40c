package domains

import (
	"encoding/binary"
	"log/slog"
	"testing"

	"github.com/xenolith/xenolith/hypercall"
)

// fuzzOps are the hypercalls the fuzzer may make: every event-channel op,
// the hvm_op and vcpu_op sub-ops and add_to_physmap. Blocking calls
// (SCHEDOP_block, poll) are left out: they wait for events by design.
var fuzzOps = []struct{ nr, cmds uint64 }{
	{hypercall.NrEventChannelOp, 14},
	{hypercall.NrHvmOp, 24},
	{hypercall.NrVcpuOp, 14},
	{hypercall.NrMemoryOp, 10},
}

// argBase is where the fuzzer's guest memory (the argument area) lives.
const argBase = 0x10000

// FuzzEventChannelHypercalls drives event-channel hypercalls with random
// arguments and guest memory from a guest of a two-domain registry and
// checks, after every call, that the port tables stay consistent: every
// interdomain port's peer points back at it, every VIRQ binding names a
// VIRQ port, and no call panics or returns something other than 0, a
// small positive value or a Xen errno.
func FuzzEventChannelHypercalls(f *testing.F) {
	le := binary.LittleEndian
	seed := func(ops []byte, mem []byte) { f.Add(ops, mem) }
	m := make([]byte, 64)
	le.PutUint16(m[0:], hypercall.DomidSelf)
	le.PutUint16(m[2:], 2)
	// op bytes: [op index, cmd, arg offset/8, vcpu] per call
	seed([]byte{0, 6, 0, 0, 0, 4, 0, 0}, m)                                 // alloc_unbound, send
	seed([]byte{0, 1, 0, 0, 0, 7, 0, 1, 0, 3, 0, 0}, []byte{0, 0, 0, 0, 1}) // bind_virq, bind_ipi, close
	seed([]byte{1, 0, 0, 0, 2, 8, 0, 0}, m)                                 // set param, singleshot
	seed([]byte{3, 7, 0, 0}, m)                                             // add_to_physmap
	f.Fuzz(func(t *testing.T, ops []byte, mem []byte) {
		if len(ops) > 4*64 || len(mem) > 4096 {
			return
		}
		r := newTestRegistry(t)
		a, b := testDomain(t, r, 2, 64), testDomain(t, r, 1, 64)
		// b offers a port to a so binds can succeed.
		b.EvtchnAllocUnbound(b.ID, a.ID)
		a.mem.WriteAt(mem, argBase)
		d := hypercall.NewDispatcher(slog.New(slog.DiscardHandler))
		for len(ops) >= 4 {
			op := fuzzOps[int(ops[0])%len(fuzzOps)]
			arg := uint64(argBase) + 8*uint64(ops[2])
			if ops[2] == 0xFF {
				arg = 0xdead_0000 // unmapped
			}
			args := [5]uint64{uint64(ops[1]) % op.cmds, arg}
			if op.nr == hypercall.NrVcpuOp {
				args = [5]uint64{uint64(ops[1]) % op.cmds, uint64(ops[3] % 4), arg}
			}
			v := a.vcpus[int(ops[3])%len(a.vcpus)]
			ret := int64(d.Dispatch(v, hypercall.Call{Nr: op.nr, Args: args}))
			if ret < 0 && hypercall.Errno(-ret).Name() == "" {
				t.Fatalf("hypercall %d cmd %d returned %d, not a Xen errno", op.nr, args[0], ret)
			}
			checkTables(t, r)
			ops = ops[4:]
		}
		a.stopTimers()
		b.stopTimers()
	})
}

// checkTables verifies the cross-domain invariants of every table in r.
func checkTables(t *testing.T, r *Registry) {
	t.Helper()
	for _, d := range r.Domains() {
		if d == nil {
			continue
		}
		d.evtchn.mu.Lock()
		chs := append([]channel(nil), d.evtchn.ch...)
		virqs := append([][hypercall.NrVirqs]uint32(nil), d.evtchn.virqs...)
		d.evtchn.mu.Unlock()
		for p, c := range chs {
			if c.state != hypercall.EvtchnstatInterdomain {
				continue
			}
			peer, ok := r.Lookup(c.remote)
			if !ok || peer == nil {
				continue
			}
			peer.evtchn.mu.Lock()
			pc := peer.evtchn.ch[c.rport]
			peer.evtchn.mu.Unlock()
			if pc.state != hypercall.EvtchnstatInterdomain || pc.remote != d.ID || pc.rport != uint32(p) {
				t.Fatalf("domain %d port %d -> %d:%d, whose state is %d -> %d:%d", d.ID, p, c.remote, c.rport, pc.state, pc.remote, pc.rport)
			}
		}
		for v, row := range virqs {
			for virq, p := range row {
				if p != 0 && (chs[p].state != hypercall.EvtchnstatVirq || chs[p].virq != uint32(virq) || chs[p].vcpu != uint32(v)) {
					t.Fatalf("domain %d VIRQ %d on vCPU %d -> port %d in state %+v", d.ID, virq, v, p, chs[p])
				}
			}
		}
	}
}
