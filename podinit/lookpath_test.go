package podinit

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

func TestLookPath(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"bin", "usr/bin", "usr/local/bin/tool", "opt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(root, p), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/sh", 0o755)
	write("usr/bin/sh", 0o755)
	write("usr/bin/env", 0o755)
	write("bin/noexec", 0o644)
	write("opt/noexec", 0o644)
	if err := os.Symlink("sh", filepath.Join(root, "bin/ash")); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		file, path, want string
		code             int
	}{
		{"sh", "/usr/bin:/bin", "/usr/bin/sh", 0},
		{"sh", "/bin:/usr/bin", "/bin/sh", 0},
		{"env", defaultPath, "/usr/bin/env", 0},
		{"ash", "/bin", "/bin/ash", 0},
		// A directory of that name is skipped, like execvp.
		{"tool", "/usr/local/bin", "", exitNotFound},
		{"nope", defaultPath, "", exitNotFound},
		{"noexec", "/bin:/opt", "", exitNotExecutable},
		{"sh", "", "", exitNotFound},
		// Names with a slash are left to execve.
		{"/does/not/matter", "", "/does/not/matter", 0},
		{"./rel", "", "./rel", 0},
		{"", defaultPath, "", exitNotFound},
	} {
		got, err := lookPath(root, tc.file, tc.path)
		if tc.code != 0 {
			var ee *execError
			if !errors.As(err, &ee) || ee.code != tc.code {
				t.Errorf("lookPath(%q, %q) = %q, %v; want exit code %d", tc.file, tc.path, got, err, tc.code)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("lookPath(%q, %q) = %q, %v; want %q", tc.file, tc.path, got, err, tc.want)
		}
	}
}

func TestExecErrorCode(t *testing.T) {
	if c := execErrorCode(syscall.ENOENT); c != 127 {
		t.Errorf("ENOENT: %d", c)
	}
	for _, e := range []error{syscall.EACCES, syscall.ENOEXEC, syscall.EISDIR} {
		if c := execErrorCode(e); c != 126 {
			t.Errorf("%v: %d", e, c)
		}
	}
}

func TestCompleteEnv(t *testing.T) {
	got := completeEnv([]string{"A=1", "PATH=/bin", "A=2", "B=x=y"}, "h", "/home/u")
	want := []string{"A=2", "PATH=/bin", "B=x=y", "HOSTNAME=h", "HOME=/home/u"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	got = completeEnv([]string{"HOME=/x", "HOSTNAME=mine"}, "h", "")
	want = []string{"HOME=/x", "HOSTNAME=mine", "PATH=" + defaultPath}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	if v, ok := envGet([]string{"X=1", "X=2"}, "X"); !ok || v != "2" {
		t.Errorf("envGet: %q %v", v, ok)
	}
}
