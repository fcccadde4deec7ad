package main

import (
	"github.com/spf13/cobra"
)

// newInternalCmd holds the steps systemd runs inside a pod's unit. They
// are not for people, so they are hidden from help and completion.
func newInternalCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "internal",
		Short:  "Steps run by a pod's unit",
		Hidden: true,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "prepare POD",
		Short: "Ready the pod's directories and plan (ExecStartPre)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			return m.Prepare(args[0])
		},
	}, &cobra.Command{
		Use:   "cleanup POD",
		Short: "Remove what only a running pod needs (ExecStopPost)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			return m.Cleanup(args[0])
		},
	})
	return cmd
}
