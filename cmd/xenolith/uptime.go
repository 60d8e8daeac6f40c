package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
)

func newUptimeCommand(stdout io.Writer) *cobra.Command {
	var (
		cf    clientFlags
		short bool
	)
	cmd := &cobra.Command{
		Use:   "uptime [-s] [flags] [DOMAIN...]",
		Short: "Print how long domains have been up (xl uptime's format)",
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			ctx := context.Background()
			var doms []api.DomainInfo
			if len(args) == 0 {
				var err error
				if doms, err = c.List(ctx); err != nil {
					return err
				}
			}
			for _, a := range args {
				d, err := c.Get(ctx, a)
				if err != nil {
					return err
				}
				doms = append(doms, d.DomainInfo)
			}
			printUptime(stdout, doms, short, time.Now())
			return nil
		},
	}
	cmd.Flags().BoolVarP(&short, "short", "s", false, "uptime(1)-style lines")
	cf.add(cmd)
	return cmd
}

// printUptime prints as xl uptime (xl_misc.c print_uptime): a header and
// "%-33s %4d %s" lines, or with short " HH:MM:SS up UPTIME, NAME (ID)".
func printUptime(w io.Writer, doms []api.DomainInfo, short bool, now time.Time) {
	if !short {
		fmt.Fprintf(w, "%-33s %4s %s\n", "Name", "ID", "Uptime")
	}
	for _, d := range doms {
		up := uptimeString(uint64(d.UptimeS), short)
		if short {
			fmt.Fprintf(w, " %s up %s, %s (%d)\n", now.Format("15:04:05"), up, d.Name, d.DomID)
		} else {
			fmt.Fprintf(w, "%-33s %4d %s\n", d.Name, d.DomID, up)
		}
	}
}

// uptimeString is xl's uptime_to_string.
func uptimeString(s uint64, short bool) string {
	day := s / 86400
	s -= day * 86400
	hour := s / 3600
	s -= hour * 3600
	min := s / 60
	sec := s - min*60
	days := ""
	switch {
	case day > 1:
		days = fmt.Sprintf("%d days, ", day)
	case day == 1:
		days = "1 day, "
	}
	if short {
		return fmt.Sprintf("%s%2d:%02d", days, hour, min)
	}
	return fmt.Sprintf("%s%2d:%02d:%02d", days, hour, min, sec)
}
