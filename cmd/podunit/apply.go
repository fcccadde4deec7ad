package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/objects"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/pods"
)

func newApplyCmd(g *globals) *cobra.Command {
	var files []string
	var transient bool
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update pods from manifests",
		Long: `Apply reads Pod, ConfigMap and Secret manifests (YAML or JSON, several
documents per file, in any order) and makes each pod run as written: a new
pod is created, a changed pod is replaced (its unit stopped and started
anew), an unchanged running pod is left alone. ConfigMaps and Secrets are
stored first; a changed one is rewritten into the volumes of the running
pods that use it. Every manifest is checked before anything on the host
changes. Applied pods come back after a reboot (podunit-restore.service) as
their restartPolicy says, unless applied with --transient.`,
		Example: `  podunit apply -f web.yaml
  podunit apply -f pods/
  cat web.yaml | podunit apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return fmt.Errorf("apply needs -f FILE, DIR or -")
			}
			list, objs, err := decodeManifests(files, cmd.InOrStdin())
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
			err = m.ApplyObjects(objs, list, func(o objects.Object, a objects.Action) {
				fmt.Fprintf(cmd.OutOrStdout(), "%s/%s %s\n", strings.ToLower(o.Kind()), o.Meta().Name, a)
			})
			if err != nil {
				return err
			}
			return m.Apply(ctx, list, func(name string, a pods.Action) {
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s %s\n", name, a)
			})
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory of manifests, or - for standard input (repeatable)")
	cmd.Flags().BoolVar(&transient, "transient", false, "do not bring the pods back after a reboot")
	return cmd
}

// decodeManifests reads pods and the objects beside them.
func decodeManifests(files []string, stdin io.Reader) ([]*pod.Pod, []objects.Object, error) {
	list, objs, err := pod.DecodeAll(files, stdin, objects.Kinds)
	if err != nil {
		return nil, nil, err
	}
	out := make([]objects.Object, len(objs))
	for i, o := range objs {
		out[i] = o.(objects.Object)
	}
	return list, out, nil
}

func newDeleteCmd(g *globals) *cobra.Command {
	var files []string
	var namespace string
	var force bool
	cmd := &cobra.Command{
		Use:   "delete POD... | configmap|secret NAME... | -f FILE",
		Short: "Stop pods and remove everything they had, or remove ConfigMaps and Secrets",
		Long: `Delete stops pods and removes everything they had. With a kind first
(configmap, secret), it removes those objects instead; an object an applied
pod uses is kept (the pods are named) unless --force. With -f, the pods of
the manifests are deleted, then their objects.`,
		Example: `  podunit delete web
  podunit delete configmap web-config
  podunit delete -f app.yaml`,
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) >= 2 {
				if kind, ok := objects.KindOf(args[0]); ok {
					return deleteObject(g, cmd, kind, namespace, args[1:], force)
				}
			}
			names := append([]string{}, args...)
			var objs []objects.Object
			if len(files) > 0 {
				list, o, err := decodeManifests(files, cmd.InOrStdin())
				if err != nil {
					return err
				}
				objs = o
				for _, p := range list {
					names = append(names, p.Metadata.Name)
				}
			}
			if len(names) == 0 && len(objs) == 0 {
				return fmt.Errorf("delete needs a pod name, configmap|secret NAME, or -f FILE")
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
			for _, o := range objs {
				if err := deleteObject(g, cmd, o.Kind(), o.Meta().Namespace, []string{o.Meta().Name}, force); err != nil {
					failed = err
				}
			}
			return failed
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "delete the pods and objects of these manifests")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "default", "the namespace of the ConfigMaps or Secrets to delete")
	cmd.Flags().BoolVar(&force, "force", false, "delete ConfigMaps and Secrets even while pods use them")
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
