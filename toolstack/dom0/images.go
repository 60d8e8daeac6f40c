package dom0

import (
	"crypto/rand"
	"fmt"
	"os"

	"github.com/xenolith/xenolith/domains"
)

// ReadImage reads a kernel or ramdisk image named by xl.cfg key, refusing
// anything but a regular file and anything larger than the loader
// accepts before reading it all. Errors say which key to fix.
func ReadImage(path, key string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: fix the %s key (relative paths are relative to the config file)", err, key)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file: point the %s key at an image file", path, key)
	}
	if fi.Size() > domains.MaxKernelImageBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d MiB limit", path, fi.Size(), domains.MaxKernelImageBytes>>20)
	}
	return os.ReadFile(path)
}

// NewUUID returns a random (version 4) domain handle, as xl makes one
// when the config has no uuid.
func NewUUID() ([16]byte, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return u, fmt.Errorf("domain uuid: %w", err)
	}
	u[6] = u[6]&0x0F | 0x40
	u[8] = u[8]&0x3F | 0x80
	return u, nil
}
