package kvm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/coreos/go-systemd/v22/journal"
)

// parseJournal decodes one journal native protocol datagram (what
// podinit's log sink sends to the guest's journal socket): KEY=value
// lines, or KEY, newline, a 64-bit little-endian length, the value and a
// newline for values that contain newlines.
func parseJournal(p []byte) (map[string]string, error) {
	fields := map[string]string{}
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			return nil, errors.New("journal entry: field without newline")
		}
		line := p[:nl]
		if k, v, ok := bytes.Cut(line, []byte("=")); ok {
			fields[string(k)] = string(v)
			p = p[nl+1:]
			continue
		}
		rest := p[nl+1:]
		if len(rest) < 8 {
			return nil, fmt.Errorf("journal entry: field %q: short length", line)
		}
		n := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		if n >= uint64(len(rest)) || rest[n] != '\n' {
			return nil, fmt.Errorf("journal entry: field %q: bad length %d", line, n)
		}
		fields[string(line)] = string(rest[:n])
		p = rest[n+1:]
	}
	return fields, nil
}

// validField is journald's rule for fields a client may set.
func validField(k string) bool {
	if k == "" || k[0] == '_' || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// LogSink receives the guest's journal entries.
type LogSink interface {
	Log(fields map[string]string)
}

// guestEntry turns a guest's entry into the host's: the pod's identity is
// the host's to state (the guest is not trusted with it), fields a client
// may not set are dropped.
func guestEntry(p []byte, pod, namespace string) (map[string]string, error) {
	in, err := parseJournal(p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range in {
		if validField(k) {
			out[k] = v
		}
	}
	out["POD_NAME"] = pod
	delete(out, "POD_NAMESPACE")
	if namespace != "" {
		out["POD_NAMESPACE"] = namespace
	}
	return out, nil
}

// JournalSink writes entries to the host journal from this process, so
// journald attributes them to the pod's unit (this process runs in it),
// as it does for an nspawn pod's podinit. Without a journal they go to
// Fallback as podinit writes them then: "container: line".
type JournalSink struct {
	journal  bool
	fallback io.Writer
}

// NewJournalSink checks for the journal once.
func NewJournalSink(fallback io.Writer) *JournalSink {
	return &JournalSink{journal: journal.Enabled(), fallback: fallback}
}

func (j *JournalSink) Log(f map[string]string) {
	msg := f["MESSAGE"]
	pri := journal.PriInfo
	if n, err := strconv.Atoi(f["PRIORITY"]); err == nil && n >= 0 && n <= 7 {
		pri = journal.Priority(n)
	}
	vars := map[string]string{}
	for k, v := range f {
		if k != "MESSAGE" && k != "PRIORITY" {
			vars[k] = v
		}
	}
	if j.journal && journal.Send(msg, pri, vars) == nil {
		return
	}
	fmt.Fprintf(j.fallback, "%s: %s\n", f["CONTAINER_NAME"], msg)
}
