package testhost

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// mountOverlay gives a boot its own writable view of the cached rootfs
// without copying it.
func mountOverlay(lower, upper, work, merged string) error {
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay on %s (%s): %w", merged, opts, err)
	}
	return nil
}

// copyTree is the fallback when overlayfs is unavailable (for example when
// the temp dir itself is on overlayfs, which cannot be an upper layer).
func copyTree(src, dst string) error {
	out, err := exec.Command("cp", "-a", "--reflink=auto", src+"/.", dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp -a %s %s: %w: %s", src, dst, err, out)
	}
	return nil
}

// MountsUnder lists the mount points at or below dir in this process's
// mount namespace, deepest first.
func MountsUnder(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, nil
}

// unescapeMountinfo undoes the kernel's octal escaping of spaces, tabs,
// newlines and backslashes in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder unmounts everything at or below dir. A busy mount gets a few
// retries (a process may be just exiting) and then a lazy detach, so the CI
// machine is never left with a mount behind.
func unmountUnder(dir string) error {
	for attempt := 0; ; attempt++ {
		mps, err := MountsUnder(dir)
		if err != nil {
			return err
		}
		if len(mps) == 0 {
			return nil
		}
		if attempt >= 20 {
			return fmt.Errorf("still mounted after unmount: %s", strings.Join(mps, ", "))
		}
		for _, mp := range mps {
			flags := 0
			if attempt >= 10 {
				flags = unix.MNT_DETACH
			}
			if err := unix.Unmount(mp, flags); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EBUSY) {
				return fmt.Errorf("unmount %s: %w", mp, err)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeAllUnmounted deletes dir only once nothing is mounted below it:
// RemoveAll through a leftover bind of /dev or /sys would delete the CI
// machine's own files.
func removeAllUnmounted(dir string) error {
	if err := unmountUnder(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
