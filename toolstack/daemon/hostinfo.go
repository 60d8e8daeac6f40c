package daemon

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xenolith/xenolith/hypercall"
	"github.com/xenolith/xenolith/toolstack/api"
)

// xenCaps is what XENVER_capabilities gives guests (hypercall/version.go
// keeps it unexported; keep the two equal).
const xenCaps = "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p"

// hostInfo gathers xl info's host facts from uname and /proc.
func hostInfo() api.HostInfo {
	var u unix.Utsname
	unix.Uname(&u)
	nr, maxID := onlineCPUs()
	total, free := memInfoMiB()
	changeset := "unavailable"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				changeset = s.Value
			}
		}
	}
	return api.HostInfo{
		Host:         unix.ByteSliceToString(u.Nodename[:]),
		Release:      unix.ByteSliceToString(u.Release[:]),
		Version:      unix.ByteSliceToString(u.Version[:]),
		Machine:      unix.ByteSliceToString(u.Machine[:]),
		NrCPUs:       nr,
		MaxCPUID:     maxID,
		NrNodes:      1,
		CPUMHz:       cpuMHz(),
		VirtCaps:     "hvm",
		TotalMemMiB:  total,
		FreeMemMiB:   free,
		XenMajor:     hypercall.VersionMajor,
		XenMinor:     hypercall.VersionMinor,
		XenExtra:     hypercall.Extraversion,
		XenVersion:   fmt.Sprintf("%d.%d%s", hypercall.VersionMajor, hypercall.VersionMinor, hypercall.Extraversion),
		XenCaps:      xenCaps,
		XenScheduler: "linux", // vCPUs are host threads under the Linux scheduler
		XenPagesize:  4096,
		XenChangeset: changeset,
		CCCompiler:   runtime.Version(),
		DaemonPID:    os.Getpid(),
		UptimeS:      hostUptime().Seconds(),
	}
}

// onlineCPUs counts /sys/devices/system/cpu/online ("0-3,5") and returns
// the highest id.
func onlineCPUs() (n, maxID int) {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return runtime.NumCPU(), runtime.NumCPU() - 1
	}
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		z := a
		var err2 error
		if found {
			z, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || z < a {
			continue
		}
		n += z - a + 1
		maxID = max(maxID, z)
	}
	if n == 0 {
		return runtime.NumCPU(), runtime.NumCPU() - 1
	}
	return n, maxID
}

// memInfoMiB returns MemTotal and MemAvailable in MiB.
func memInfoMiB() (total, free uint64) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kib, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "MemTotal":
			total = kib >> 10
		case "MemAvailable":
			free = kib >> 10
		}
	}
	return total, free
}

// cpuMHz is the first "cpu MHz" of /proc/cpuinfo, as xl prints it (%d.%03d).
func cpuMHz() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "0.000"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "cpu MHz" {
			if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return fmt.Sprintf("%.3f", mhz)
			}
		}
	}
	return "0.000"
}

// hostUptime reads /proc/uptime.
func hostUptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	s, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// processCPUTime is the daemon's user plus system CPU time: Domain-0's
// cpu_time (the dom0 services run in this process).
func processCPUTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
