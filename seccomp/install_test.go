package seccomp

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/caps"
)

// TestInstall runs in a child process: a filter cannot be removed.
func TestInstall(t *testing.T) {
	if os.Getenv("SECCOMP_TEST_CHILD") == "1" {
		installChild(t)
		return
	}
	native(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestInstall$", "-test.v")
	cmd.Env = append(os.Environ(), "SECCOMP_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func installChild(t *testing.T) {
	runtime.LockOSThread()
	p, err := Default().Compile(caps.Default)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := Install(p); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unshare(unix.CLONE_NEWUSER); !errors.Is(err, unix.EPERM) {
		t.Fatalf("unshare(CLONE_NEWUSER) under RuntimeDefault: %v, want EPERM", err)
	}
	if _, err := unix.Getcwd(make([]byte, 256)); err != nil {
		t.Fatalf("getcwd: %v", err)
	}
}
