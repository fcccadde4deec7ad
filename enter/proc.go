package enter

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStatus holds the fields of /proc/<pid>/status that exec needs.
type procStatus struct {
	PPid  int
	NSpid []int // pid in each PID namespace, outermost first
}

func parseStatus(text string) (procStatus, error) {
	var st procStatus
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "PPid":
			n, err := strconv.Atoi(v)
			if err != nil {
				return st, fmt.Errorf("PPid %q: %w", v, err)
			}
			st.PPid = n
		case "NSpid":
			for _, f := range strings.Fields(v) {
				n, err := strconv.Atoi(f)
				if err != nil {
					return st, fmt.Errorf("NSpid %q: %w", v, err)
				}
				st.NSpid = append(st.NSpid, n)
			}
		}
	}
	return st, sc.Err()
}

func readStatus(pid int) (procStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, err
	}
	return parseStatus(string(b))
}

// HostPID finds the host PID of the container process that has pid inPod
// in the PID namespace of leader (the pod's PID 1, podinit, as machined
// reports it). podinit records pids as it sees them; only the host can
// translate them. Every container's main process is a child of podinit,
// in podinit's PID namespace or (Kubernetes' default) in one of its own
// below it, so it is the child of leader whose pid at leader's level is
// inPod.
func HostPID(leader, inPod int) (int, error) {
	if inPod == 1 {
		return leader, nil
	}
	ls, err := readStatus(leader)
	if err != nil {
		return 0, fmt.Errorf("pod leader %d: %w", leader, err)
	}
	level := len(ls.NSpid) - 1
	if level < 0 {
		return 0, fmt.Errorf("pod leader %d: no NSpid in its status", leader)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStatus(pid)
		if err != nil || st.PPid != leader || len(st.NSpid) <= level {
			continue
		}
		if st.NSpid[level] == inPod {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process %d in the pod (it may have exited)", inPod)
}

// cgroupFiles lists the cgroup.procs files of every hierarchy pid belongs
// to, from /proc/<pid>/cgroup, for a host with cgroups at root.
func cgroupFiles(cgroupText, root string, unified bool) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(cgroupText), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir string
		switch {
		case parts[0] == "0" && parts[1] == "":
			if unified {
				dir = root
			} else {
				dir = filepath.Join(root, "unified")
			}
		default:
			// v1: the mount point is named after the controllers
			// ("cpu,cpuacct") or the named hierarchy ("name=systemd").
			dir = filepath.Join(root, strings.TrimPrefix(parts[1], "name="))
		}
		out = append(out, filepath.Join(dir, parts[2], "cgroup.procs"))
	}
	return out
}
