package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

// clientFlags is what every command that talks to the daemon takes.
type clientFlags struct {
	socket string
}

func (f *clientFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.socket, "socket", "", "the daemon's API socket (default $"+api.SocketEnv+" or "+api.DefaultSocketPath+")")
}

// client returns an API client for --socket, $XENOLITH_SOCKET or the
// default socket.
func (f *clientFlags) client() *api.Client {
	return api.NewClient(f.socket)
}

// signalContext is cancelled by Ctrl-C or SIGTERM, so a waiting command
// ends cleanly.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
