package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

func newCreateCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		cf      clientFlags
		console bool
		paused  bool
	)
	cmd := &cobra.Command{
		Use:   "create [-c] [-p] CFG [KEY=VALUE...]",
		Short: "Create a domain from an xl.cfg file (through the daemon)",
		Long: `Create a domain from an xl.cfg file, as xl create: the config is checked
here first (errors name file:line: key), then the daemon builds the domain
and starts it. KEY=VALUE arguments are xl.cfg lines applied after the file
(quote strings: 'name="vm2"'). -p leaves the domain paused; -c attaches
its console (Ctrl-] detaches).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, overrides := args[0], args[1:]
			if overrideRE.MatchString(path) {
				return fmt.Errorf("%q is a KEY=VALUE override: give the config file first (xenolith create CFG [KEY=VALUE...])", path)
			}
			for _, o := range overrides {
				if !overrideRE.MatchString(o) {
					return fmt.Errorf("%q is not KEY=VALUE: create takes one config file, then overrides", o)
				}
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "Parsing config from %s\n", path)
			src, err := os.ReadFile(abs)
			if err != nil {
				return err
			}
			// Fail fast, with xlcfg's file:line: key errors, before the
			// daemon is asked.
			cfg, err := xlcfg.Load(abs)
			if err != nil {
				return err
			}
			for _, o := range overrides {
				if err := cfg.Override(o); err != nil {
					return err
				}
			}
			c := cf.client()
			defer c.Close()
			ctx := context.Background()
			resp, err := c.Create(ctx, api.CreateRequest{Config: string(src), File: abs, Overrides: overrides, Paused: paused || console})
			if err != nil {
				return err
			}
			for _, w := range resp.Warnings {
				fmt.Fprintln(stderr, "xenolith: warning:", w)
			}
			if !console {
				return nil
			}
			// Created paused so that no output is missed: attach, then run.
			conn, err := c.Console(ctx, fmt.Sprint(resp.DomID), true)
			if err != nil {
				if !paused {
					c.Unpause(ctx, fmt.Sprint(resp.DomID))
				}
				return err
			}
			if !paused {
				if err := c.Unpause(ctx, fmt.Sprint(resp.DomID)); err != nil {
					conn.Close()
					return err
				}
			}
			return attachConsole(conn, os.Stdin, stdout)
		},
	}
	cmd.Flags().BoolVarP(&console, "console", "c", false, "attach the console after creating the domain")
	cmd.Flags().BoolVarP(&paused, "paused", "p", false, "leave the domain paused after creating it")
	cf.add(cmd)
	return cmd
}
