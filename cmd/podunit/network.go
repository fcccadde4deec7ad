package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newNetworkCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Show the CNI networks pods can join",
	}
	var output string
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List CNI networks: the conflists in /etc/cni/net.d and podunit's default",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			nets, err := m.Net.Networks()
			if err != nil {
				return err
			}
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, nets)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPLUGINS\tSOURCE\tERROR")
			for _, n := range nets {
				src := n.File
				if src == "" {
					src = "built-in"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", dash(n.Name), dash(strings.Join(n.Plugins, ",")), src, dash(n.Err))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	show := &cobra.Command{
		Use:   "show NETWORK",
		Short: "Print a network's conflist (copy the default's to /etc/cni/net.d to change it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			n, err := m.Net.Find(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(n.Bytes)
			return err
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}
