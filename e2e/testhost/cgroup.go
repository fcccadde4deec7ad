package testhost

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// hostCgroups gives a test host a cgroup of its own in every hierarchy
// this process is in. Without it nspawn, which creates no scope here
// (--keep-unit, no systemd outside), puts every host's payload in the same
// <cgroup>/payload: two hosts booted at once (two test runs on one
// machine) then share machine.slice/podunit-<pod>.service when their pods
// share a name, and one host's systemd kills and removes the other's pod
// cgroups ("Failed to kill control group ... Input/output error", units
// that linger after their stop).
type hostCgroups struct {
	dirs []string // one per hierarchy
}

func newHostCgroups(name string) (*hostCgroups, error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	cg := &hostCgroups{}
	for key, path := range own {
		mp, ok := mounts[key]
		if !ok {
			continue
		}
		cg.dirs = append(cg.dirs, filepath.Join(mp, path, "podunit-testhost-"+name))
	}
	sort.Strings(cg.dirs)
	return cg, nil
}

// create makes the cgroups, before each boot (a shutdown removes them).
func (cg *hostCgroups) create() error {
	for _, dir := range cg.dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("test host cgroup: %w", err)
		}
		if err := inheritCpuset(dir); err != nil {
			return fmt.Errorf("test host cgroup: %w", err)
		}
	}
	return nil
}

// inheritCpuset gives a new v1 cpuset cgroup its parent's CPUs and memory
// nodes: it starts with none, and no process may join it until it has.
func inheritCpuset(dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			return nil // not the cpuset hierarchy
		}
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(cur)) != "" {
			continue
		}
		parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), parent, 0); err != nil {
			return err
		}
	}
	return nil
}

// procsFiles are the cgroup.procs files that nspawn's process writes its
// PID to before it execs nspawn.
func (cg *hostCgroups) procsFiles() []string {
	out := make([]string, len(cg.dirs))
	for i, d := range cg.dirs {
		out[i] = filepath.Join(d, "cgroup.procs")
	}
	return out
}

// remove deletes the cgroups the host's systemd left, deepest first. The
// host's processes are dead or dying by now: a cgroup whose last process
// is still being torn down (a power cut kills thousands at once) is busy
// for a moment, so remove tries again for a while.
func (cg *hostCgroups) remove() error {
	deadline := time.Now().Add(cgroupRemoveTimeout)
	for {
		err := cg.removeOnce()
		if err == nil || !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const cgroupRemoveTimeout = 20 * time.Second

func (cg *hostCgroups) removeOnce() error {
	var errs []error
	for _, root := range cg.dirs {
		var dirs []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		slices.Reverse(dirs)
		for _, d := range dirs {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ownCgroups maps each hierarchy ("" for cgroup v2, else its controllers
// as /proc/self/cgroup names them) to this process's path in it.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, sc.Err()
}

// cgroupMounts maps each mounted hierarchy, keyed as ownCgroups keys them,
// to its mount point, for mounts of the hierarchy's root.
func cgroupMounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options... - type source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(tail) < 3 || fields[3] != "/" {
			continue
		}
		switch tail[0] {
		case "cgroup2":
			out[""] = fields[4]
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(tail[2], ",") {
				if o != "rw" && o != "ro" && !strings.Contains(o, "=") || strings.HasPrefix(o, "name=") {
					ctrls = append(ctrls, o)
				}
			}
			out[strings.Join(ctrls, ",")] = fields[4]
		}
	}
	return out, sc.Err()
}
