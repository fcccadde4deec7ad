// Package wire is what the kvm stage's host side and its guest init agree
// on: the virtio-serial port names, the framing on them, the guest
// configuration file and the kernel command line marker. A leaf, like
// contract/, imported by both sides.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// StageArg on the kernel command line marks a podunit guest: the guest
// init acts only when it is PID 1, runs as /init and finds it.
const StageArg = "podunit.stage=kvm"

// BootMarker is the line the guest init writes to the console as soon as
// it runs: the accelerator probe waits for it.
const BootMarker = "podunit-guest: init started"

// Virtio-serial port names (virtserialport name=); the guest finds its
// ports by these in /sys/class/virtio-ports/*/name.
const (
	// PortJournal carries native journal protocol datagrams from the
	// guest, one per frame.
	PortJournal = "org.podunit.journal"
	// PortNotify carries sd_notify datagrams from the guest.
	PortNotify = "org.podunit.notify"
	// PortControl carries Control messages both ways.
	PortControl = "org.podunit.control"
)

// Ports is every port, in the order the host creates them.
var Ports = []string{PortJournal, PortNotify, PortControl}

// RunShareTag is the tag of the share holding the pod's run directory,
// mounted at contract.RunDir: the guest finds its GuestConfig there.
const RunShareTag = "podunit-run"

// GuestConfigName is the GuestConfig's file name in the run directory.
const GuestConfigName = "kvm.json"

// GuestConfig is what the guest init mounts besides the run directory.
type GuestConfig struct {
	Shares []Share `json:"shares,omitempty"`
}

// Share is a host directory exported to the guest under Tag and mounted
// at Path (inside the guest).
type Share struct {
	Tag      string `json:"tag"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// Control is a message on PortControl: Stop from the host (stop the pod:
// podinit gets SIGTERM, as under nspawn), Exit from the guest (podinit's
// exit code, just before the guest powers off).
type Control struct {
	Stop bool `json:"stop,omitempty"`
	Exit *int `json:"exit,omitempty"`
}

// MaxFrame bounds a frame: a journal entry is at most podinit's longest
// line plus its fields, far below this.
const MaxFrame = 1 << 20

// WriteFrame writes p as one frame: a 4-byte big-endian length, then p.
// One Write call, so frames from one writer never interleave.
func WriteFrame(w io.Writer, p []byte) error {
	if len(p) > MaxFrame {
		return fmt.Errorf("frame of %d bytes exceeds %d", len(p), MaxFrame)
	}
	buf := make([]byte, 4+len(p))
	binary.BigEndian.PutUint32(buf, uint32(len(p)))
	copy(buf[4:], p)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame; io.EOF when the stream ended between frames.
func ReadFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("frame of %d bytes exceeds %d", n, MaxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return p, nil
}
