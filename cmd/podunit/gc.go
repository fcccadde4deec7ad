package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/internal/crashpoint"
)

// collector is one part of `podunit gc`. Each removes what podunit state
// it owns is no longer referenced; new kinds of state (network leases,
// netns handles...) add a collector to gcCollectors.
type collector struct {
	name string
	run  func(g *globals, all bool, out io.Writer) error
}

// gcCollectors run in order; one failing does not stop the others.
var gcCollectors = []collector{
	{name: "networks", run: collectNetworks},
	{name: "isolation", run: collectIsolation},
	{name: "volumes", run: collectProjected},
	{name: "images", run: collectImages},
}

// collectIsolation frees user namespace ranges and SELinux levels held by
// pods that no longer exist.
func collectIsolation(g *globals, _ bool, out io.Writer) error {
	m, err := g.manager()
	if err != nil {
		return err
	}
	return m.GCIsolation(func(pod, what string) {
		fmt.Fprintf(out, "released %s of vanished pod %s\n", what, pod)
	})
}

func newGCCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove what no pod or image needs any more",
		Long: `Remove unused podunit state: network attachments, namespaces and leases of
pods that are not running, user namespace ranges and SELinux levels of pods
that no longer exist, image store leftovers of killed pulls or loads, blobs
and layers no image references, dangling images (with --all, every image no
pod uses). Never removes what a pod uses; safe to run while other podunit
commands work.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var errs []error
			for _, c := range gcCollectors {
				crashpoint.Hit("gc/" + c.name)
				if err := c.run(g, all, cmd.OutOrStdout()); err != nil {
					errs = append(errs, fmt.Errorf("gc %s: %w", c.name, err))
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also remove tagged images no pod uses")
	return cmd
}

func collectImages(g *globals, all bool, out io.Writer) error {
	mode := images.PruneDangling
	if all {
		mode = images.PruneUnused
	}
	return pruneImages(g, mode, out)
}

func pruneImages(g *globals, mode images.PruneMode, out io.Writer) error {
	s, err := g.guardedStore()
	if err != nil {
		return err
	}
	rep, err := s.Prune(mode)
	for _, img := range rep.Images {
		fmt.Fprintf(out, "Deleted image: %s %v\n", img.ShortID(), img.Names())
	}
	fmt.Fprintf(out, "Removed %d images, %d layers, %d blobs\n", len(rep.Images), rep.Layers, rep.Blobs)
	if rep.PullsRunning {
		fmt.Fprintln(out, "A pull is running: unreferenced layers were left for the next gc")
	}
	return err
}

func newImagePruneCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove dangling images (--all: every image no pod uses)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode := images.PruneDangling
			if all {
				mode = images.PruneUnused
			}
			return pruneImages(g, mode, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every image no pod uses, not only dangling ones")
	return cmd
}
