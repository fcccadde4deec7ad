package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/units"
)

func newUnitCmd(g *globals) *cobra.Command {
	var (
		files    []string
		template bool
	)
	cmd := &cobra.Command{
		Use:   "unit -f FILE",
		Short: "Print the systemd unit file that runs each pod",
		Long: `Unit prints, for each pod in the manifests, a unit file that runs it on any
host with podunit installed: the transient unit apply starts, compiled from
the same model, plus [Install] (annotation podunit.io/wanted-by, default
multi-user.target), ordering after network-online.target when an image may
be pulled, and fleet placement in [X-Fleet] from podunit.io/fleet-*
annotations. The unit carries the pod's spec, so the file alone is enough.
It needs no root and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("unit needs -f FILE, DIR or -")
			}
			list, _, err := decodeManifests(files, cmd.InOrStdin())
			if err != nil {
				return err
			}
			printWarnings(cmd.ErrOrStderr(), list)
			h, err := g.host()
			if err != nil {
				return err
			}
			for i, p := range list {
				u, err := units.CompileFile(p, h, units.FileOptions{Template: template})
				if err != nil {
					return fmt.Errorf("pod/%s: %w", p.Metadata.Name, err)
				}
				text, err := u.File()
				if err != nil {
					return err
				}
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				fmt.Fprintf(cmd.OutOrStdout(), "# %s\n%s", u.Name, text)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory of manifests, or - for standard input")
	cmd.Flags().BoolVar(&template, "template", false, "write podunit-<pod>@.service: instance NAME runs the pod <pod>-NAME")
	return cmd
}
