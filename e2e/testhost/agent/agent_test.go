package agent

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func pair(t *testing.T) *Client {
	t.Helper()
	a, b := net.Pipe()
	go func() { _ = Serve(b) }()
	c, err := NewClient(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRun(t *testing.T) {
	c := pair(t)
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code, err := c.Run(context.Background(), Request{
		Args:  []string{"sh", "-c", "cat; echo out; echo err >&2; exit 3"},
		Env:   []string{"PATH=/usr/bin:/bin"},
		Stdin: []byte("in\n"),
	}, &out, &errOut)
	if err != nil || code != 3 || out.String() != "in\nout\n" || errOut.String() != "err\n" {
		t.Fatalf("code %d err %v stdout %q stderr %q", code, err, out.String(), errOut.String())
	}
	if _, err := c.Run(context.Background(), Request{Args: []string{"/nonexistent"}}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Fatalf("missing command: err %v", err)
	}
	code, err = c.Run(context.Background(), Request{Args: []string{"sh", "-c", "kill -9 $$"}, Env: []string{"PATH=/usr/bin:/bin"}}, &out, &errOut)
	if err != nil || code != 137 {
		t.Fatalf("killed command: code %d err %v", code, err)
	}
}

func TestRunCancelKillsCommand(t *testing.T) {
	c := pair(t)
	marker := t.TempDir() + "/alive"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	_, err := c.Run(ctx, Request{Args: []string{"sh", "-c", "sleep 2; touch " + marker}, Env: []string{"PATH=/usr/bin:/bin"}}, &out, &out)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the command outlived its cancelled request (stat: %v)", err)
	}
}
