package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/generator"
)

func newSyncCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "Make boot-time pods match the manifests in /etc/podunit/pods",
		Long: `Sync reloads systemd (which reruns podunit's generator), starts every
generated pod that is not running, and stops and removes every generated pod
whose manifest is gone (its state and emptyDir data too, as delete does).
The podunit-sync.path unit runs it whenever /etc/podunit/pods changes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			// Manifests copied in one after the other trigger the path
			// unit once; sync again until the directories hold still.
			for range 5 {
				before := generator.Fingerprint(generator.Dirs)
				if err := m.Sync(ctx, func(name, what string) {
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", name, what)
				}); err != nil {
					return err
				}
				if generator.Fingerprint(generator.Dirs) == before {
					return nil
				}
			}
			return nil
		},
	}
}
