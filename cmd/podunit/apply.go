package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/pods"
)

func newApplyCmd(g *globals) *cobra.Command {
	var files []string
	var transient bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update pods from manifests",
		Long: `Apply reads Pod manifests (YAML or JSON, several documents per file) and
makes each pod run as written: a new pod is created, a changed pod is
replaced (its unit stopped and started anew), an unchanged running pod is
left alone. Every manifest is checked before anything on the host changes.
Applied pods come back after a reboot (podunit-restore.service) as their
restartPolicy says, unless applied with --transient.`,
		Example: `  podunit apply -f web.yaml
  podunit apply -f pods/
  cat web.yaml | podunit apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("apply needs -f FILE, DIR or -")
			}
			list, err := pod.DecodeFiles(files, cmd.InOrStdin())
			if err != nil {
				return err
			}
			printWarnings(cmd.ErrOrStderr(), list)
			m, err := g.manager()
			if err != nil {
				return err
			}
			m.Transient = transient
			ctx, stop := signalContext()
			defer stop()
			return m.Apply(ctx, list, func(name string, a pods.Action) {
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s %s\n", name, a)
			})
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory of manifests, or - for standard input (repeatable)")
	cmd.Flags().BoolVar(&transient, "transient", false, "do not bring the pods back after a reboot")
	return cmd
}

func newDeleteCmd(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "delete POD... | -f FILE",
		Short: "Stop pods and remove everything they had",
		Example: `  podunit delete web
  podunit delete -f web.yaml`,
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			names := append([]string{}, args...)
			if len(files) > 0 {
				list, err := pod.DecodeFiles(files, cmd.InOrStdin())
				if err != nil {
					return err
				}
				for _, p := range list {
					names = append(names, p.Metadata.Name)
				}
			}
			if len(names) == 0 {
				return fmt.Errorf("delete needs a pod name or -f FILE")
			}
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			var failed error
			for _, n := range names {
				if err := m.Delete(ctx, n); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
					failed = exitError{code: 1}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s deleted\n", n)
			}
			return failed
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "delete the pods named in these manifests")
	return cmd
}

// signalContext ends on SIGINT/SIGTERM, so a long wait for systemd can be
// interrupted without leaving a lock held.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func completePods(g *globals) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		m, err := g.manager()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names, err := m.State.Names()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
