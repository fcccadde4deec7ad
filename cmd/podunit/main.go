// Command podunit runs Kubernetes-style pods as systemd units through
// systemd-nspawn. The same static binary is the pods' PID 1 (podinit).
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/podunit/podunit/podinit"
)

func main() {
	if podinit.IsPodinit(os.Args) {
		os.Exit(podinit.Main(os.Args))
	}
	if filepath.Base(os.Args[0]) == generatorName {
		os.Exit(runGenerator(os.Args[1:]))
	}
	if err := newRootCmd().Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// exitError carries an exit status that is the answer, not a failure of
// podunit (exec returns the command's own status).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
