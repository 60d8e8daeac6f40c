package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/xenstore"
)

func newXenstoredCommand(g *globalFlags, stdout, stderr io.Writer) *cobra.Command {
	var (
		socket  string
		xenPath bool
		quota   = xenstore.DefaultQuota()
		events  int
	)
	cmd := &cobra.Command{
		Use:   "xenstored [flags]",
		Short: "Run xenstored in the foreground (Unix socket for dom0 tools)",
		Long: `Run Xenolith's xenstored in the foreground until SIGINT or SIGTERM.

Dom0 clients connect to the Unix socket (--socket). With --xenstored-path
it also listens on ` + xenstore.XenSocketPath + `, where Xen's tools
(xenstore-read, -write, -ls, ... from xenstore-utils) look by default;
otherwise point them at the socket with XENSTORED_PATH=<socket>.

Quotas apply to guest domains (dom0 is exempt), with C xenstored's
defaults: exceeding nodes, node size, transactions or permissions per
node gives ENOSPC, exceeding watches E2BIG.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger(stderr)
			if err != nil {
				return err
			}
			srv := xenstore.New(xenstore.Config{Quota: quota, MaxQueuedEvents: events, Log: log})
			paths := []string{socket}
			if xenPath && socket != xenstore.XenSocketPath {
				paths = append(paths, xenstore.XenSocketPath)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errs := make(chan error, len(paths))
			for _, p := range paths {
				l, err := srv.ListenUnix(p)
				if err != nil {
					srv.Close()
					return err
				}
				log.Info("xenstored listening", "socket", p)
				go func() { errs <- srv.Serve(l) }()
			}
			fmt.Fprintf(stdout, "xenstored: listening on %v\n", paths)
			select {
			case <-ctx.Done():
				return srv.Close()
			case err := <-errs:
				srv.Close()
				return err
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&socket, "socket", xenstore.DefaultSocketPath, "Unix socket to listen on (its directory is created)")
	f.BoolVar(&xenPath, "xenstored-path", false, "also listen on "+xenstore.XenSocketPath+" for Xen's tools")
	f.IntVar(&quota.Nodes, "quota-nodes", quota.Nodes, "nodes a guest domain may own")
	f.IntVar(&quota.NodeSize, "quota-node-size", quota.NodeSize, "bytes of value plus permissions per node of a guest")
	f.IntVar(&quota.Watches, "quota-watches", quota.Watches, "watches per guest domain")
	f.IntVar(&quota.Transactions, "quota-transactions", quota.Transactions, "open transactions per guest domain")
	f.IntVar(&quota.Perms, "quota-perms", quota.Perms, "permission entries per node set by a guest")
	f.IntVar(&events, "max-queued-events", xenstore.DefaultMaxQueuedEvents, "undelivered watch events after which a client is dropped")
	return cmd
}
