package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/pods"
	"github.com/podunit/podunit/units"
)

// version is set by the linker (-X main.version=...); the module version
// from the build info is the fallback.
var version = ""

type globals struct {
	stateDir string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "podunit",
		Short: "Run Kubernetes-style pods as systemd units",
		Long: `podunit runs Kubernetes-style Pod manifests as systemd services through
systemd-nspawn. Each pod is podunit-<pod>.service in machine.slice and a
systemd-machined machine, so systemctl, machinectl and journalctl work on it.
There is no daemon: systemd supervises the pods.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.stateDir, "state-dir", units.DefaultHost.StateDir, "podunit's state directory")
	root.AddCommand(
		newApplyCmd(g), newDeleteCmd(g), newListCmd(g), newStatusCmd(g), newLogsCmd(g),
		newExecCmd(g), newUnitCmd(g), newImageCmd(g), newInfoCmd(g), newVersionCmd(),
		newGenerateCmd(g), newSyncCmd(g), newInternalCmd(g),
		newNetworkCmd(g), newGCCmd(g), newGetCmd(g),
	)
	return root
}

// host is the layout units are compiled for: this binary, this state dir.
func (g *globals) host() (units.Host, error) {
	h := units.DefaultHost
	h.StateDir = g.stateDir
	exe, err := os.Executable()
	if err != nil {
		return h, fmt.Errorf("find the podunit binary: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return h, fmt.Errorf("find the podunit binary: %w", err)
	}
	h.Binary = exe
	return h, nil
}

func (g *globals) store() (*images.Store, error) {
	return images.Open(filepath.Join(g.stateDir, "images"))
}

// guardedStore is the image store that refuses to delete what a pod uses.
func (g *globals) guardedStore() (*images.Store, error) {
	m, err := g.manager()
	if err != nil {
		return nil, err
	}
	s, err := g.store()
	if err != nil {
		return nil, err
	}
	s.InUse = m.ImageInUse
	return s, nil
}

func (g *globals) manager() (*pods.Manager, error) {
	h, err := g.host()
	if err != nil {
		return nil, err
	}
	st, err := g.store()
	if err != nil {
		return nil, err
	}
	return pods.New(h, imageResolver{s: st, progress: os.Stderr}), nil
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print podunit's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if v == "" {
				v = "devel"
				if bi, ok := debug.ReadBuildInfo(); ok {
					for _, s := range bi.Settings {
						if s.Key == "vcs.revision" {
							v = "devel+" + s.Value[:min(12, len(s.Value))]
						}
					}
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "podunit", v)
		},
	}
}
