package fsfull

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExplain(t *testing.T) {
	dir := t.TempDir()
	full := fmt.Errorf("write x: %w", &fs.PathError{Op: "write", Path: "x", Err: unix.ENOSPC})
	err := Explain(full, "image store", dir)
	if !errors.Is(err, unix.ENOSPC) || !strings.Contains(err.Error(), "the filesystem of "+dir+" is full") || !strings.Contains(err.Error(), "KiB free") {
		t.Errorf("ENOSPC: %v", err)
	}
	other := errors.New("boom")
	if Explain(other, "image store", dir) != other {
		t.Error("another error was changed")
	}
}
