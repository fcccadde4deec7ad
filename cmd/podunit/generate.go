package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/spf13/cobra"

	"github.com/podunit/podunit/generator"
	"github.com/podunit/podunit/units"
)

// generatorName is the name systemd runs the generator under (a link to
// the podunit binary in a system-generators directory).
const generatorName = "podunit-generator"

// runGenerator is the systemd generator entry point: argv is the three
// output directories. It always exits 0, so a bad manifest never fails
// the boot; problems go to the journal or the kernel log, and where
// neither is there (boot in a container) a report unit logs them later.
func runGenerator(args []string) int {
	g := &globals{stateDir: units.DefaultHost.StateDir}
	h, err := g.host()
	if err != nil {
		report(fmt.Sprintf("podunit-generator: %v", err))
		return 0
	}
	if len(args) < 1 {
		report("podunit-generator: want the generator output directories as arguments")
		return 0
	}
	res := generator.Generate(generator.Dirs, h)
	lost := false
	for _, w := range res.Warnings {
		lost = !reportAt(journal.PriWarning, "podunit-generator: warning: "+w.String()) || lost
	}
	for _, e := range res.Errors {
		lost = !report("podunit-generator: "+e.Error()) || lost
	}
	if err := generator.Write(res, args[0]); err != nil {
		report("podunit-generator: " + err.Error())
	}
	if lost {
		if err := generator.WriteReport(args[0], h.Binary); err != nil {
			report("podunit-generator: " + err.Error())
		}
	}
	return 0
}

func newGenerateCmd(g *globals) *cobra.Command {
	var dryRun, quiet bool
	cmd := &cobra.Command{
		Use:   "generate --dry-run [-q] [DIR...]",
		Short: "Show the units the systemd generator would write",
		Long: `Generate shows what podunit's systemd generator writes at boot and on
daemon-reload: a podunit-<pod>.service for every pod manifest in
/etc/podunit/pods and /run/podunit/pods (a pod in a later directory
replaces one of the same name), and every manifest it would skip, with
the reason. With DIR arguments it reads those directories instead. It needs
no root and changes nothing; it exits 1 if a manifest would be skipped.
Warnings (fields a single host treats differently from a cluster) are
printed too. With -q it prints only the errors and warnings (the
generator's report unit runs it so at boot where it could not log them
itself).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !dryRun {
				return fmt.Errorf("generate only has --dry-run; systemd runs the generator itself (installed as %s)", generatorName)
			}
			dirs := generator.Dirs
			if len(args) > 0 {
				dirs = args
			}
			h, err := g.host()
			if err != nil {
				return err
			}
			res := generator.Generate(dirs, h)
			for i, u := range res.Units {
				if quiet {
					break
				}
				if i > 0 {
					fmt.Fprintln(cmd.OutOrStdout())
				}
				fmt.Fprintf(cmd.OutOrStdout(), "# %s\n%s", u.Unit.Name, u.Text)
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "Warning:", w)
			}
			for _, e := range res.Errors {
				fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
			}
			if len(res.Errors) > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the units and errors instead of writing them")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the errors")
	return cmd
}

// report logs a generator message where systemd keeps it: the journal
// when journald is up (daemon-reload), else the kernel log, which journald
// reads once it starts (boot); and stderr, for a generator run by hand
// (systemd 252 sends a generator's stderr nowhere). It says whether the
// message reached a log.
func report(msg string) bool { return reportAt(journal.PriErr, msg) }

// reportAt is report at a given priority.
func reportAt(pri journal.Priority, msg string) bool {
	fmt.Fprintln(os.Stderr, msg)
	if journal.Enabled() {
		if journal.Send(msg, pri, map[string]string{"SYSLOG_IDENTIFIER": generatorName}) == nil {
			return true
		}
	}
	f, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, line := range strings.Split(msg, "\n") {
		// <N> is the level; one write is one kernel log record.
		if _, err := fmt.Fprintf(f, "<%d>%s: %s\n", pri, generatorName, line); err != nil {
			return false
		}
	}
	return true
}
