package hypercall

import (
	"encoding/binary"
	"fmt"
)

// get copies a fixed-size ABI struct in from guest virtual address gva.
// Handlers copy once and then validate their copy, so a guest changing the
// memory concurrently cannot slip a value past a check.
func get[T any](c Caller, gva uint64, v *T) error {
	buf := make([]byte, binary.Size(v))
	if err := c.CopyFromGuest(buf, gva); err != nil {
		return err
	}
	if _, err := binary.Decode(buf, binary.LittleEndian, v); err != nil {
		return fmt.Errorf("decode %T: %v: %w", v, err, EFAULT)
	}
	return nil
}

// put copies a fixed-size ABI struct out to guest virtual address gva.
func put[T any](c Caller, gva uint64, v *T) error {
	buf, err := appendEncoded(nil, v)
	if err != nil {
		return err
	}
	return c.CopyToGuest(gva, buf)
}

func appendEncoded[T any](buf []byte, v *T) ([]byte, error) {
	out, err := binary.Append(buf, binary.LittleEndian, v)
	if err != nil {
		return buf, fmt.Errorf("encode %T: %v: %w", v, err, EFAULT)
	}
	return out, nil
}

// e820EntrySize is the size of one XENMEM_memory_map entry (20, packed).
var e820EntrySize = uint64(binary.Size(E820Entry{}))
