package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/pods"
)

func newWaitCmd(g *globals) *cobra.Command {
	var (
		forArg  string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "wait --for=condition=Ready|delete pod/NAME...",
		Short: "Wait until pods meet a condition or are deleted",
		Long: `Wait reads the pods' status until each meets the condition, as kubectl wait
does: --for=condition=C[=true|false] with C one of Initialized,
ContainersReady and Ready (see podunit status), or --for=delete. A timeout
of 0 checks once.`,
		Example: `  podunit wait --for=condition=Ready pod/web --timeout=60s
  podunit wait --for=delete pod/web pod/db`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			done, met, err := parseWaitFor(forArg)
			if err != nil {
				return err
			}
			var names []string
			for _, a := range args {
				n, err := podArg(a)
				if err != nil {
					return err
				}
				names = append(names, n)
			}
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			for _, n := range names {
				if err := waitOne(ctx, m, n, timeout, done); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "pod/%s %s\n", n, met)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&forArg, "for", "", "what to wait for: condition=Ready (Initialized, ContainersReady; =false to wait for False) or delete")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for each pod (0: check once)")
	cmd.MarkFlagRequired("for")
	return cmd
}

// waitOne waits for one pod, with kubectl's words when time runs out.
func waitOne(ctx context.Context, m *pods.Manager, name string, timeout time.Duration, done func(*pods.PodStatus) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := m.Wait(ctx, name, done)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out waiting for the condition on pods/%s", name)
	}
	return err
}

// parseWaitFor reads --for: what ends the wait, and the word kubectl
// prints when it does.
func parseWaitFor(s string) (func(*pods.PodStatus) bool, string, error) {
	if s == "delete" {
		return func(p *pods.PodStatus) bool { return p == nil }, "deleted", nil
	}
	cond, ok := strings.CutPrefix(s, "condition=")
	if !ok {
		return nil, "", fmt.Errorf("--for=%s: want condition=NAME[=true|false] or delete", s)
	}
	cond, value, hasValue := strings.Cut(cond, "=")
	want := pods.ConditionTrue
	if hasValue {
		switch strings.ToLower(value) {
		case "true":
		case "false":
			want = pods.ConditionFalse
		default:
			return nil, "", fmt.Errorf("--for=%s: the condition's value is true or false, not %q", s, value)
		}
	}
	var known bool
	for _, t := range []string{pods.Initialized, pods.ContainersReady, pods.Ready} {
		if strings.EqualFold(cond, t) {
			cond, known = t, true
		}
	}
	if !known {
		return nil, "", fmt.Errorf("--for=%s: unknown condition %q (a pod has Initialized, ContainersReady and Ready)", s, cond)
	}
	return func(p *pods.PodStatus) bool {
		if p == nil {
			return false
		}
		c := p.Condition(cond)
		return c != nil && c.Status == want
	}, "condition met", nil
}

// podArg takes kubectl's pod/NAME (pods/NAME, po/NAME) or a bare NAME.
func podArg(a string) (string, error) {
	kind, name, ok := strings.Cut(a, "/")
	if !ok {
		return a, nil
	}
	switch strings.ToLower(kind) {
	case "pod", "pods", "po":
		return name, nil
	}
	return "", fmt.Errorf("%s: podunit waits for pods only (pod/NAME)", a)
}
