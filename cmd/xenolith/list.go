package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

func newListCommand(stdout io.Writer) *cobra.Command {
	var (
		cf   clientFlags
		long bool
	)
	cmd := &cobra.Command{
		Use:   "list [-l] [DOMAIN]",
		Short: "List domains (xl list's columns; -l: their configs as JSON)",
		Long: `List the domains in xl list's format, Domain-0 first:

  Name                                        ID   Mem VCPUs	State	Time(s)

State is xl's six flags: r running, b blocked, p paused, s shutdown, then
the shutdown reason (- poweroff, r reboot, s suspend, c crash, w watchdog)
and d dying. -l prints [{"domid": N, "config": {...}}, ...] as xl list -l.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			ctx := context.Background()
			var doms []api.DomainInfo
			if len(args) == 1 {
				d, err := c.Get(ctx, args[0])
				if err != nil {
					return err
				}
				doms = []api.DomainInfo{d.DomainInfo}
			} else {
				var err error
				if doms, err = c.List(ctx); err != nil {
					return err
				}
			}
			if long {
				return listLong(ctx, c, doms, stdout)
			}
			printList(stdout, doms)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "print each domain's config as JSON")
	cf.add(cmd)
	return cmd
}

// printList prints domains as xl list does (xl_list.c list_domains).
func printList(w io.Writer, doms []api.DomainInfo) {
	fmt.Fprintf(w, "Name                                        ID   Mem VCPUs\tState\tTime(s)\n")
	for _, d := range doms {
		fmt.Fprintf(w, "%-40s %5d %5d %5d     %s  %8.1f\n", d.Name, d.DomID, d.MemoryMiB, d.VCPUs, d.State, d.CPUTimeS)
	}
}

// listLong prints [{"domid": N, "config": {...}}] for the guests (xl
// skips Domain-0, which has no stored config).
func listLong(ctx context.Context, c *api.Client, doms []api.DomainInfo, w io.Writer) error {
	type entry struct {
		DomID  uint16          `json:"domid"`
		Config json.RawMessage `json:"config"`
	}
	out := []entry{}
	for _, d := range doms {
		if d.DomID == 0 {
			continue
		}
		det, err := c.Get(ctx, fmt.Sprint(d.DomID))
		if err != nil {
			if errors.Is(err, api.ErrNotFound) {
				continue // gone since the list
			}
			return err
		}
		out = append(out, entry{DomID: det.DomID, Config: det.Config})
	}
	b, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
