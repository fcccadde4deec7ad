package podinit

import (
	"bufio"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/contract"
)

// cgroupRoot is the pod's own cgroup as podinit sees it: nspawn gives the
// pod a cgroup namespace rooted at the unit's delegated payload cgroup.
const cgroupRoot = "/sys/fs/cgroup"

// podinitCgroup holds podinit itself: cgroup v2 lets only leaves hold
// processes once the pod's cgroup passes controllers on to its children.
// Its name has a dot, which no container name (a DNS label) has.
const podinitCgroup = "podinit.scope"

// containerCgroups are the containers' own cgroups, one per container
// name, made once at start (cgroups survives a container's restarts).
// Empty where per-container cgroups cannot be had.
type containerCgroups struct {
	mu   sync.Mutex
	dirs map[string]*os.File // open directory, for CLONE_INTO_CGROUP
	oom  map[string]int64    // memory.events oom_kill seen so far
}

// cgroups is podinit's one tree: the helper forks (containers, probes,
// hooks) all look their container's cgroup up here.
var cgroups = &containerCgroups{}

// setupCgroups gives every container of the plan a cgroup of its own,
// with its limits, as the kubelet does under a pod's cgroup. Where that is
// impossible (cgroup v1 or a hybrid host, whose controllers nspawn does
// not delegate) the pod runs with its unit's limits only, and the reason
// is logged once.
func setupCgroups(plan *contract.Plan) {
	if err := cgroups.setup(plan); err != nil {
		log.Printf("per-container resource limits are not enforced: %v; the pod's unit limits apply", err)
	}
}

func (t *containerCgroups) setup(plan *contract.Plan) error {
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		return errors.New("the pod's cgroups are not cgroup v2 (a cgroup v1 or hybrid host)")
	}
	self := filepath.Join(cgroupRoot, podinitCgroup)
	if err := os.Mkdir(self, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", self, err)
	}
	if err := writeCgroup(self, "cgroup.procs", strconv.Itoa(os.Getpid())); err != nil {
		return err
	}
	avail, err := os.ReadFile(filepath.Join(cgroupRoot, "cgroup.controllers"))
	if err != nil {
		return err
	}
	var enable []string
	for _, c := range strings.Fields(string(avail)) {
		switch c {
		case "cpu", "memory", "pids":
			enable = append(enable, "+"+c)
		}
	}
	if len(enable) < 2 {
		return fmt.Errorf("the pod's cgroup has only the controllers %q: the memory and cpu controllers are not delegated to it", strings.TrimSpace(string(avail)))
	}
	if err := writeCgroup(cgroupRoot, "cgroup.subtree_control", strings.Join(enable, " ")); err != nil {
		return err
	}
	t.dirs, t.oom = map[string]*os.File{}, map[string]int64{}
	for _, c := range append(append([]contract.Container{}, plan.InitContainers...), plan.Containers...) {
		dir := filepath.Join(cgroupRoot, c.Name)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create the cgroup of container %s: %w", c.Name, err)
		}
		if err := applyResources(dir, c.Resources); err != nil {
			return fmt.Errorf("container %s: %w", c.Name, err)
		}
		f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		t.dirs[c.Name] = f
	}
	return nil
}

// applyResources writes what the kubelet writes into a container's
// cgroup: memory.max from the limit, memory.low from the request,
// cpu.max from the CPU limit (100 ms periods), cpu.weight from the request.
func applyResources(dir string, r *contract.Resources) error {
	if r == nil {
		return nil
	}
	var errs []error
	if r.MemoryMax > 0 {
		errs = append(errs, writeCgroup(dir, "memory.max", strconv.FormatInt(r.MemoryMax, 10)))
		// No swap past the limit, as the kubelet runs containers.
		if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
			errs = append(errs, writeCgroup(dir, "memory.swap.max", "0"))
		}
	}
	if r.MemoryLow > 0 {
		errs = append(errs, writeCgroup(dir, "memory.low", strconv.FormatInt(r.MemoryLow, 10)))
	}
	if r.CPUMaxMillis > 0 {
		const period = 100000 // µs
		quota := max(r.CPUMaxMillis*period/1000, 1000)
		errs = append(errs, writeCgroup(dir, "cpu.max", fmt.Sprintf("%d %d", quota, period)))
	}
	if r.CPUWeight > 0 {
		errs = append(errs, writeCgroup(dir, "cpu.weight", strconv.FormatUint(r.CPUWeight, 10)))
	}
	return errors.Join(errs...)
}

func writeCgroup(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("write %s to %s: %w", value, filepath.Join(dir, file), err)
	}
	return nil
}

// fd is the directory of container's cgroup for CLONE_INTO_CGROUP, or -1
// without per-container cgroups.
func (t *containerCgroups) fd(container string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.dirs[container]; f != nil {
		return int(f.Fd())
	}
	return -1
}

// oomKilled reports whether the kernel's OOM killer struck in container's
// cgroup since the last call: its instance was killed for its limit.
func (t *containerCgroups) oomKilled(container string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dirs[container] == nil {
		return false
	}
	f, err := os.Open(filepath.Join(cgroupRoot, container, "memory.events"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			v, _ := strconv.ParseInt(n, 10, 64)
			seen := t.oom[container]
			t.oom[container] = v
			return v > seen
		}
	}
	return false
}
