package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/hostcheck"
)

func newInfoCmd(_ *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Diagnose whether this host can run pods, and say what to fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := hostcheck.Run(context.Background())
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, checks)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
			bad := 0
			for _, c := range checks {
				mark := "ok"
				if !c.OK {
					mark = "MISSING"
					if c.Required {
						bad++
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, mark, c.Value)
				if c.Fix != "" {
					fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
				}
			}
			tw.Flush()
			if bad > 0 {
				return fmt.Errorf("%d required check(s) failed: this host cannot run pods yet", bad)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}
