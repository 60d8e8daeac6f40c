package hypercall

import (
	"encoding/binary"
	"log/slog"
	"testing"
)

// FuzzDispatch drives every hypercall with guest-chosen numbers, arguments
// and memory: the dispatcher must never panic and must always answer 0, a
// positive result or a negated Xen errno.
func FuzzDispatch(f *testing.F) {
	seed := func(nr uint64, a0, a1, a2 uint64, mem []byte) { f.Add(nr, a0, a1, a2, mem) }
	m := make([]byte, 64)
	binary.LittleEndian.PutUint32(m, 16)
	binary.LittleEndian.PutUint64(m[8:], fakeBase+32)
	seed(NrMemoryOp, XenmemMemoryMap, fakeBase, 0, m)
	seed(NrXenVersion, XenverGetFeatures, fakeBase, 0, []byte{0, 0, 0, 0})
	seed(NrConsoleIo, ConsoleioWrite, 5, fakeBase, []byte("hello"))
	seed(NrSchedOp, SchedopShutdown, fakeBase, 0, []byte{9, 0, 0, 0})
	seed(NrMemoryOp, XenmemCurrentReservation, fakeBase, 0, []byte{0xF0, 0x7F})
	d := NewDispatcher(slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, nr, a0, a1, a2 uint64, mem []byte) {
		fc := newFake()
		fc.mem = fc.mem[:4096]
		copy(fc.mem, mem)
		r := int64(d.Dispatch(fc, Call{Nr: nr % 160, Args: [5]uint64{a0, a1, a2, a0 ^ a1, a2}}))
		if r < 0 && (r < -int64(EISCONN) || Errno(-r).Name() == "") {
			t.Fatalf("hypercall %d returned %d, not a Xen errno", nr%160, r)
		}
	})
}
