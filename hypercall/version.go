package hypercall

import (
	"fmt"
	"runtime/debug"
)

// What XENVER_* reports. Extraversion and changeset identify Xenolith so a
// guest log shows which hypervisor it ran on.
const (
	Extraversion = ".0-xenolith"
	capabilities = "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p"
)

// Features is XENVER_get_features submap 0: only the XENFEAT bits Xenolith
// honours. writable_page_tables and auto_translated_physmap hold for every
// PVH guest (it owns its page tables and uses gfns); not_direct_mapped
// because guest frames are not host frames; hvm_callback_vector (upcalls
// through HVM_PARAM_CALLBACK_IRQ) and hvm_safe_pvclock (pvclock in every
// vcpu_info, VIRQ_TIMER and singleshot timers).
const Features uint32 = 1<<XenfeatWritablePageTables |
	1<<XenfeatAutoTranslatedPhysmap |
	1<<XenfeatHvmCallbackVector |
	1<<XenfeatHvmSafePvclock |
	1<<XenfeatNotDirectMapped

// buildInfo is the changeset and compile information from the Go build.
var buildChangeset, buildCompiler, buildDate = func() (string, string, string) {
	cs, date, compiler := "unavailable", "", "go"
	if bi, ok := debug.ReadBuildInfo(); ok {
		compiler = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				cs = s.Value
			case "vcs.time":
				date = s.Value
			}
		}
	}
	return cs, compiler, date
}()

func xenVersion(c Caller, a *[5]uint64) (uint64, error) {
	cmd, arg := a[0], a[1]
	switch cmd {
	case XenverVersion:
		return VersionMajor<<16 | VersionMinor, nil
	case XenverPagesize:
		return 4096, nil
	case XenverExtraversion:
		return 0, putString(c, arg, Extraversion, 16)
	case XenverCapabilities:
		return 0, putString(c, arg, capabilities, 1024)
	case XenverChangeset:
		return 0, putString(c, arg, buildChangeset, 64)
	case XenverCompileInfo:
		var ci XenCompileInfo
		copy(ci.Compiler[:len(ci.Compiler)-1], buildCompiler)
		copy(ci.CompileBy[:len(ci.CompileBy)-1], "xenolith")
		copy(ci.CompileDate[:len(ci.CompileDate)-1], buildDate)
		return 0, put(c, arg, &ci)
	case XenverPlatformParameters:
		// HYPERVISOR_VIRT_START only means something to PV guests.
		return 0, put(c, arg, &XenPlatformParameters{})
	case XenverGetFeatures:
		var fi XenFeatureInfo
		if err := get(c, arg, &fi); err != nil {
			return 0, err
		}
		if fi.SubmapIdx >= XenfeatNrSubmaps {
			return 0, fmt.Errorf("get_features submap %d: %w", fi.SubmapIdx, EINVAL)
		}
		fi.Submap = Features
		return 0, put(c, arg, &fi)
	case XenverGuestHandle:
		h := c.UUID()
		return 0, c.CopyToGuest(arg, h[:])
	case XenverCommandline, XenverBuildId:
		// Xen's XSM default policy keeps these for privileged domains.
		return 0, fmt.Errorf("xen_version cmd %d is privileged: %w", cmd, EPERM)
	}
	return 0, ENOSYS
}

// putString writes s NUL-padded into a guest char[size].
func putString(c Caller, gva uint64, s string, size int) error {
	buf := make([]byte, size)
	copy(buf[:size-1], s)
	return c.CopyToGuest(gva, buf)
}
