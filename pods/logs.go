package pods

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"
)

// LogOptions selects a pod's log lines, as kubectl logs does.
type LogOptions struct {
	Containers []string // empty: all
	Follow     bool
	Since      string // anything journalctl --since takes: "10 min ago", "2026-11-24 10:00", "@epoch"
	Tail       int    // last N lines; negative: all
	Prefix     bool   // prefix each line with [container]
	Timestamps bool
}

// JournalArgs builds the journalctl command line for a pod's logs. Matches
// on different fields are ANDed by journalctl and repeated CONTAINER_NAME
// matches are ORed, which is exactly "this unit's lines from these
// containers".
func JournalArgs(pod, unit string, o LogOptions) []string {
	args := []string{"--no-pager", "-q", "-o", "json", "--output-fields=MESSAGE,CONTAINER_NAME,__REALTIME_TIMESTAMP",
		"_SYSTEMD_UNIT=" + unit, "POD_NAME=" + pod}
	for _, c := range o.Containers {
		args = append(args, "CONTAINER_NAME="+c)
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

// Logs writes a pod's container output to w until the journal is read (or,
// with Follow, until ctx ends).
func (m *Manager) Logs(ctx context.Context, name string, o LogOptions, w io.Writer) error {
	applied, err := m.State.Load(name)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "journalctl", JournalArgs(name, applied.Unit, o)...)
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
