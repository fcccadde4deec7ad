// Package agent is how the VM test host's harness reaches inside the guest
// without a network: one byte stream (a virtio-serial port, backed by a
// unix socket on the CI machine) multiplexed with yamux, one stream per
// command. A stream carries one JSON Request line from the harness, then
// frames back from the guest: stdout and stderr as they come, and the
// exit code last. Anything more the harness writes, or the stream ending
// early, kills the command's process group.
package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/yamux"
)

// Request is one command to run in the guest.
type Request struct {
	Args  []string `json:"args"`
	Env   []string `json:"env"`
	Stdin []byte   `json:"stdin,omitempty"`
}

// PortName is the name of the virtserialport the harness gives qemu.
const PortName = "podunit.agent"

// Frame kinds, guest to harness.
const (
	frameStdout byte = 1 + iota
	frameStderr
	frameExit  // decimal exit code; 128+n for a command killed by signal n
	frameError // the command could not be started
)

// muxConfig is shared by both ends. Keepalives are off: under TCG a busy
// guest may not answer in time, and a dead peer shows as a closed stream
// anyway.
func muxConfig() *yamux.Config {
	c := yamux.DefaultConfig()
	c.EnableKeepAlive = false
	c.ConnectionWriteTimeout = 30 * time.Second
	c.LogOutput = io.Discard
	return c
}

// Serve runs commands for the harness on conn until the session ends.
func Serve(conn io.ReadWriteCloser) error {
	s, err := yamux.Server(conn, muxConfig())
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		st, err := s.AcceptStream()
		if err != nil {
			return err
		}
		go handle(st)
	}
}

func handle(st *yamux.Stream) {
	defer st.Close()
	var mu sync.Mutex
	send := func(kind byte, b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return writeFrame(st, kind, b)
	}
	in := bufio.NewReader(st)
	line, err := in.ReadBytes('\n')
	if err != nil {
		return
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil || len(req.Args) == 0 {
		_ = send(frameError, fmt.Appendf(nil, "bad request %q: %v", line, err))
		return
	}
	cmd := exec.Command(req.Args[0], req.Args[1:]...)
	cmd.Env = req.Env
	if req.Stdin != nil {
		cmd.Stdin = bytes.NewReader(req.Stdin)
	}
	cmd.Stdout = frameWriter{frameStdout, send}
	cmd.Stderr = frameWriter{frameStderr, send}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Background children that keep stdout open must not hold the
	// answer back for ever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		_ = send(frameError, []byte(err.Error()))
		return
	}
	done := make(chan struct{})
	go func() {
		// The harness writes nothing more unless it gives up; either
		// way the command has no one left to answer to.
		_, _ = in.ReadByte()
		select {
		case <-done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	err = cmd.Wait()
	close(done)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		_ = send(frameError, []byte(err.Error()))
		return
	}
	_ = send(frameExit, []byte(strconv.Itoa(code)))
}

type frameWriter struct {
	kind byte
	send func(byte, []byte) error
}

func (w frameWriter) Write(p []byte) (int, error) {
	if err := w.send(w.kind, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func writeFrame(w io.Writer, kind byte, b []byte) error {
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(b)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(b)
	return err
}

// maxFrame bounds what a confused peer can make the harness allocate.
const maxFrame = 64 << 20

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("agent frame of %d bytes", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return hdr[0], b, err
}

// Client is the harness's end of a session.
type Client struct{ s *yamux.Session }

// NewClient starts a session on conn, which the client owns from then on.
func NewClient(conn io.ReadWriteCloser) (*Client, error) {
	s, err := yamux.Client(conn, muxConfig())
	if err != nil {
		return nil, err
	}
	return &Client{s: s}, nil
}

// Ping reports whether the agent answers within the session's write
// timeout.
func (c *Client) Ping() error {
	_, err := c.s.Ping()
	return err
}

// Close ends the session; commands still running in the guest are killed.
func (c *Client) Close() error { return c.s.Close() }

// Run runs req in the guest, copying its output to stdout and stderr as
// it comes. A non-zero exit is a code with a nil error; cancelling ctx
// kills the command in the guest.
func (c *Client) Run(ctx context.Context, req Request, stdout, stderr io.Writer) (int, error) {
	st, err := c.s.OpenStream()
	if err != nil {
		return -1, fmt.Errorf("agent: %w", err)
	}
	defer st.Close()
	line, err := json.Marshal(req)
	if err != nil {
		return -1, err
	}
	if _, err := st.Write(append(line, '\n')); err != nil {
		return -1, fmt.Errorf("agent: %w", err)
	}
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			_, _ = st.Write([]byte{'k'})
			_ = st.Close()
		case <-finished:
		}
	}()
	for {
		kind, b, err := readFrame(st)
		if err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, fmt.Errorf("agent: reading answer: %w", err)
		}
		switch kind {
		case frameStdout:
			_, _ = stdout.Write(b)
		case frameStderr:
			_, _ = stderr.Write(b)
		case frameExit:
			if ctx.Err() != nil {
				// The guest answers a kill with the code it caused.
				return -1, ctx.Err()
			}
			return strconv.Atoi(string(b))
		case frameError:
			return -1, fmt.Errorf("agent: %s", b)
		default:
			return -1, fmt.Errorf("agent: unknown frame kind %d", kind)
		}
	}
}

// OpenPort opens the guest's end of the virtio-serial port named name:
// udev's /dev/virtio-ports link when there is one, else the vport whose
// sysfs name matches.
func OpenPort(name string) (*os.File, error) {
	if f, err := os.OpenFile("/dev/virtio-ports/"+name, os.O_RDWR, 0); err == nil {
		return f, nil
	}
	ports, _ := os.ReadDir("/sys/class/virtio-ports")
	for _, p := range ports {
		b, err := os.ReadFile("/sys/class/virtio-ports/" + p.Name() + "/name")
		if err == nil && string(trimNL(b)) == name {
			return os.OpenFile("/dev/"+p.Name(), os.O_RDWR, 0)
		}
	}
	return nil, fmt.Errorf("no virtio-serial port named %s", name)
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	return b
}
