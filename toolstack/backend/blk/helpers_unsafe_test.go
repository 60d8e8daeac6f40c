package blk

import "unsafe"

// alignedPage returns a 4096-byte, 4096-aligned page.
//
// Safety: the pointer is only converted to an integer to compute the
// alignment offset of a heap slice the GC does not move; nothing is
// dereferenced through it.
func alignedPage() []byte {
	b := make([]byte, 2*pageSize)
	off := int(uintptr(unsafe.Pointer(&b[0])) % pageSize)
	if off != 0 {
		off = pageSize - off
	}
	return b[off : off+pageSize : off+pageSize]
}
