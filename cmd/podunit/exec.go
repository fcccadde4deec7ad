package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/creack/pty"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/podunit/podunit/enter"
)

func newExecCmd(g *globals) *cobra.Command {
	var (
		container string
		stdin     bool
		tty       bool
	)
	cmd := &cobra.Command{
		Use:   "exec [-it] POD [-c CONTAINER] -- COMMAND [ARG...]",
		Short: "Run a command inside a running container",
		Long: `Exec runs a command inside a running container with the container's own
namespaces, cgroup, root, user, groups, environment, working directory,
capability bounding set and no_new_privs. Its exit status is the command's.`,
		Example: `  podunit exec web -- cat /etc/hostname
  podunit exec -it web -c app -- sh`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: completePods(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return fmt.Errorf("usage: podunit exec POD [-c CONTAINER] -- COMMAND [ARG...]")
			}
			m, err := g.manager()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			start := func(argv []string, stdio enter.Stdio) (*os.Process, error) {
				// Once the command runs, signals are its business.
				defer stop()
				return m.Exec(ctx, args[0], container, argv, stdio)
			}
			code, err := runExec(start, args[1:], stdin, tty)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&container, "container", "c", "", "container to run in (default: the pod's only or first container)")
	f.BoolVarP(&stdin, "stdin", "i", false, "pass standard input to the command")
	f.BoolVarP(&tty, "tty", "t", false, "allocate a terminal for the command")
	return cmd
}

// starter starts the command in the container (pods.Manager.Exec).
type starter func(argv []string, stdio enter.Stdio) (*os.Process, error)

func runExec(start starter, argv []string, withStdin, withTTY bool) (int, error) {
	if withTTY {
		return runExecTTY(start, argv, withStdin)
	}
	in := os.Stdin
	if !withStdin {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			return 0, err
		}
		defer devnull.Close()
		in = devnull
	}
	p, err := start(argv, enter.Stdio{In: in, Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		return 0, err
	}
	return wait(p)
}

func runExecTTY(start starter, argv []string, withStdin bool) (int, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return 0, fmt.Errorf("allocate a terminal: %w", err)
	}
	defer ptmx.Close()
	if term.IsTerminal(int(os.Stdin.Fd())) {
		if sz, err := pty.GetsizeFull(os.Stdin); err == nil {
			_ = pty.Setsize(ptmx, sz)
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				if sz, err := pty.GetsizeFull(os.Stdin); err == nil {
					_ = pty.Setsize(ptmx, sz)
				}
			}
		}()
		if withStdin {
			old, err := term.MakeRaw(int(os.Stdin.Fd()))
			if err == nil {
				defer func() { _ = term.Restore(int(os.Stdin.Fd()), old) }()
			}
		}
	}
	p, err := start(argv, enter.Stdio{In: tty, Out: tty, Err: tty, TTY: true})
	tty.Close()
	if err != nil {
		return 0, err
	}
	if withStdin {
		go func() { _, _ = io.Copy(ptmx, os.Stdin) }()
	}
	copied := make(chan struct{})
	go func() {
		// EIO once the command's side of the terminal is closed: the end.
		_, _ = io.Copy(os.Stdout, ptmx)
		close(copied)
	}()
	code, err := wait(p)
	<-copied
	return code, err
}

func wait(p *os.Process) (int, error) {
	st, err := p.Wait()
	if err != nil {
		return 0, err
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	if code := st.ExitCode(); code >= 0 {
		return code, nil
	}
	return 0, errors.New("command ended without an exit status")
}
