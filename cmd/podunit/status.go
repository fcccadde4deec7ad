package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/contract"
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
	fmt.Fprintln(w, "Conditions:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tSTATUS\tSINCE\tREASON")
	for _, c := range s.Conditions {
		why := c.Reason
		if c.Message != "" {
			why += ": " + c.Message
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Type, c.Status, timeOrDash(c.LastTransitionTime), dash(why))
	}
	tw.Flush()
	section := func(title string, cs []pods.ContainerStatus) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for _, c := range cs {
			fmt.Fprintf(w, "  %s:\n", c.Name)
			tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
			fmt.Fprintf(tw, "    Image:\t%s\n", c.Image)
			fmt.Fprintf(tw, "    State:\t%s\n", c.Status.State)
			switch c.Status.State {
			case contract.StateRunning:
				fmt.Fprintf(tw, "      Started:\t%s\n", c.StartedAt)
			case contract.StateWaiting:
				fmt.Fprintf(tw, "      Reason:\t%s\n", dash(c.Reason))
			default:
				if t, ok := c.Status.Ended(); ok {
					termination(tw, t)
				}
			}
			if c.LastState != nil {
				fmt.Fprintf(tw, "    Last State:\t%s\n", contract.StateTerminated)
				termination(tw, *c.LastState)
			}
			fmt.Fprintf(tw, "    Ready:\t%s\n", boolWord(c.Ready))
			fmt.Fprintf(tw, "    Started:\t%s\n", boolWord(c.Started))
			fmt.Fprintf(tw, "    Restart Count:\t%d\n", c.RestartCount)
			if c.Usage != nil {
				fmt.Fprintf(tw, "    Memory:\t%s\n", humanSize(c.Usage.MemoryBytes))
				fmt.Fprintf(tw, "    CPU time:\t%s\n", time.Duration(c.Usage.CPUUsec)*time.Microsecond)
			}
			tw.Flush()
		}
	}
	section("Init containers", s.Init)
	section("Containers", s.Containers)
}

// termination prints how an instance ended, as kubectl describe does.
func termination(w io.Writer, t contract.Termination) {
	fmt.Fprintf(w, "      Reason:\t%s\n", dash(t.Reason))
	if t.Message != "" {
		fmt.Fprintf(w, "      Message:\t%s\n", t.Message)
	}
	fmt.Fprintf(w, "      Exit Code:\t%d\n", t.ExitCode)
	if t.Signal != "" {
		fmt.Fprintf(w, "      Signal:\t%s\n", t.Signal)
	}
	fmt.Fprintf(w, "      Started:\t%s\n", dash(t.StartedAt))
	fmt.Fprintf(w, "      Finished:\t%s\n", dash(t.FinishedAt))
}

func boolWord(b bool) string {
	if b {
		return pods.ConditionTrue
	}
	return pods.ConditionFalse
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
