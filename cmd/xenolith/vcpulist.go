package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

func newVCPUListCommand(stdout io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "vcpu-list [flags] [DOMAIN...]",
		Short: "List domains' vCPUs (xl vcpu-list's columns)",
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			ctx := context.Background()
			refs := args
			if len(refs) == 0 {
				doms, err := c.List(ctx)
				if err != nil {
					return err
				}
				for _, d := range doms {
					refs = append(refs, fmt.Sprint(d.DomID))
				}
			}
			var lists []api.VCPUList
			for _, r := range refs {
				l, err := c.VCPUs(ctx, r)
				if err != nil {
					if len(args) == 0 {
						continue // gone or dying since the list
					}
					return err
				}
				lists = append(lists, l)
			}
			printVCPUs(stdout, lists)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}

// printVCPUs prints as xl vcpu-list (xl_vcpu.c print_vcpuinfo).
func printVCPUs(w io.Writer, lists []api.VCPUList) {
	fmt.Fprintf(w, "%-32s %5s %5s %5s %5s %9s %s\n", "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "Affinity (Hard / Soft)")
	for _, l := range lists {
		for _, v := range l.VCPUs {
			fmt.Fprintf(w, "%-32s %5d %5d", l.Name, l.DomID, v.VCPU)
			switch {
			case !v.Online:
				fmt.Fprintf(w, "%5c %3c%cp ", '-', '-', '-')
			default:
				cpu := "-"
				if v.CPU >= 0 {
					cpu = fmt.Sprint(v.CPU)
				}
				fmt.Fprintf(w, "%5s %3c%c- ", cpu, flag(v.Running, 'r'), flag(v.Blocked, 'b'))
			}
			fmt.Fprintf(w, "%9.1f  %s / %s\n", v.TimeS, v.Affinity, v.SoftAffinity)
		}
	}
}

func flag(set bool, c byte) byte {
	if set {
		return c
	}
	return '-'
}
