package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

// The domain control commands: destroy, shutdown, reboot, pause,
// unpause, rename. Like xl they print nothing on success, except
// shutdown and reboot, which say what they do on stderr.

func newDestroyCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "destroy [flags] DOMAIN",
		Short: "Destroy a domain at once (no guest shutdown)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			return c.Destroy(context.Background(), args[0])
		},
	}
	cf.add(cmd)
	return cmd
}

// newShutdownCommand makes shutdown (reason poweroff) and reboot.
func newShutdownCommand(reason string, stderr io.Writer) *cobra.Command {
	var (
		cf       clientFlags
		wait     bool
		all      bool
		timeoutS float64
	)
	use, short, verb := "shutdown [-w] [-a] [flags] [DOMAIN]", "Ask a guest to power off (xenstore control/shutdown)", "Shutting down"
	if reason == api.ReasonReboot {
		use, short, verb = "reboot [-w] [-a] [flags] [DOMAIN]", "Ask a guest to reboot (xenstore control/shutdown)", "Rebooting"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `, as xl does: the guest must
watch control/shutdown in xenstore. -w waits until it has shut down and its
on_` + map[string]string{api.ReasonPoweroff: "poweroff", api.ReasonReboot: "reboot"}[reason] + ` action was applied; a guest that does not react
within --timeout is left as it is (destroy ends it). -a does every domain.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if all != (len(args) == 0) || len(args) > 1 {
				return fmt.Errorf("give one DOMAIN, or -a for all (see %s --help)", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			ctx, stop := signalContext()
			defer stop()
			refs := args
			if all {
				doms, err := c.List(ctx)
				if err != nil {
					return err
				}
				refs = nil
				for _, d := range doms {
					if d.DomID != 0 && (d.Status == api.StatusRunning || d.Status == api.StatusPaused) {
						refs = append(refs, fmt.Sprint(d.DomID))
					}
				}
			}
			type result struct {
				res api.ShutdownResult
				err error
			}
			results := make(chan result, len(refs))
			for _, ref := range refs {
				d, err := c.Get(ctx, ref)
				if err != nil {
					return err
				}
				fmt.Fprintf(stderr, "%s domain %d\n", verb, d.DomID)
				go func() {
					req := api.ShutdownRequest{Wait: wait, TimeoutS: timeoutS}
					var res api.ShutdownResult
					var err error
					if reason == api.ReasonReboot {
						res, err = c.Reboot(ctx, ref, req)
					} else {
						res, err = c.Shutdown(ctx, ref, req)
					}
					results <- result{res, err}
				}()
			}
			if wait && len(refs) > 0 {
				fmt.Fprintf(stderr, "Waiting for %d domains\n", len(refs))
			}
			var first error
			for range refs {
				r := <-results
				if r.err != nil {
					if first == nil {
						first = r.err
					} else {
						fmt.Fprintln(stderr, "xenolith:", r.err)
					}
					continue
				}
				if wait {
					printOutcome(stderr, r.res)
				}
			}
			return first
		},
	}
	cmd.Flags().BoolVarP(&wait, "wait", "w", false, "wait until the guest has shut down and its on_* action was applied")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "every running or paused domain")
	cmd.Flags().Float64Var(&timeoutS, "timeout", api.DefaultShutdownTimeoutS, "with -w, seconds to wait for the guest")
	cf.add(cmd)
	return cmd
}

// printOutcome says how a waited-for shutdown ended, in xl's words.
func printOutcome(w io.Writer, r api.ShutdownResult) {
	switch r.Outcome {
	case "destroyed":
		fmt.Fprintf(w, "Domain %d has been destroyed (%s)\n", r.DomID, r.Reason)
	case "restarted":
		fmt.Fprintf(w, "Domain %d has been restarted (%s) as domain %d\n", r.DomID, r.Reason, r.NewDomID)
	default:
		fmt.Fprintf(w, "Domain %d has been shut down, reason %s (%s)\n", r.DomID, r.Reason, r.Outcome)
	}
}

func newPauseCommand(unpause bool) *cobra.Command {
	var cf clientFlags
	use, short := "pause [flags] DOMAIN", "Pause a running domain"
	if unpause {
		use, short = "unpause [flags] DOMAIN", "Unpause a paused domain"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			if unpause {
				return c.Unpause(context.Background(), args[0])
			}
			return c.Pause(context.Background(), args[0])
		},
	}
	cf.add(cmd)
	return cmd
}

func newRenameCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "rename [flags] DOMAIN NEWNAME",
		Short: "Rename a domain",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			return c.Rename(context.Background(), args[0], args[1])
		},
	}
	cf.add(cmd)
	return cmd
}
