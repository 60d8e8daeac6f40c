package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/xenolith/xenolith/toolstack/api"
	"github.com/xenolith/xenolith/toolstack/xlcfg"
)

// The block hotplug commands, as xl's xl_block.c: block-attach,
// block-list, block-detach.

func newBlockAttachCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "block-attach [flags] DOMAIN DISKSPEC...",
		Short: "Attach a disk to a running domain (xl-disk-configuration(5) syntax)",
		Long: `Attach a disk to a running domain, as xl block-attach. DISKSPEC is one
disk in the syntax of a config's disk= list; several arguments are joined
with commas, so these are the same:

  xenolith block-attach web /images/data.img,raw,xvdb,rw
  xenolith block-attach web format=raw vdev=xvdb access=rw target=/images/data.img

A relative target is taken from the working directory. The guest's front
end finds the disk by watching device/vbd in xenstore.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := absDiskSpec(strings.Join(args[1:], ","))
			if err != nil {
				return err
			}
			c := cf.client()
			defer c.Close()
			_, err = c.AttachDisk(context.Background(), args[0], api.DiskAttachRequest{Spec: spec})
			return err
		},
	}
	cf.add(cmd)
	return cmd
}

// absDiskSpec checks spec locally (the same errors as a config's disk=)
// and makes a relative target absolute.
func absDiskSpec(spec string) (string, error) {
	d, err := xlcfg.ParseDiskSpec(spec)
	if err != nil {
		return "", fmt.Errorf("disk spec: %w", err)
	}
	if filepath.IsAbs(d.Target) {
		return spec, nil
	}
	abs, err := filepath.Abs(d.Target)
	if err != nil {
		return "", fmt.Errorf("disk spec: target %q: %w", d.Target, err)
	}
	d.Target = abs
	return d.String(), nil
}

func newBlockListCommand(stdout, stderr io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "block-list [flags] DOMAIN...",
		Short: "List domains' disks (xl block-list's columns)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			defer c.Close()
			// As xl: the header once, then each domain's disks; a domain
			// that cannot be listed is reported and skipped.
			fmt.Fprintf(stdout, "%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state", "evt-ch", "ring-ref", "BE-path")
			var failed error
			for _, ref := range args {
				disks, err := c.Disks(context.Background(), ref)
				if err != nil {
					if errors.Is(err, api.ErrNoDaemon) {
						return err
					}
					fmt.Fprintln(stderr, "xenolith:", err)
					failed = &statusError{status: exitError}
					continue
				}
				for _, d := range disks {
					fmt.Fprintf(stdout, "%-5d %-3d %-6d %-5d %-6d %-8d %-30s\n", d.DevID, d.BackendID, d.FrontendID, d.State, d.EvtchnPort, d.RingRef, d.BackendPath)
				}
			}
			return failed
		},
	}
	cf.add(cmd)
	return cmd
}

func newBlockDetachCommand(stderr io.Writer) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "block-detach [flags] DOMAIN VDEV",
		Short: "Detach a disk from a domain (VDEV: xvdb or its devid 51728)",
		Long: `Detach a disk, as xl block-detach: the guest's front end is asked to
close the device (xenbus state Closing) and given 10 s; one that does not
close in time is disconnected anyway, with a warning.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := xlcfg.VDevNumber(args[1]); !ok {
				return fmt.Errorf("%q is not a disk: give a vdev such as xvdb, or a devid such as 51728 (see xenolith block-list %s)", args[1], args[0])
			}
			c := cf.client()
			defer c.Close()
			res, err := c.DetachDisk(context.Background(), args[0], args[1])
			if err != nil {
				return err
			}
			if res.Forced {
				fmt.Fprintf(stderr, "Warning: domain %s did not close vdev %s in time: disconnected it\n", args[0], args[1])
			}
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}
