package nspawn

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/internal/atomicfile"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
)

// Prepare makes nspawn's directory and its environment file.
func (s Stage) Prepare(p *pod.Pod, labels *selinux.Labels) error {
	root := s.Layout.RootDir(p.Metadata.Name)
	// nspawn wants /usr in its directory and a file to bind podinit onto.
	if err := os.MkdirAll(filepath.Join(root, "usr"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, podinit), nil, 0o755); err != nil {
		return err
	}
	return s.writeEnv(p, labels)
}

// writeEnv gives ExecStart the pod's SELinux arguments through the unit's
// environment file (see SELinuxArgsVar). The labels come from the
// allocator at start, so a generated or exported unit gets them as a
// transient one does.
func (s Stage) writeEnv(p *pod.Pod, labels *selinux.Labels) error {
	line := fmt.Sprintf("%s=\"%s\"\n", SELinuxArgsVar, SELinuxArgs(labels))
	if unifiedHost() {
		// nspawn picks the container's cgroup layout by the systemd
		// version it finds in the directory, and a pod's has none: on a
		// cgroup v2 host it would give the pod a legacy layout, where
		// podinit cannot make the containers' own cgroups and their
		// limits would silently not hold. Decided at each start, as the
		// host may have rebooted into another layout.
		line += "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1\n"
	}
	return atomicfile.Write(s.Layout.NspawnEnvFile(p.Metadata.Name), []byte(line), atomicfile.Options{Perm: 0o644})
}

// unifiedHost reports whether the host runs cgroup v2 alone.
var unifiedHost = func() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// Cleanup removes nspawn's directory.
func (s Stage) Cleanup(pod string) error { return os.RemoveAll(s.Layout.RootDir(pod)) }
