package podinit

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"
)

// logSink forwards container output. With the journal socket bound into
// the pod it uses the native protocol, so journald attributes the entries
// to the pod's unit and keeps the fields; without it (tests, or a host
// without journald) lines go to podinit's stderr, which nspawn forwards.
type logSink struct {
	pod, namespace string
	useJournal     bool
	mu             sync.Mutex // keeps stderr lines whole
	stderr         io.Writer
}

func newLogSink(pod, namespace string) *logSink {
	return &logSink{pod: pod, namespace: namespace, useJournal: journal.Enabled(), stderr: os.Stderr}
}

// pump forwards r line by line until EOF and then calls done.
func (l *logSink) pump(container string, isStderr bool, r io.ReadCloser, done func()) {
	defer done()
	defer r.Close()
	pri := journal.PriInfo
	if isStderr {
		pri = journal.PriErr
	}
	vars := map[string]string{
		"CONTAINER_NAME":    container,
		"POD_NAME":          l.pod,
		"SYSLOG_IDENTIFIER": container,
	}
	if l.namespace != "" {
		vars["POD_NAMESPACE"] = l.namespace
	}
	splitLines(r, maxLogLine, func(line []byte) {
		if l.useJournal {
			if err := journal.Send(string(line), pri, vars); err == nil {
				return
			}
		}
		l.mu.Lock()
		fmt.Fprintf(l.stderr, "%s: %s\n", container, line)
		l.mu.Unlock()
	})
}
