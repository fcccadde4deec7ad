package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/pods"
)

func newStatusCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:               "status POD",
		Aliases:           []string{"describe"},
		Short:             "Show a pod's state: unit, machine and every container",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			s, err := m.Status(ctx, args[0])
			if err != nil {
				return err
			}
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, s)
			}
			printStatus(cmd.OutOrStdout(), s)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}

func printStatus(w io.Writer, s *pods.PodStatus) {
	fmt.Fprintf(w, "Name:         %s\n", s.Name)
	fmt.Fprintf(w, "Namespace:    %s\n", s.Namespace)
	fmt.Fprintf(w, "Status:       %s\n", s.Status)
	fmt.Fprintf(w, "Unit:         %s (%s)\n", s.Unit, s.UnitState)
	if s.Machine != nil {
		fmt.Fprintf(w, "Machine:      %s (class %s, service %s, leader %d)\n", s.Machine.Name, s.Machine.Class, s.Machine.Service, s.Machine.Leader)
	} else {
		fmt.Fprintf(w, "Machine:      -\n")
	}
	if s.StartedAt != nil {
		fmt.Fprintf(w, "Started:      %s\n", s.StartedAt.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "Network:      %s\n", s.Network)
	fmt.Fprintf(w, "IP:           %s\n", podIP(s))
	fmt.Fprintf(w, "Pod restarts: %d\n", s.PodRestart)
	section := func(title string, cs []pods.ContainerStatus) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tSTATE\tREASON\tEXIT\tRESTARTS\tSTARTED\tFINISHED\tIMAGE")
		for _, c := range cs {
			exit := "-"
			if c.ExitCode != nil {
				exit = fmt.Sprint(*c.ExitCode)
			}
			if c.Signal != "" {
				exit += " (" + c.Signal + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", c.Name, c.State, dash(c.Reason), exit,
				c.RestartCount, dash(c.StartedAt), dash(c.FinishedAt), c.Image)
		}
		tw.Flush()
	}
	section("Init containers", s.Init)
	section("Containers", s.Containers)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
