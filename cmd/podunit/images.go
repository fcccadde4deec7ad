package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/plan"
)

// imageResolver adapts the image store to what pods need of it. Pulls
// for pods report progress on progress (stderr: a terminal for apply, the
// journal for the unit's prepare step).
type imageResolver struct {
	s        *images.Store
	progress io.Writer
}

func (r imageResolver) Resolve(ref string) (*plan.Image, error) {
	img, err := r.s.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return planImage(img), nil
}

func (r imageResolver) Pull(ctx context.Context, ref string, secrets [][]byte) (*plan.Image, error) {
	pol, err := images.LoadPolicy(images.PolicyPaths)
	if err != nil {
		return nil, err
	}
	imgs, err := r.s.Pull(ctx, ref, images.PullOptions{Policy: pol, Progress: r.progress, PullSecrets: secrets})
	if err != nil {
		return nil, err
	}
	return planImage(imgs[0]), nil
}

func planImage(img *images.Image) *plan.Image {
	return &plan.Image{ID: img.ID, Layers: img.Layers, Config: img.Config}
}

func newImageCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "image",
		Aliases: []string{"images"},
		Short:   "Manage the local image store",
	}
	cmd.AddCommand(rootOnly(newImagePullCmd(g)), rootOnly(newImageLoadCmd(g)), newImageListCmd(g), newImageInspectCmd(g),
		rootOnly(newImageRmCmd(g)), rootOnly(newImagePruneCmd(g)), rootOnly(newImageVerifyCmd(g)))
	return cmd
}

func newImagePullCmd(g *globals) *cobra.Command {
	var o images.PullOptions
	tlsVerify := true
	cmd := &cobra.Command{
		Use:   "pull IMAGE",
		Short: "Pull an image from a registry, checking the signature policy",
		Long: `Pull an image from an OCI or Docker v2 registry. Credentials come from
$REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
~/.config/containers/auth.json, /etc/containers/auth.json and
~/.docker/config.json. The signature policy is /etc/podunit/policy.json or
/etc/containers/policy.json; an image it refuses is never unpacked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.store()
			if err != nil {
				return err
			}
			if o.Policy, err = images.LoadPolicy(images.PolicyPaths); err != nil {
				return err
			}
			o.Insecure = !tlsVerify
			o.Progress = cmd.ErrOrStderr()
			ctx, stop := signalContext()
			defer stop()
			imgs, err := s.Pull(ctx, args[0], o)
			if err != nil {
				return err
			}
			for _, img := range imgs {
				fmt.Fprintln(cmd.OutOrStdout(), img.ID)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Platform, "platform", "", "os/arch[/variant] to pull from a multi-platform image (default: this host's)")
	f.BoolVar(&o.AllPlatforms, "all-platforms", false, "store the images of every platform; the tag names --platform's")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS with a verified certificate for this image's registry")
	f.IntVar(&o.Jobs, "jobs", images.DefaultJobs, "layers downloaded and unpacked at once")
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
	Digest     string    `json:"digest,omitempty"`
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
				if len(img.RepoTags) == 0 && len(img.RepoDigests) > 0 {
					// Pulled by digest (or another platform of an index):
					// show the repository it came from.
					repo, _, _ := strings.Cut(img.RepoDigests[0], "@")
					names = []string{images.FamiliarName(repo) + ":<none>"}
				}
				for _, n := range names {
					repo, tag := splitTag(n)
					rows = append(rows, imageRow{Repository: repo, Tag: tag, Digest: img.ManifestDigest, ID: img.ID, Size: img.Size, Created: img.Created})
				}
			}
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tSIZE\tCREATED")
			for _, r := range rows {
				d := "<none>"
				if r.Digest != "" {
					d = "sha256:" + images.ShortID(r.Digest)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, d, images.ShortID(r.ID), humanSize(r.Size), created(r.Created))
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
			s, err := g.guardedStore()
			if err != nil {
				return err
			}
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
