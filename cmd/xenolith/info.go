package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

func newInfoCommand(stdout io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "info [flags] [KEY]",
		Short: "Describe the host and hypervisor (xl info's key : value lines)",
		Long: `Describe the host and hypervisor in xl info's format. With KEY, print
only that value (as xl info KEY).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			hi, err := c.Info(context.Background())
			if err != nil {
				return err
			}
			only := ""
			if len(args) == 1 {
				only = args[0]
			}
			printInfo(stdout, hi, only)
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}

// infoLines are xl info's lines in its order (xl_info.c print_info).
func infoLines(hi api.HostInfo) [][2]string {
	v := func(x any) string { return fmt.Sprint(x) }
	return [][2]string{
		{"host", hi.Host},
		{"release", hi.Release},
		{"version", hi.Version},
		{"machine", hi.Machine},
		{"nr_cpus", v(hi.NrCPUs)},
		{"max_cpu_id", v(hi.MaxCPUID)},
		{"nr_nodes", v(hi.NrNodes)},
		{"cpu_mhz", hi.CPUMHz},
		{"virt_caps", hi.VirtCaps},
		{"total_memory", v(hi.TotalMemMiB)},
		{"free_memory", v(hi.FreeMemMiB)},
		{"sharing_freed_memory", "0"},
		{"sharing_used_memory", "0"},
		{"outstanding_claims", "0"},
		{"xen_major", v(hi.XenMajor)},
		{"xen_minor", v(hi.XenMinor)},
		{"xen_extra", hi.XenExtra},
		{"xen_version", hi.XenVersion},
		{"xen_caps", hi.XenCaps},
		{"xen_scheduler", hi.XenScheduler},
		{"xen_pagesize", v(hi.XenPagesize)},
		{"xen_changeset", hi.XenChangeset},
		{"xen_commandline", hi.XenCommandline},
		{"cc_compiler", hi.CCCompiler},
		{"nr_domains", v(hi.Domains)},
		{"xend_config_format", "4"},
	}
}

// printInfo prints "%-23s: %s" lines, or only the value of key.
func printInfo(w io.Writer, hi api.HostInfo, key string) {
	for _, l := range infoLines(hi) {
		if key != "" {
			if strings.HasPrefix(l[0], key) {
				fmt.Fprintln(w, l[1])
			}
			continue
		}
		fmt.Fprintf(w, "%-23s: %s\n", l[0], l[1])
	}
}

func newDmesgCommand(stdout io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "dmesg [flags]",
		Short: "Print the daemon's recent log (its last 1000 lines)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			d, err := c.Dmesg(context.Background())
			if err != nil {
				return err
			}
			for _, l := range d.Lines {
				fmt.Fprintln(stdout, l)
			}
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}
