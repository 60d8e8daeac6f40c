package xenstore

import (
	"sync/atomic"
	"unsafe"
)

// Atomic access to the u32 index words of a xenstore ring page. The page
// is shared with a guest that runs concurrently, so index loads and
// stores are atomic (sync/atomic is sequentially consistent: a store
// orders the ring bytes copied before it, a load orders the bytes copied
// after it, which is the barrier discipline of io/xs_wire.h). The words
// are little-endian in the ABI and Xenolith runs on x86_64, whose native
// order is little-endian.

// wordAligned reports whether &page[off] is 4-byte aligned, as atomic
// access needs.
//
// Safety: the pointer is only converted to an integer to test its low
// bits, never dereferenced; page[off] is bounds-checked by Go.
func wordAligned(page []byte, off int) bool {
	return uintptr(unsafe.Pointer(&page[off]))%4 == 0
}

// loadWord atomically loads the u32 at page[off:off+4].
//
// Safety: callers pass only the index offsets of
// XenstoreDomainInterface (2048..2072, multiples of 4) on a page that
// newRingConn checked to be at least 4096 bytes long and 4-byte aligned,
// so the pointer is in bounds and aligned; &page[off] is bounds-checked
// again here (slicing, which reads no byte). The page stays mapped until Ring.Close, which the ring
// goroutine calls only after its last access.
func loadWord(page []byte, off int) uint32 {
	w := page[off : off+4] // bounds check without a (racy) byte read
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&w[0])))
}

// storeWord atomically stores v at page[off:off+4].
//
// Safety: as loadWord: in-bounds, aligned index word of a page that stays
// mapped until Ring.Close.
func storeWord(page []byte, off int, v uint32) {
	w := page[off : off+4]
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&w[0])), v)
}
