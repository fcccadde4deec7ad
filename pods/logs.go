package pods

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/podunit/podunit/contract"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/podstate"
)

// LogOptions selects a pod's log lines, as kubectl logs does.
type LogOptions struct {
	Containers []string // empty: all
	// Previous shows the previous instance of each container instead of
	// every instance of this pod's.
	Previous   bool
	Follow     bool
	Since      string // anything journalctl --since takes: "10 min ago", "2026-11-24 10:00", "@epoch"
	Tail       int    // last N lines; negative: all
	Prefix     bool   // prefix each line with [container]
	Timestamps bool
}

// Journal names one incarnation of a pod in the journal: its unit's
// lines with its name and (when the pod has one) its UID.
type Journal struct {
	Pod, Unit, UID string
	// Instances, when set, narrows the lines to these container
	// instances (and Containers is ignored).
	Instances []Instance
}

// Instance is one run of a container: its restart count in one
// invocation of the pod's unit (empty Invocation: in any).
type Instance struct {
	Container  string
	Invocation string
	Restart    int
}

// JournalArgs builds the journalctl command line for a pod's logs. Matches
// on different fields are ANDed by journalctl, repeated CONTAINER_NAME
// matches are ORed, which is exactly "this pod's lines from these
// containers"; instances are terms of their own, ORed with "+".
func JournalArgs(j Journal, o LogOptions) []string {
	args := []string{"--no-pager", "-q", "-o", "json", "--output-fields=MESSAGE,CONTAINER_NAME,__REALTIME_TIMESTAMP"}
	pod := []string{"_SYSTEMD_UNIT=" + j.Unit, match(contract.JournalPod, j.Pod)}
	if j.UID != "" {
		pod = append(pod, match(contract.JournalPodUID, j.UID))
	}
	if len(j.Instances) == 0 {
		args = append(args, pod...)
		for _, c := range o.Containers {
			args = append(args, match(contract.JournalContainer, c))
		}
	}
	for i, in := range j.Instances {
		if i > 0 {
			args = append(args, "+")
		}
		args = append(append(args, pod...), match(contract.JournalContainer, in.Container), match(contract.JournalRestartCount, strconv.Itoa(in.Restart)))
		if in.Invocation != "" {
			args = append(args, match(contract.JournalInvocation, in.Invocation))
		}
	}
	if o.Since != "" {
		args = append(args, "--since", sinceArg(o.Since))
	}
	if o.Tail >= 0 {
		args = append(args, "-n", strconv.Itoa(o.Tail))
	}
	if o.Follow {
		args = append(args, "-f")
	}
	return args
}

func match(field, value string) string { return field + "=" + value }

// Logs writes a pod's container output to w until the journal is read (or,
// with Follow, until ctx ends).
func (m *Manager) Logs(ctx context.Context, name string, o LogOptions, w io.Writer) error {
	applied, err := m.State.Load(name)
	if err != nil {
		return err
	}
	j := Journal{Pod: name, Unit: applied.Unit, UID: applied.UID}
	if o.Previous {
		if j.Instances, err = m.previous(applied, o.Containers); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "journalctl", JournalArgs(j, o)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run journalctl: %w", err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line, err := FormatEntry(sc.Bytes(), o)
		if err != nil {
			continue
		}
		if _, err := io.WriteString(w, line); err != nil {
			break
		}
	}
	if err := cmd.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("journalctl: %w: %s", err, stderr.String())
	}
	return nil
}

// previous finds the previous instance of each container (every
// container of the pod when none is named), from podinit's records of
// the pod's last start.
func (m *Manager) previous(applied *podstate.Applied, containers []string) ([]Instance, error) {
	name := applied.Pod.Metadata.Name
	if len(containers) == 0 {
		for _, c := range append(append([]pod.Container(nil), applied.Pod.Spec.InitContainers...), applied.Pod.Spec.Containers...) {
			containers = append(containers, c.Name)
		}
	}
	var invocation string
	if b, err := os.ReadFile(m.Host.InvocationFile(name)); err == nil {
		invocation = strings.TrimSpace(string(b))
	}
	var out []Instance
	for _, c := range containers {
		rec, err := contract.ReadStatus(m.Host.StatusDir(name), c)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if n, ok := previousRestart(rec); ok {
			out = append(out, Instance{Container: c, Invocation: invocation, Restart: n})
		} else if len(containers) == 1 {
			return nil, fmt.Errorf("previous terminated container %q in pod %q not found", c, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no previous terminated container in pod %q", name)
	}
	return out, nil
}

// previousRestart is the restart count of the instance
// contract.Status.Previous describes: while a container waits to start
// again, the instance that just ended, else the one before the current.
func previousRestart(st *contract.Status) (int, bool) {
	switch {
	case st == nil:
		return 0, false
	case st.State == contract.StateWaiting && st.ExitCode != nil:
		return st.RestartCount, true
	}
	return st.RestartCount - 1, st.RestartCount > 0
}

// FormatEntry turns one journalctl JSON entry into an output line.
func FormatEntry(entry []byte, o LogOptions) (string, error) {
	var e map[string]any
	if err := json.Unmarshal(entry, &e); err != nil {
		return "", err
	}
	msg := journalString(e["MESSAGE"])
	line := msg + "\n"
	if o.Prefix {
		line = "[" + journalString(e["CONTAINER_NAME"]) + "] " + line
	}
	if o.Timestamps {
		if us, err := strconv.ParseInt(journalString(e["__REALTIME_TIMESTAMP"]), 10, 64); err == nil {
			line = fmtMicros(us) + " " + line
		}
	}
	return line, nil
}

// journalString decodes a journal JSON field: a string, or an array of
// bytes when the value is not valid UTF-8 text.
func journalString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		b := make([]byte, 0, len(t))
		for _, x := range t {
			if f, ok := x.(float64); ok {
				b = append(b, byte(f))
			}
		}
		return string(b)
	}
	return ""
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(l.b) < 4096 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

func fmtMicros(us int64) string {
	return time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
}

// sinceArg accepts kubectl's relative durations ("10m", "1h30m") as well as
// anything journalctl --since understands.
func sinceArg(s string) string {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return fmt.Sprintf("-%ds", int64(d.Seconds()))
	}
	return s
}
