package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/daemon"
	"github.com/xenolith/xenolith/toolstack/dom0"
	"github.com/xenolith/xenolith/toolstack/xenstore"
)

func newDaemonCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var (
		socket     string
		xsSocket   string
		xenPath    bool
		consoleDir string
		opts       daemon.Options
	)
	cmd := &cobra.Command{
		Use:   "daemon [flags]",
		Short: "Run the toolstack daemon: owns the domains, serves the API the xl-style commands use",
		Long: `Run the Xenolith toolstack daemon in the foreground until SIGTERM or SIGINT.

It owns every domain of the host (create, list, console, shutdown... talk
to it over its Unix socket, --socket or $` + api.SocketEnv + `), runs an
embedded xenstored (also served on --xenstored-socket for Xen's tools, and
with --xenstored-path on ` + xenstore.XenSocketPath + `), a console back end
per domain logging to --console-log-dir/<name>.log, and applies each
domain's on_poweroff, on_reboot and on_crash when it ends.

On SIGTERM or SIGINT it asks every guest to power off (control/shutdown),
waits up to --shutdown-timeout, destroys what is left and exits 0. A
second daemon on the same socket refuses to start. Logs go to stderr
(--log-level, default info here) and the last 1000 lines to
` + "`xenolith dmesg`" + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			level := slog.LevelInfo
			if f := cmd.Flags().Lookup("log-level"); f != nil && f.Changed {
				if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
					_, err := g.logger(stderr) // the same error text as elsewhere
					return err
				}
			}
			opts.Socket = socket
			if opts.Socket == "" {
				opts.Socket = api.DefaultSocket()
			}
			if xsSocket != "" {
				opts.XenstoredSockets = append(opts.XenstoredSockets, xsSocket)
			}
			if xenPath && xsSocket != xenstore.XenSocketPath {
				opts.XenstoredSockets = append(opts.XenstoredSockets, xenstore.XenSocketPath)
			}
			opts.ConsoleLogDir = consoleDir
			opts.LogRing = daemon.NewLogRing(0)
			opts.Log = daemon.NewLogger(stderr, level, opts.LogRing)
			ctx, stop := signalContext()
			defer stop()
			return daemon.Run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&socket, "socket", "", "API socket to listen on (default $"+api.SocketEnv+" or "+api.DefaultSocketPath+"; its directory is created)")
	f.StringVar(&xsSocket, "xenstored-socket", xenstore.DefaultSocketPath, "also serve the embedded xenstored here for dom0 tools (\"\" for none)")
	f.BoolVar(&xenPath, "xenstored-path", false, "also serve xenstored on "+xenstore.XenSocketPath+", where Xen's tools look")
	f.StringVar(&consoleDir, "console-log-dir", daemon.DefaultConsoleLogDir, "directory of the console logs, <name>.log per domain (\"\" for none)")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", daemon.DefaultShutdownTimeout, "how long SIGTERM waits for guests to power off before destroying them")
	f.DurationVar(&opts.DetachTimeout, "detach-timeout", dom0.DetachTimeout, "how long block-detach waits for the guest to close the device before disconnecting it")
	return cmd
}
