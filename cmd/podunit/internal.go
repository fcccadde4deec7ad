package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/spf13/cobra"

	"github.com/podunit/podunit/pods"
	"github.com/podunit/podunit/units"
)

// newInternalCmd holds the steps systemd runs inside a pod's unit. They
// are not for people, so they are hidden from help and completion.
func newInternalCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "internal",
		Short:  "Steps run by a pod's unit",
		Hidden: true,
	}
	var o pods.PrepareOptions
	prepare := &cobra.Command{
		Use:   "prepare POD",
		Short: "Ready the pod's directories and plan (ExecStartPre)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			o.Unit = ownUnit
			if o.Spec, err = unitSpec(); err != nil {
				return err
			}
			return m.Prepare(args[0], o)
		},
	}
	prepare.Flags().StringVar(&o.Origin, "origin", "", "who made the unit (generator)")
	cmd.AddCommand(prepare, &cobra.Command{
		Use:   "cleanup POD",
		Short: "Remove what only a running pod needs (ExecStopPost)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			return m.Cleanup(args[0])
		},
	})
	return cmd
}

// unitSpec is the pod the unit carries, from the credential systemd hands
// its commands; nil outside a unit (prepare run by hand).
func unitSpec() ([]byte, error) {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, units.SpecCredential))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the pod's spec from the unit's credentials: %w", err)
	}
	return b, nil
}

// ownUnit asks systemd which unit this process runs in: for an instance of
// a template that is the only way to learn the instance's unit name.
func ownUnit() (string, error) {
	ctx := context.Background()
	conn, err := sd.NewSystemConnectionContext(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.GetUnitNameByPID(ctx, uint32(os.Getpid()))
}
