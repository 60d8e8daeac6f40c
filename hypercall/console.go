package hypercall

import "fmt"

// consoleChunk bounds each copy from the guest; Xen also works in chunks.
const consoleChunk = 1024

func consoleIO(c Caller, a *[5]uint64) (uint64, error) {
	cmd, count, buf := a[0], uint32(a[1]), a[2]
	switch cmd {
	case ConsoleioWrite:
		var chunk [consoleChunk]byte
		for done := uint32(0); done < count; {
			n := min(count-done, consoleChunk)
			if err := c.CopyFromGuest(chunk[:n], buf+uint64(done)); err != nil {
				return 0, fmt.Errorf("console_io write of %d bytes at %#x: %w", count, buf, err)
			}
			c.ConsoleWrite(printable(chunk[:n]))
			done += n
		}
		return 0, nil
	case ConsoleioRead:
		// Only the hardware domain reads the hypervisor console.
		return 0, nil
	}
	return 0, fmt.Errorf("console_io cmd %d: %w", cmd, EINVAL)
}

// printable keeps what Xen prints for a domU: printable ASCII, newline,
// carriage return and tab. It filters in place.
func printable(p []byte) []byte {
	out := p[:0]
	for _, b := range p {
		if (b >= 0x20 && b < 0x7F) || b == '\n' || b == '\r' || b == '\t' {
			out = append(out, b)
		}
	}
	return out
}
