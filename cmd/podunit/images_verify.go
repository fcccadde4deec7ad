package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newImageVerifyCmd(g *globals) *cobra.Command {
	var repair bool
	var output string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every blob and unpacked layer of the image store",
		Long: `Verify re-hashes every blob against its digest and every unpacked layer
against the tree digest recorded when it was unpacked, and checks that every
image's config, manifest and layers are present: what a power loss or a
failing disk may have broken. It exits non-zero while damage remains.
With --repair it removes the damaged blobs and layers and the images that
need them (never one a pod uses), so that the next pull or load fetches
them whole.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.guardedStore()
			if err != nil {
				return err
			}
			rep, err := s.Verify(repair)
			if err != nil {
				return err
			}
			if output != "" {
				if err := printStructured(cmd.OutOrStdout(), output, rep); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				for _, p := range rep.Problems {
					state := ""
					if p.Repaired {
						state = " (removed)"
					}
					fmt.Fprintf(w, "%s %s: %s%s\n", p.Kind, p.Digest, p.What, state)
				}
				fmt.Fprintf(w, "Checked %d blobs, %d layers, %d images\n", rep.Blobs, rep.Layers, rep.Images)
			}
			if rep.Damaged() {
				if repair {
					return errors.New("the image store is damaged and could not be fully repaired")
				}
				return errors.New("the image store is damaged: run podunit image verify --repair, then pull or load the images again")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&repair, "repair", false, "remove what is damaged, and the images that need it")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}
