package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/podunit/podunit/pods"
)

func newListCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List pods",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			list, err := m.List(ctx)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch output {
			case "", "wide":
				return printPodTable(w, list, output == "wide")
			default:
				return printStructured(w, output, list)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: wide, json or yaml")
	return cmd
}

func printPodTable(w io.Writer, list []*pods.PodStatus, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	head := "NAME\tREADY\tSTATUS\tRESTARTS\tAGE"
	if wide {
		head += "\tIP\tNAMESPACE\tUNIT\tMACHINE\tIMAGES"
	}
	fmt.Fprintln(tw, head)
	now := time.Now()
	for _, s := range list {
		age := "-"
		if s.StartedAt != nil {
			age = humanDuration(now.Sub(*s.StartedAt))
		}
		ready, total := s.ReadyCount()
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\t%s", s.Name, ready, total, s.Display(), restartsColumn(s.Restarts, s.LastRestart, now), age)
		if wide {
			machine := "-"
			if s.Machine != nil {
				machine = s.Machine.Name
			}
			var imgs []string
			for _, c := range s.Containers {
				imgs = append(imgs, c.Image)
			}
			fmt.Fprintf(tw, "\t%s\t%s\t%s\t%s\t%s", podIP(s), s.Namespace, s.Unit, machine, strings.Join(imgs, ","))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// printStructured prints v as JSON or YAML. YAML goes through JSON so both
// formats use the same (JSON) field names, as kubectl's do.
func printStructured(w io.Writer, format string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	switch format {
	case "json":
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "yaml":
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return err
		}
		y, err := yaml.Marshal(generic)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	}
	return fmt.Errorf("unknown output format %q (want json, yaml or wide)", format)
}

// humanDuration renders an age the way kubectl does: 45s, 12m, 3h, 5d.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// restartsColumn is kubectl's RESTARTS: the count, and how long ago the
// latest restarted instance ended.
func restartsColumn(n int, last *time.Time, now time.Time) string {
	if n == 0 || last == nil {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%s ago)", n, humanDuration(now.Sub(*last)))
}

// podIP is kubectl's IP column: the pod's addresses, "host" for a
// hostNetwork pod, "-" for a pod not attached.
func podIP(s *pods.PodStatus) string {
	switch {
	case len(s.PodIPs) > 0:
		return strings.Join(s.PodIPs, ",")
	case s.Network == "host":
		return "host"
	}
	return "-"
}
