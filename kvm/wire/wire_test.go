package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrames(t *testing.T) {
	var b bytes.Buffer
	for _, p := range []string{"READY=1", "", "x"} {
		if err := WriteFrame(&b, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"READY=1", "", "x"} {
		p, err := ReadFrame(&b)
		if err != nil || string(p) != want {
			t.Fatalf("got %q %v, want %q", p, err, want)
		}
	}
	if _, err := ReadFrame(&b); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 5, 'a'})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("torn frame: %v", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0xff, 0, 0, 0})); err == nil {
		t.Error("oversized frame accepted")
	}
	if err := WriteFrame(&b, make([]byte, MaxFrame+1)); err == nil {
		t.Error("oversized frame written")
	}
}
