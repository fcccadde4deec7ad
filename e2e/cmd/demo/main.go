// Command demo boots a throwaway systemd test host, runs the example pods
// in it with podunit, shows what systemd, machined and the journal say
// about them, and tears everything down. `make demo` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
	"github.com/podunit/podunit/images/imagetest"
)

func main() {
	bin := flag.String("binary", "bin/podunit", "podunit binary to run in the test host")
	examples := flag.String("examples", "examples", "directory of example pods")
	flag.Parse()
	if err := run(*bin, *examples); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin, examples string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	step("booting a throwaway systemd test host (the first run builds its rootfs with debootstrap)")
	h, err := testhost.Start(ctx, testhost.WithBinary(bin), testhost.WithLogf(func(f string, a ...any) {
		fmt.Printf("  "+f+"\n", a...)
	}))
	if err != nil {
		return err
	}
	defer func() {
		step("shutting the test host down")
		if err := h.Shutdown(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: shutdown:", err)
		}
	}()
	if err := imagetest.BusyboxArchive(filepath.Join(h.Scratch(), "busybox.tar"), "localhost/busybox:1.35"); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(examples, "*.yaml"))
	if err != nil {
		return err
	}
	var inner []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(h.Scratch(), filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
		inner = append(inner, "/scratch/"+filepath.Base(f))
	}
	steps := [][]string{
		{"podunit", "info"},
		{"podunit", "image", "load", "/scratch/busybox.tar"},
		{"podunit", "image", "list"},
	}
	for _, f := range inner {
		steps = append(steps, []string{"podunit", "apply", "-f", f})
	}
	steps = append(steps,
		[]string{"machinectl", "list"},
		[]string{"podunit", "list", "-o", "wide"},
		[]string{"systemctl", "status", "--no-pager", "-n", "0", "podunit-web.service"},
		[]string{"podunit", "status", "shared"},
		[]string{"sleep", "3"},
		[]string{"podunit", "logs", "web"},
		[]string{"podunit", "logs", "shared", "--all-containers"},
		[]string{"podunit", "exec", "web", "--", "wget", "-qO-", "http://127.0.0.1:8080/"},
		[]string{"journalctl", "--no-pager", "-n", "5", "-u", "podunit-shared.service", "CONTAINER_NAME=writer"},
		[]string{"podunit", "delete", "web", "shared"},
		[]string{"podunit", "list"},
		[]string{"machinectl", "list"},
	)
	for _, s := range steps {
		fmt.Printf("\n$ %s\n", strings.Join(s, " "))
		out, errOut, code, err := h.Run(ctx, s...)
		fmt.Print(out, errOut)
		if err != nil || code != 0 {
			return fmt.Errorf("%s: exit %d: %v", strings.Join(s, " "), code, err)
		}
	}
	return nil
}

func step(s string) { fmt.Printf("==> %s\n", s) }
