package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/pods"
)

func newLogsCmd(g *globals) *cobra.Command {
	var (
		container  string
		all        bool
		o          pods.LogOptions
		prefix     bool
		timestamps bool
	)
	cmd := &cobra.Command{
		Use:   "logs POD [-c CONTAINER]",
		Short: "Print a container's output from the journal",
		Long: `Logs prints what a pod's containers wrote to stdout and stderr, read from
the host journal (the same lines as
journalctl _SYSTEMD_UNIT=podunit-POD.service CONTAINER_NAME=C). It works while
the pod runs and after it stopped. Without -c, a pod with one container
shows that container; a pod with several needs -c or --all-containers.
It shows every instance of the container in this pod (each restart), but
none of an earlier pod of the same name; --previous shows only the
instance before the current one (while the container waits to restart,
the one that just ended), as kubectl logs --previous does.`,
		Example: `  podunit logs web
  podunit logs web -c app -f --tail 20
  podunit logs web -c app --previous
  podunit logs web --all-containers --since "10 min ago"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			applied, err := m.State.Load(args[0])
			if err != nil {
				return err
			}
			spec := applied.Pod.Spec
			names := map[string]bool{}
			for _, c := range append(append(spec.InitContainers[:0:0], spec.InitContainers...), spec.Containers...) {
				names[c.Name] = true
			}
			switch {
			case container != "":
				if !names[container] {
					return fmt.Errorf("container %q is not in pod %q", container, args[0])
				}
				o.Containers = []string{container}
			case all:
				o.Prefix = true
			case len(spec.Containers) == 1 && len(spec.InitContainers) == 0:
				o.Containers = []string{spec.Containers[0].Name}
			default:
				var list []string
				for _, c := range spec.Containers {
					list = append(list, c.Name)
				}
				return fmt.Errorf("pod %q has several containers: choose one with -c (%v) or use --all-containers", args[0], list)
			}
			o.Prefix = o.Prefix || prefix
			o.Timestamps = timestamps
			ctx, stop := signalContext()
			defer stop()
			return m.Logs(ctx, args[0], o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&container, "container", "c", "", "container to show")
	f.BoolVar(&all, "all-containers", false, "show every container, each line prefixed with [container]")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing new lines")
	f.BoolVarP(&o.Previous, "previous", "p", false, "show the previous instance of the container (after a restart)")
	f.StringVar(&o.Since, "since", "", `only lines newer than this (journalctl --since syntax: "10 min ago", "2026-11-24 10:00:00")`)
	f.IntVar(&o.Tail, "tail", -1, "only the last N lines (-1: all)")
	f.BoolVar(&prefix, "prefix", false, "prefix each line with [container]")
	f.BoolVar(&timestamps, "timestamps", false, "prefix each line with its journal timestamp (RFC 3339)")
	return cmd
}
