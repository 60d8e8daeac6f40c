package tests

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xenolith/xenolith/internal/kvmtest"
)

// stampedLine is a console line and when the host read it.
type stampedLine struct {
	text string
	at   time.Time
}

// runStamped runs xenolith and timestamps each stdout line as it arrives.
func runStamped(t *testing.T, args ...string) ([]stampedLine, string, int) {
	t.Helper()
	cmd := exec.Command(xenolith, args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []stampedLine
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, stampedLine{sc.Text(), time.Now()})
	}
	cmd.Wait()
	return lines, errb.String(), cmd.ProcessState.ExitCode()
}

func find(t *testing.T, lines []stampedLine, re string) (stampedLine, []string) {
	t.Helper()
	r := regexp.MustCompile(re)
	for _, l := range lines {
		if m := r.FindStringSubmatch(l.text); m != nil {
			return l, m
		}
	}
	var all []string
	for _, l := range lines {
		all = append(all, l.text)
	}
	t.Fatalf("no line matches %q in:\n%s", re, strings.Join(all, "\n"))
	return stampedLine{}, nil
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// TestTimerGuest: VIRQ_TIMER at 100 Hz for 2 s gives 200 ticks (±10%), and
// the guest's pvclock elapsed time matches the host's (±5%). The host
// times the guest's start and done console lines, so a loaded host can
// delay one of them; a second attempt absorbs such a hiccup, and every
// attempt checks both bounds.
func TestTimerGuest(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "timer")
	var problems []string
	for attempt := 1; attempt <= 2; attempt++ {
		p := timerAttempt(t)
		if p == "" {
			return
		}
		problems = append(problems, fmt.Sprintf("attempt %d: %s", attempt, p))
	}
	t.Error(strings.Join(problems, "\n"))
}

// timerAttempt runs the timer guest once and describes what is out of
// bounds ("" if nothing).
func timerAttempt(t *testing.T) string {
	lines, stderr, status := runStamped(t, "run", filepath.Join(repo, "examples/timer.cfg"))
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	start, _ := find(t, lines, `^timer: start system_time (\d+) wallclock (\d+)\.(\d{9})$`)
	done, dm := find(t, lines, `^timer: done ticks (\d+) elapsed_ns (\d+) wallclock (\d+)\.(\d{9})$`)
	ticks, guestNs := num(dm[1]), num(dm[2])
	hostNs := float64(done.at.Sub(start.at).Nanoseconds())
	t.Logf("ticks %v, guest %.3f s, host %.3f s", ticks, guestNs/1e9, hostNs/1e9)
	var bad []string
	if ticks < 180 || ticks > 220 {
		bad = append(bad, fmt.Sprintf("%v ticks, want 200 ± 10%%", ticks))
	}
	if ratio := guestNs / hostNs; ratio < 0.95 || ratio > 1.05 {
		bad = append(bad, fmt.Sprintf("guest measured %.0f ns, host %.0f ns (ratio %.3f, want 1 ± 5%%)", guestNs, hostNs, ratio))
	}
	// The wallclock the guest computes (shared_info wc + system time) is
	// the host's wall time to within a second.
	wall := time.Unix(int64(num(dm[3])), int64(num(dm[4])))
	if d := done.at.Sub(wall); d < -time.Second || d > time.Second {
		bad = append(bad, fmt.Sprintf("guest wallclock %v, host %v", wall, done.at))
	}
	return strings.Join(bad, "; ")
}

// TestPingPong: 10,000 interdomain round trips between two domains of one
// run, none lost or duplicated.
func TestPingPong(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "ping")
	guest(t, "pong")
	lines, stderr, status := runStamped(t, "run", filepath.Join(repo, "examples/pong.cfg"), filepath.Join(repo, "examples/ping.cfg"))
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	_, m := find(t, lines, `^\[ping\] ping: (\d+) round trips, (\d+) lost, (\d+) duplicated, rtt_ns p50 (\d+) p99 (\d+)`)
	if m[1] != "10000" || m[2] != "0" || m[3] != "0" {
		t.Errorf("ping: %s round trips, %s lost, %s duplicated; want 10000, 0, 0", m[1], m[2], m[3])
	}
	find(t, lines, `^\[pong\] pong: received 10000 sent 10000$`)
	t.Logf("rtt p50 %s ns p99 %s ns", m[4], m[5])
}

// TestSMPGuest: vCPU 1 comes up through VCPUOP_initialise/up and 1,000 IPIs
// go each way over event channels.
func TestSMPGuest(t *testing.T) {
	kvmtest.Require(t)
	guest(t, "smp")
	lines, stderr, status := runStamped(t, "run", filepath.Join(repo, "examples/smp.cfg"))
	if status != 0 {
		t.Fatalf("status %d\n%s", status, stderr)
	}
	find(t, lines, `^smp: vcpu 1 up$`)
	find(t, lines, `^smp: 1000 IPIs 0->1 and 1000 1->0: ok$`)
}
