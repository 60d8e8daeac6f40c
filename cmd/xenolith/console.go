package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

// detachByte is Ctrl-], which detaches from a console as in xl console.
const detachByte = 0x1d

func newConsoleCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf       clientFlags
		readOnly bool
	)
	cmd := &cobra.Command{
		Use:   "console [flags] DOMAIN",
		Short: "Attach to a domain's console (Ctrl-] detaches)",
		Long: `Attach to a domain's console, as xl console: the output kept so far, then
live output; keystrokes go to the guest. Ctrl-] detaches. The terminal is
put in raw mode while attached when stdin is a terminal. One session at a
time may type; others can attach with --read-only. The command ends when
the domain is destroyed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			conn, err := c.Console(context.Background(), args[0], !readOnly)
			if err != nil {
				return err
			}
			return attachConsole(conn, os.Stdin, stdout)
		},
	}
	cmd.Flags().BoolVarP(&readOnly, "read-only", "r", false, "only watch the output (another session may be typing)")
	cf.add(cmd)
	return cmd
}

// attachConsole copies console output to out and in's bytes to the guest
// until Ctrl-] (detach) or the console ends. When in is a terminal it is
// in raw mode meanwhile. End of input stops sending but keeps the output
// until the console ends.
func attachConsole(conn *api.ConsoleConn, in *os.File, out io.Writer) error {
	restore, err := makeRaw(in)
	if err != nil {
		conn.Close()
		return err
	}
	defer restore()
	detached := make(chan struct{})
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := in.Read(buf)
			if i := bytes.IndexByte(buf[:n], detachByte); i >= 0 {
				conn.Write(buf[:i])
				close(detached)
				conn.Close()
				return
			}
			if n > 0 {
				if _, werr := conn.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	_, err = io.Copy(out, conn)
	select {
	case <-detached:
		return nil
	default:
	}
	conn.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
