package kvm

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

func TestGuestEntry(t *testing.T) {
	var p bytes.Buffer
	p.WriteString("PRIORITY=6\nCONTAINER_NAME=web\nPOD_NAME=forged\n_SYSTEMD_UNIT=forged.service\nMESSAGE\n")
	binary.Write(&p, binary.LittleEndian, uint64(len("two\nlines")))
	p.WriteString("two\nlines\nSYSLOG_IDENTIFIER=web\n")
	got, err := guestEntry(p.Bytes(), "pod", "ns")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PRIORITY": "6", "CONTAINER_NAME": "web", "MESSAGE": "two\nlines",
		"SYSLOG_IDENTIFIER": "web", "POD_NAME": "pod", "POD_NAMESPACE": "ns"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	for _, bad := range []string{"MESSAGE=x", "MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00ab\n", "MESSAGE\n\x01"} {
		if _, err := parseJournal([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAllowedNotify(t *testing.T) {
	if got := allowedNotify("READY=1\nMAINPID=1\nSTATUS=Running 1\nFDSTORE=1"); got != "READY=1\nSTATUS=Running 1" {
		t.Errorf("got %q", got)
	}
	if got := allowedNotify("WATCHDOG=1"); got != "" {
		t.Errorf("got %q", got)
	}
}
