package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLogBurst: every line of a 200,000-line burst reaches the journal,
// in order (journald's default rate limit dropped a quarter of 50,000).
func TestLogBurst(t *testing.T) {
	e := boot(t)
	const n = 200000
	e.apply("burst", `apiVersion: v1
kind: Pod
metadata: {name: burst}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: `+testImage+`
    command: ["seq", "1", "`+strconv.Itoa(n)+`"]
`)
	start := time.Now()
	e.eventually(3*time.Minute, "the burst logged", func() bool {
		out, _, _ := e.run("podunit", "status", "burst", "-o", "json")
		return strings.Contains(out, `"Succeeded"`)
	})
	took := time.Since(start)
	// Order and completeness in one pass: line i must be i.
	check := `journalctl -u podunit-burst.service CONTAINER_NAME=c -o cat --no-pager | awk -v n=` + strconv.Itoa(n) + ` '$0 != NR { print "line " NR ": " $0; bad = 1; exit } END { if (!bad && NR != n) print NR " lines, want " n }'`
	if out := e.must("sh", "-c", check); strings.TrimSpace(out) != "" {
		t.Fatalf("journal: %s", out)
	}
	t.Logf("%d lines in %s (%.0f lines/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	if out := e.must("sh", "-c", "journalctl -u systemd-journald --no-pager | grep -i suppressed || true"); strings.Contains(out, "burst") {
		t.Errorf("journald suppressed lines: %s", out)
	}
}
