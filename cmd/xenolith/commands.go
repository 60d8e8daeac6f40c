package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

// Exit statuses of xenolith commands. `run` maps how the guest ended to a
// distinct status so scripts can tell a poweroff from a crash or a reboot.
const (
	exitOK          = 0   // success; for run: the guest powered off
	exitError       = 1   // bad usage, config, kernel or host
	exitCrashed     = 2   // run: the guest crashed (or its watchdog fired)
	exitRebooted    = 3   // run: the guest asked to reboot
	exitOtherReason = 4   // run: another shutdown reason (suspend, soft_reset)
	exitInterrupted = 130 // run: interrupted (Ctrl-C), domain destroyed
)

// exitError carries a specific exit status through cobra.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// execute runs the CLI and returns the process exit status.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var se *statusError
	if errors.As(err, &se) {
		if se.msg != "" {
			fmt.Fprintln(stderr, "xenolith:", se.msg)
		}
		return se.status
	}
	fmt.Fprintln(stderr, "xenolith:", err)
	return exitError
}

// globalFlags are shared by every command.
type globalFlags struct {
	logLevel string
}

func (g *globalFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "xenolith",
		Short:         "Xenolith: a Xen-compatible paravirtualizing hypervisor on KVM",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	// The command table: one entry per command, as xl_cmdtable.c.
	root.AddCommand(
		newRunCommand(g, stdout, stderr),
		newXenstoredCommand(g, stdout, stderr),
		newDaemonCommand(g, stdout, stderr),
		// xl's commands, talking to the daemon (toolstack/api).
		newCreateCommand(stdout, stderr),
		newListCommand(stdout),
		newConsoleCommand(stdout, stderr),
		newDestroyCommand(),
		newShutdownCommand(api.ReasonPoweroff, stderr),
		newShutdownCommand(api.ReasonReboot, stderr),
		newPauseCommand(false),
		newPauseCommand(true),
		newRenameCommand(),
		newDomidCommand(stdout),
		newDomnameCommand(stdout),
		newUptimeCommand(stdout),
		newInfoCommand(stdout),
		newDmesgCommand(stdout),
		newVCPUListCommand(stdout),
		newBlockAttachCommand(),
		newBlockListCommand(stdout, stderr),
		newBlockDetachCommand(stderr),
	)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%v (see %s --help)", err, strings.TrimSpace(c.CommandPath()))
	})
	return root
}
