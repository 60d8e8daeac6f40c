package blk

import (
	"sync/atomic"
	"unsafe"
)

// Atomic access to the u32 index words of the blkif sring header. The page
// is shared with a guest that runs concurrently, so index loads and stores
// are atomic: sync/atomic is sequentially consistent, so a store orders
// the slot bytes written before it and a load orders the slot bytes read
// after it, the barrier discipline of io/ring.h (digest 7.2). The words
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
// Safety: callers pass only the sring header offsets (0, 4, 8, 12,
// multiples of 4) on a page that newRing checked to be at least 4096 bytes
// long and 4-byte aligned at offset 0, so the pointer is in bounds and
// aligned; slicing bounds-checks it again without reading a byte. The page
// stays mapped until the back end unmaps it after its last ring access
// (Backend.run's shutdown).
func loadWord(page []byte, off int) uint32 {
	w := page[off : off+4]
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&w[0])))
}

// storeWord atomically stores v at page[off:off+4].
//
// Safety: as loadWord: an in-bounds, aligned index word of a page that
// stays mapped until the back end's shutdown.
func storeWord(page []byte, off int, v uint32) {
	w := page[off : off+4]
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&w[0])), v)
}
