package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/plan"
)

// imageResolver adapts the image store to what pods need of it.
type imageResolver struct{ s *images.Store }

func (r imageResolver) Resolve(ref string) (*plan.Image, error) {
	img, err := r.s.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return &plan.Image{ID: img.ID, Layers: img.Layers, Config: img.Config}, nil
}

func newImageCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "image",
		Aliases: []string{"images"},
		Short:   "Manage the local image store",
	}
	cmd.AddCommand(newImageLoadCmd(g), newImageListCmd(g), newImageRmCmd(g))
	return cmd
}

func newImageLoadCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "load FILE|DIR",
		Short: "Load images from a docker-archive, an OCI archive or an OCI layout directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.store()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			loaded, err := s.Load(ctx, args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			for _, img := range loaded {
				names := img.Names()
				if len(names) == 0 {
					names = []string{"<none>"}
				}
				for _, n := range names {
					fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s (%s)\n", n, img.ShortID())
				}
			}
			return nil
		},
	}
}

// imageRow is one line of image list, in its JSON form too.
type imageRow struct {
	Repository string    `json:"repository"`
	Tag        string    `json:"tag"`
	ID         string    `json:"id"`
	Size       int64     `json:"size"`
	Created    time.Time `json:"created"`
}

func newImageListCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List images",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.store()
			if err != nil {
				return err
			}
			list, err := s.List()
			if err != nil {
				return err
			}
			var rows []imageRow
			for _, img := range list {
				names := img.Names()
				if len(names) == 0 {
					names = []string{"<none>:<none>"}
				}
				for _, n := range names {
					repo, tag := splitTag(n)
					rows = append(rows, imageRow{Repository: repo, Tag: tag, ID: img.ID, Size: img.Size, Created: img.Created})
				}
			}
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tSIZE\tCREATED")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, images.ShortID(r.ID), humanSize(r.Size), created(r.Created))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}

func newImageRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "rm IMAGE...",
		Aliases: []string{"remove", "rmi"},
		Short:   "Remove images that no pod uses",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			s, err := g.store()
			if err != nil {
				return err
			}
			s.InUse = m.ImageInUse
			for _, ref := range args {
				if err := s.Remove(ref); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted: %s\n", ref)
			}
			return nil
		},
	}
}

func splitTag(name string) (string, string) {
	for i := len(name) - 1; i >= 0; i-- {
		switch name[i] {
		case ':':
			return name[:i], name[i+1:]
		case '/':
			return name, "<none>"
		}
	}
	return name, "<none>"
}

func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.3g%cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func created(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return humanDuration(time.Since(t)) + " ago"
}
