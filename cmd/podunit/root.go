package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/internal/layout"
	"github.com/podunit/podunit/pods"
	"github.com/podunit/podunit/units"
)

// version, commit and buildDate are set by the linker (make build passes
// -X main.version=... and the others); the build info Go records is the
// fallback.
var version, commit, buildDate string

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
		rootOnly(newApplyCmd(g)), rootOnly(newDeleteCmd(g)), newListCmd(g), newStatusCmd(g), newLogsCmd(g), newWaitCmd(g),
		rootOnly(newExecCmd(g)), newUnitCmd(g), newImageCmd(g), newInfoCmd(g), newVersionCmd(),
		newGenerateCmd(g), rootOnly(newSyncCmd(g)), rootOnly(newRestoreCmd(g)), rootOnly(newInternalCmd(g)),
		newNetworkCmd(g), rootOnly(newGCCmd(g)), rootOnly(newGetCmd(g)),
	)
	root.PersistentPreRunE = checkRoot
	return root
}

// annotationRootOnly marks commands that change the host: they start and
// stop systemd units, write podunit's state and the image store, and
// enter namespaces, which only root may do.
const annotationRootOnly = "podunit.io/root-only"

func rootOnly(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[annotationRootOnly] = "true"
	return c
}

// checkRoot refuses a root-only command before it starts, so a user sees
// what to do rather than the first permission error deep inside it.
func checkRoot(cmd *cobra.Command, _ []string) error {
	if os.Geteuid() == 0 {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[annotationRootOnly] != "" {
			return fmt.Errorf("%s needs root: it changes systemd units, podunit's state in %s or the image store; run it as root (sudo %s)",
				cmd.CommandPath(), units.DefaultHost.StateDir, cmd.CommandPath())
		}
	}
	return nil
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
	return images.Open(layout.Layout{StateDir: g.stateDir}.ImagesDir())
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

// buildInfo is what `podunit version` prints.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// currentBuild is the linker's stamp (make build), completed from the
// build info Go records in every binary built inside a git checkout.
func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, BuildDate: buildDate,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.BuildDate == "" {
				b.BuildDate = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if b.Version == "" {
		b.Version = bi.Main.Version
		if b.Version == "" || b.Version == "(devel)" {
			b.Version = "devel"
			if b.Commit != "" {
				b.Version += "+" + b.Commit[:min(12, len(b.Commit))]
			}
			if modified {
				b.Version += "-dirty"
			}
		}
	}
	return b
}

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print podunit's version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := currentBuild()
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, b)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, "podunit", b.Version)
			if b.Commit != "" {
				fmt.Fprintln(w, "commit:    ", b.Commit)
			}
			if b.BuildDate != "" {
				fmt.Fprintln(w, "built:     ", b.BuildDate)
			}
			fmt.Fprintln(w, "go:        ", b.GoVersion)
			fmt.Fprintln(w, "platform:  ", b.Platform)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml")
	return cmd
}
