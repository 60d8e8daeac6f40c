package hypercall

import "fmt"

// get copies a fixed-size ABI struct in from guest virtual address gva.
// Handlers copy once and then validate their copy, so a guest changing the
// memory concurrently cannot slip a value past a check.
func get[T any](c Caller, gva uint64, v *T) error {
	buf := make([]byte, SizeOf[T]())
	if err := c.CopyFromGuest(buf, gva); err != nil {
		return err
	}
	if err := Decode(buf, v); err != nil {
		return fmt.Errorf("decode %T: %v: %w", v, err, EFAULT)
	}
	return nil
}

// put copies a fixed-size ABI struct out to guest virtual address gva.
func put[T any](c Caller, gva uint64, v *T) error {
	buf, err := Append(nil, v)
	if err != nil {
		return fmt.Errorf("encode %T: %v: %w", v, err, EFAULT)
	}
	return c.CopyToGuest(gva, buf)
}

// e820EntrySize is the size of one XENMEM_memory_map entry (20, packed).
var e820EntrySize = uint64(SizeOf[E820Entry]())
