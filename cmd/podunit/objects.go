package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/objects"
)

func newGetCmd(g *globals) *cobra.Command {
	var output, namespace string
	var all, show bool
	cmd := &cobra.Command{
		Use:   "get pods|configmaps|secrets [NAME]",
		Short: "Show ConfigMaps or Secrets (get pods is list)",
		Long: `Get lists the ConfigMaps or Secrets apply stored, as kubectl get does:
a table (NAME, DATA, AGE; Secrets also TYPE), or the objects with -o json or
yaml. Secret values are shown only with --show-secret-values; otherwise each
value is replaced by its size.`,
		Example: `  podunit get configmaps
  podunit get secret db -o yaml --show-secret-values
  podunit get cm -A`,
		Args:      cobra.RangeArgs(1, 2),
		ValidArgs: []string{"pods", "configmaps", "secrets"},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch args[0] {
			case "pods", "pod", "po":
				if len(args) == 2 {
					return fmt.Errorf("for one pod, use podunit status %s", args[1])
				}
				list := newListCmd(g)
				list.SetOut(cmd.OutOrStdout())
				if err := list.Flags().Set("output", output); err != nil {
					return err
				}
				return list.RunE(list, nil)
			}
			kind, ok := objects.KindOf(args[0])
			if !ok {
				return fmt.Errorf("unknown resource type %q (want configmaps or secrets)", args[0])
			}
			m, err := g.manager()
			if err != nil {
				return err
			}
			var list []*objects.Stored
			if len(args) == 2 {
				s, err := m.Objects.Get(kind, namespace, args[1])
				if err != nil {
					return err
				}
				list = []*objects.Stored{s}
			} else {
				ns := namespace
				if all {
					ns = ""
				}
				if list, err = m.Objects.List(kind, ns); err != nil {
					return err
				}
			}
			if output == "" {
				return printObjectTable(cmd.OutOrStdout(), kind, list, all, namespace)
			}
			views := make([]any, len(list))
			for i, s := range list {
				if views[i], err = objects.View(s, show); err != nil {
					return err
				}
			}
			if len(args) == 2 {
				return printStructured(cmd.OutOrStdout(), output, views[0])
			}
			return printStructured(cmd.OutOrStdout(), output, map[string]any{"apiVersion": "v1", "kind": "List", "items": views})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "default", "the objects' namespace")
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the objects of every namespace")
	cmd.Flags().BoolVar(&show, "show-secret-values", false, "show Secret values (base64, as in a manifest) in -o json|yaml")
	return cmd
}

func printObjectTable(w io.Writer, kind string, list []*objects.Stored, namespaces bool, namespace string) error {
	if len(list) == 0 {
		if namespaces {
			fmt.Fprintln(w, "No resources found")
		} else {
			fmt.Fprintf(w, "No resources found in %s namespace.\n", namespace)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	var head []string
	if namespaces {
		head = append(head, "NAMESPACE")
	}
	head = append(head, "NAME")
	if kind == objects.KindSecret {
		head = append(head, "TYPE")
	}
	fmt.Fprintln(tw, strings.Join(append(head, "DATA", "AGE"), "\t"))
	for _, s := range list {
		var row []string
		if namespaces {
			row = append(row, s.Meta().Namespace)
		}
		row = append(row, s.Meta().Name)
		if sec, ok := s.Object.(*objects.Secret); ok {
			row = append(row, sec.Type)
		}
		row = append(row, strconv.Itoa(len(s.Values())), humanDuration(time.Since(s.Created)))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// deleteObject is `podunit delete configmap|secret NAME...`.
func deleteObject(g *globals, cmd *cobra.Command, kind, namespace string, names []string, force bool) error {
	m, err := g.manager()
	if err != nil {
		return err
	}
	var failed error
	for _, n := range names {
		if err := m.DeleteObject(kind, namespace, n, force); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
			failed = exitError{code: 1}
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s/%s deleted\n", strings.ToLower(kind), n)
	}
	return failed
}

// collectProjected removes the projected-file volumes (Secrets among them)
// of pods that are not running.
func collectProjected(g *globals, _ bool, out io.Writer) error {
	m, err := g.manager()
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	cleaned, err := m.GCProjected(ctx)
	for _, p := range cleaned {
		fmt.Fprintf(out, "Removed the volumes of pod %s\n", p)
	}
	return err
}
