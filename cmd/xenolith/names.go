package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
)

// domid NAME and domname ID convert between names and domids, as xl.

func newDomidCommand(stdout io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "domid [flags] NAME",
		Short: "Print a domain's domid",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			d, err := c.Get(context.Background(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, d.DomID)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}

func newDomnameCommand(stdout io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "domname [flags] ID",
		Short: "Print a domain's name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := strconv.ParseUint(args[0], 10, 16); err != nil {
				return fmt.Errorf("invalid domain id %q: want a number from 0 to 65535", args[0])
			}
			c := cf.client()
			defer c.Close()
			d, err := c.Get(context.Background(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, d.Name)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}
