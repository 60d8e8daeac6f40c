package domains

import "github.com/xenolith/xenolith/hypervisor"

// Host is the machine domains run on: an open /dev/kvm. The toolstack
// holds one and never sees KVM itself.
type Host struct {
	sys *hypervisor.System
}

// OpenHost opens /dev/kvm and checks it has everything Xenolith needs;
// the error says what is missing and how to get it.
func OpenHost() (*Host, error) {
	sys, err := hypervisor.Open()
	if err != nil {
		return nil, err
	}
	return &Host{sys: sys}, nil
}

// Close releases the host handle; running domains are unaffected.
func (h *Host) Close() error { return h.sys.Close() }
