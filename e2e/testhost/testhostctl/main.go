// Command testhostctl boots a podunit test host by hand: for demos, for
// poking at a failure, and for hack/demo.sh.
//
//	testhostctl [-bin bin/podunit] [-bind HOST:INNER]... [-f FILE] [-hold] [COMMAND...]
//
// Each COMMAND (and each non-comment line of FILE) runs inside the host
// with bash -c, its output shown as it comes; the first failure stops the
// run. -hold keeps the host up afterwards until ^C and prints how to enter
// it. -build only builds (or finds) the cached rootfs and prints its path.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/podunit/podunit/e2e/testhost"
)

type binds []string

func (b *binds) String() string     { return strings.Join(*b, ",") }
func (b *binds) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	bin := flag.String("bin", "", "podunit binary to bind at "+testhost.BinaryPath+" (default $PODUNIT_BIN)")
	file := flag.String("f", "", "file of commands, one per line")
	hold := flag.Bool("hold", false, "keep the host up after the commands until interrupted")
	build := flag.Bool("build", false, "only build the cached rootfs and print its path")
	keep := flag.Bool("keep", false, "keep the host's temp dir after shutdown")
	var bs binds
	flag.Var(&bs, "bind", "HOST:INNER bind (repeatable)")
	flag.Parse()
	if err := run(*bin, *file, *hold, *build, *keep, bs, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "testhostctl:", err)
		os.Exit(1)
	}
}

func run(bin, file string, hold, build, keep bool, bs binds, cmds []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if build {
		p, err := testhost.EnsureRootfs(ctx, testhost.DefaultRecipe, logf)
		if err == nil {
			fmt.Println(p)
		}
		return err
	}
	if file != "" {
		lines, err := readCommands(file)
		if err != nil {
			return err
		}
		cmds = append(cmds, lines...)
	}
	if err := testhost.Available(); err != nil {
		return err
	}
	opts := []testhost.Option{testhost.WithLogf(logf)}
	if bin != "" {
		opts = append(opts, testhost.WithBinary(bin))
	}
	if keep {
		opts = append(opts, testhost.WithKeep())
	}
	for _, b := range bs {
		h, in, ok := strings.Cut(b, ":")
		if !ok {
			return fmt.Errorf("-bind %q: want HOST:INNER", b)
		}
		opts = append(opts, testhost.WithBind(h, in))
	}
	h, err := testhost.Start(ctx, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := h.Shutdown(); err != nil {
			logf("shutdown: %v", err)
		}
	}()
	for _, c := range cmds {
		fmt.Printf("\n$ %s\n", c)
		cmd := h.Command(ctx, "bash", "-c", c)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		start := time.Now()
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%q exited %d after %s", c, exit.ExitCode(), time.Since(start).Round(time.Millisecond))
		}
		if err != nil {
			return fmt.Errorf("%q: %w", c, err)
		}
	}
	if hold {
		fmt.Fprintf(os.Stderr, "\ntest host %s is up; enter it with:\n  nsenter -t %d -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=$TERM bash\nits root is %s; ^C shuts it down\n", h.Name(), h.Leader(), h.Root())
		<-ctx.Done()
	}
	return nil
}

func readCommands(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
