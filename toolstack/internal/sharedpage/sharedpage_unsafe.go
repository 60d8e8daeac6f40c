// Package sharedpage reads and writes the u32 index words of a page
// shared with a guest: the xenstore ring (io/xs_wire.h), the console ring
// (io/console.h) and blkif shared rings (io/ring.h).
//
// The guest runs concurrently, so index loads and stores are atomic:
// sync/atomic is sequentially consistent, so a store orders the ring
// bytes written before it and a load orders the bytes read after it, the
// barrier discipline of io/ring.h (digest 7.2). The words are
// little-endian in the ABI and Xenolith runs on x86_64, whose native
// order is little-endian.
package sharedpage

import (
	"sync/atomic"
	"unsafe"
)

// Aligned reports whether &page[off] is 4-byte aligned, as Load32 and
// Store32 need. Ring set-up checks it once for its index words.
//
// Safety: the pointer is only converted to an integer to test its low
// bits, never dereferenced; page[off] is bounds-checked by Go.
func Aligned(page []byte, off int) bool {
	return uintptr(unsafe.Pointer(&page[off]))%4 == 0
}

// word returns the u32 at page[off:off+4].
//
// Safety: slicing bounds-checks off..off+4 without reading a byte, and
// the alignment check (a caller bug if it fails: ring set-up checked
// Aligned) makes the pointer valid for sync/atomic. The caller keeps the
// page mapped while it uses the word: each ring unmaps its page only
// after its last index access.
func word(page []byte, off int) *uint32 {
	w := page[off : off+4]
	if !Aligned(w, 0) {
		panic("sharedpage: unaligned index word") // never guest input
	}
	return (*uint32)(unsafe.Pointer(&w[0]))
}

// Load32 atomically loads the u32 at page[off:off+4].
func Load32(page []byte, off int) uint32 { return atomic.LoadUint32(word(page, off)) }

// Store32 atomically stores v at page[off:off+4].
func Store32(page []byte, off int, v uint32) { atomic.StoreUint32(word(page, off), v) }
