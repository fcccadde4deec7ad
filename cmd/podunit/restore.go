package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newRestoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore",
		Short: "Start the applied pods again after a reboot",
		Long: `Restore starts the pods that apply made and that the previous boot ran, as
the kubelet brings back the pods of its node: restartPolicy Always pods
always, OnFailure pods unless they had succeeded, Never pods not. Pods
applied with --transient stay down; pods from /etc/podunit/pods are the
generator's. podunit-restore.service (make install) runs it at boot.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return m.Restore(ctx, func(name, what string) {
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s %s\n", name, what)
			})
		},
	}
}
