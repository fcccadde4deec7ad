package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
)

// imageDetail is `image inspect` output: the image record plus the layer
// directories and the signatures the policy checked at pull time.
type imageDetail struct {
	ID             string                 `json:"id"`
	RepoTags       []string               `json:"repoTags"`
	RepoDigests    []string               `json:"repoDigests,omitempty"`
	ManifestDigest string                 `json:"manifestDigest,omitempty"`
	Created        string                 `json:"created"`
	OS             string                 `json:"os"`
	Architecture   string                 `json:"architecture"`
	Size           int64                  `json:"size"`
	Config         images.Config          `json:"config"`
	Layers         []layerDetail          `json:"layers"`
	Signatures     []images.SignatureInfo `json:"signatures"`
}

type layerDetail struct {
	DiffID string `json:"diffID"`
	Path   string `json:"path"`
}

func newImageInspectCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "inspect IMAGE...",
		Short: "Show an image's config, layers, digests and signatures",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.store()
			if err != nil {
				return err
			}
			var out []imageDetail
			for _, ref := range args {
				img, err := s.Resolve(ref)
				if err != nil {
					return err
				}
				d := imageDetail{
					ID: img.ID, RepoTags: img.Names(), RepoDigests: img.RepoDigests, ManifestDigest: img.ManifestDigest,
					Created: img.Created.Format("2006-01-02T15:04:05Z07:00"), OS: img.OS, Architecture: img.Architecture,
					Size: img.Size, Config: img.Config, Signatures: img.Signatures,
				}
				for i, l := range img.Layers {
					d.Layers = append(d.Layers, layerDetail{DiffID: img.DiffIDs[i], Path: l})
				}
				out = append(out, d)
			}
			switch output {
			case "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			case "":
				for _, d := range out {
					printImageDetail(cmd, d)
				}
				return nil
			}
			return printStructured(cmd.OutOrStdout(), output, out)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (default: text)")
	return cmd
}

func printImageDetail(cmd *cobra.Command, d imageDetail) {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\n", d.ID)
	fmt.Fprintf(tw, "Names:\t%v\n", d.RepoTags)
	fmt.Fprintf(tw, "Repo digests:\t%v\n", d.RepoDigests)
	fmt.Fprintf(tw, "Platform:\t%s/%s\n", d.OS, d.Architecture)
	fmt.Fprintf(tw, "Created:\t%s\n", d.Created)
	fmt.Fprintf(tw, "Size:\t%s\n", humanSize(d.Size))
	fmt.Fprintf(tw, "Entrypoint:\t%q\n", d.Config.Entrypoint)
	fmt.Fprintf(tw, "Cmd:\t%q\n", d.Config.Cmd)
	fmt.Fprintf(tw, "Env:\t%q\n", d.Config.Env)
	fmt.Fprintf(tw, "WorkingDir:\t%s\n", d.Config.WorkingDir)
	fmt.Fprintf(tw, "User:\t%s\n", d.Config.User)
	fmt.Fprintf(tw, "Signatures:\t%d\n", len(d.Signatures))
	// The layer and signature rows are a table of their own: sharing the
	// labels' column would pad every label to a digest's width.
	tw.Flush()
	fmt.Fprintln(cmd.OutOrStdout(), "Layers:")
	for _, l := range d.Layers {
		fmt.Fprintf(cmd.OutOrStdout(), "  %s  %s\n", l.DiffID, l.Path)
	}
	if len(d.Signatures) > 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "Signature checks:")
	}
	for _, sg := range d.Signatures {
		state := "verified"
		if !sg.Verified {
			state = "not verified: " + sg.Error
		}
		fmt.Fprintf(cmd.OutOrStdout(), "  %s: %s by %s for %s (%s)\n", sg.Type, state, sg.Signer, sg.Identity, sg.Source)
	}
}
