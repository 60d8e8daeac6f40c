package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/domains"
	"github.com/xenolith/xenolith/toolstack/runner"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

func newRunCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var stats bool
	var xsSocket string
	cmd := &cobra.Command{
		Use:   "run [flags] CFG [KEY=VALUE...] [CFG [KEY=VALUE...]...]",
		Short: "Boot the domains described by xl.cfg files in this process (no daemon)",
		Long: `Boot the domains described by the xl.cfg files in embedded mode: guest
consoles stream to stdout (prefixed with "[name] " when there are several)
and the command returns when every domain has ended. KEY=VALUE arguments
override settings of the CFG before them, as with xl create. Domains get
domids 1, 2, ... in argument order and share one event-channel registry.

Exit status: 0 every guest powered off; 1 bad usage, config or kernel; 2 a
guest crashed; 3 a guest rebooted; 4 another shutdown reason; 130
interrupted (Ctrl-C destroys the domains). on_poweroff, on_reboot and
on_crash = "restart" restart a domain instead, "preserve" keeps it until
interrupted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(stderr)
			if err != nil {
				return err
			}
			cfgs, err := loadConfigs(args)
			if err != nil {
				return err
			}
			rebootExits := make([]bool, len(cfgs))
			for i, cfg := range cfgs {
				for _, w := range cfg.Warnings {
					fmt.Fprintln(stderr, "xenolith: warning:", w)
				}
				if err := runner.CheckConfig(cfg); err != nil {
					return err
				}
				rebootExits[i] = !cfg.IsSet("on_reboot")
			}
			host, err := domains.OpenHost()
			if err != nil {
				return err
			}
			defer host.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			results, err := runner.Run(ctx, host, cfgs, runner.Options{Console: stdout, Log: log, RebootExits: rebootExits, XenstoreSocket: xsSocket})
			if results == nil {
				return err
			}
			if stats {
				for _, r := range results {
					printStats(stderr, r)
				}
			}
			if err != nil {
				fmt.Fprintln(stderr, "xenolith:", err)
			}
			return runStatus(results)
		},
	}
	cmd.Flags().BoolVar(&stats, "stats", false, "print exit and hypercall counts and time to first console byte on stderr")
	cmd.Flags().StringVar(&xsSocket, "xenstore-socket", "", "also serve the embedded xenstored on this Unix socket, for Xen's xenstore-* tools (XENSTORED_PATH=PATH)")
	return cmd
}

// overrideRE matches an xl create-style KEY=VALUE (or KEY+=VALUE) argument;
// anything else is a config file path.
var overrideRE = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*\+?=`)

// loadConfigs reads each CFG argument and applies the KEY=VALUE arguments
// that follow it.
func loadConfigs(args []string) ([]*xlcfg.DomainConfig, error) {
	var cfgs []*xlcfg.DomainConfig
	names := map[string]bool{}
	for _, a := range args {
		if overrideRE.MatchString(a) {
			if len(cfgs) == 0 {
				return nil, fmt.Errorf("override %q comes before any config file: put it after the CFG it applies to", a)
			}
			if err := cfgs[len(cfgs)-1].Override(a); err != nil {
				return nil, err
			}
			continue
		}
		cfg, err := xlcfg.Load(a)
		if err != nil {
			return nil, err
		}
		cfgs = append(cfgs, cfg)
	}
	for _, c := range cfgs {
		if names[c.Name] {
			return nil, fmt.Errorf("two domains are named %q: domain names must be unique (override one with name=\"...\")", c.Name)
		}
		names[c.Name] = true
	}
	return cfgs, nil
}

// runStatus maps how the domains ended to the exit status and one line on
// stderr per domain that did not power off. The most severe outcome wins:
// interrupted, crashed, rebooted, other.
func runStatus(rs []*runner.Result) error {
	status := exitOK
	var lines []string
	rank := map[int]int{exitOK: 0, exitOtherReason: 1, exitRebooted: 2, exitCrashed: 3, exitError: 4, exitInterrupted: 5}
	for _, r := range rs {
		st, msg := resultStatus(r)
		if msg != "" {
			lines = append(lines, msg)
		}
		if rank[st] > rank[status] {
			status = st
		}
	}
	if status == exitOK {
		return nil
	}
	return &statusError{status, strings.Join(lines, "\nxenolith: ")}
}

func resultStatus(r *runner.Result) (int, string) {
	switch {
	case r.Err != nil:
		return exitError, ""
	case r.Interrupted:
		return exitInterrupted, fmt.Sprintf("domain %s (domid %d) destroyed: interrupted", r.Name, r.DomID)
	case r.State == domains.Crashed:
		msg := fmt.Sprintf("domain %s (domid %d) crashed", r.Name, r.DomID)
		if r.Detail != "" {
			msg += ": " + r.Detail
		} else {
			msg += ": the guest reported " + r.ReasonName()
		}
		return exitCrashed, msg
	case r.Reason == 0:
		return exitOK, ""
	case r.Reason == 1:
		return exitRebooted, fmt.Sprintf("domain %s (domid %d) rebooted (on_reboot = \"destroy\"; set \"restart\" to restart it)", r.Name, r.DomID)
	}
	return exitOtherReason, fmt.Sprintf("domain %s (domid %d) shut down: %s", r.Name, r.DomID, r.ReasonName())
}

func printStats(w io.Writer, r *runner.Result) {
	fmt.Fprintf(w, "stats: domain %s domid %d: first console byte after %.3f ms\n", r.Name, r.DomID, float64(r.FirstConsoleByte.Microseconds())/1000)
	fmt.Fprintf(w, "stats: exits %d: %s\n", r.Stats.TotalExits, formatCounts(r.Stats.Exits))
	var total uint64
	for _, n := range r.Stats.Hypercalls {
		total += n
	}
	fmt.Fprintf(w, "stats: hypercalls %d: %s\n", total, formatCounts(r.Stats.Hypercalls))
}

func formatCounts(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
