package podinit

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/podunit/podunit/contract"
)

// logSink forwards container output. With the journal socket bound into
// the pod it uses the native protocol, so journald attributes the entries
// to the pod's unit and keeps the fields; without it (tests, or a host
// without journald) lines go to podinit's stderr, which nspawn forwards.
type logSink struct {
	pod, namespace, uid string
	useJournal          bool
	mu                  sync.Mutex // keeps stderr lines whole
	stderr              io.Writer
}

func newLogSink(plan *contract.Plan) *logSink {
	return &logSink{pod: plan.Pod, namespace: plan.Namespace, uid: plan.UID, useJournal: journal.Enabled(), stderr: os.Stderr}
}

// pump forwards r line by line until EOF and then calls done. Every line
// names the container instance (the pod's UID and the container's restart
// count), so the host can tell one instance's lines from another's.
func (l *logSink) pump(container string, restart int, isStderr bool, r io.ReadCloser, done func()) {
	defer done()
	defer r.Close()
	pri := journal.PriInfo
	if isStderr {
		pri = journal.PriErr
	}
	vars := map[string]string{
		contract.JournalContainer:    container,
		contract.JournalPod:          l.pod,
		contract.JournalRestartCount: strconv.Itoa(restart),
		"SYSLOG_IDENTIFIER":          container,
	}
	if l.namespace != "" {
		vars[contract.JournalNamespace] = l.namespace
	}
	if l.uid != "" {
		vars[contract.JournalPodUID] = l.uid
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
