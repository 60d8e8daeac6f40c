package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	cmd := &cobra.Command{
		Use:   "run [flags] CFG [KEY=VALUE...]",
		Short: "Boot the domain described by an xl.cfg file in this process (no daemon)",
		Long: `Boot the domain described by the xl.cfg file CFG in embedded mode: the guest
console streams to stdout and the command returns when the domain ends.
KEY=VALUE arguments override settings of CFG, as with xl create.

Exit status: 0 the guest powered off; 1 bad usage, config or kernel; 2 the
guest crashed; 3 the guest rebooted; 4 another shutdown reason; 130
interrupted (Ctrl-C destroys the domain). on_poweroff, on_reboot and
on_crash = "restart" restart the domain instead, "preserve" keeps it until
interrupted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(stderr)
			if err != nil {
				return err
			}
			cfg, err := xlcfg.Load(args[0])
			if err != nil {
				return err
			}
			for _, kv := range args[1:] {
				if err := cfg.Override(kv); err != nil {
					return err
				}
			}
			for _, w := range cfg.Warnings {
				fmt.Fprintln(stderr, "xenolith: warning:", w)
			}
			if err := runner.CheckConfig(cfg); err != nil {
				return err
			}
			host, err := domains.OpenHost()
			if err != nil {
				return err
			}
			defer host.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := runner.Options{Console: stdout, Log: log, RebootExits: !cfg.IsSet("on_reboot")}
			res, err := runner.Run(ctx, host, cfg, opts)
			if err != nil {
				return err
			}
			if stats {
				printStats(stderr, res)
			}
			return runStatus(res)
		},
	}
	cmd.Flags().BoolVar(&stats, "stats", false, "print exit and hypercall counts and time to first console byte on stderr")
	return cmd
}

// runStatus maps how the domain ended to the exit status and its one-line
// reason on stderr.
func runStatus(r *runner.Result) error {
	switch {
	case r.Interrupted:
		return &statusError{exitInterrupted, fmt.Sprintf("domain %s (domid %d) destroyed: interrupted", r.Name, r.DomID)}
	case r.State == domains.Crashed:
		msg := fmt.Sprintf("domain %s (domid %d) crashed", r.Name, r.DomID)
		if r.Detail != "" {
			msg += ": " + r.Detail
		} else {
			msg += ": the guest reported " + r.ReasonName()
		}
		return &statusError{exitCrashed, msg}
	case r.Reason == 0:
		return nil
	case r.Reason == 1:
		return &statusError{exitRebooted, fmt.Sprintf("domain %s (domid %d) rebooted (on_reboot = \"destroy\"; set \"restart\" to restart it)", r.Name, r.DomID)}
	}
	return &statusError{exitOtherReason, fmt.Sprintf("domain %s (domid %d) shut down: %s", r.Name, r.DomID, r.ReasonName())}
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
