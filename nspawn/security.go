package nspawn

import (
	"strings"

	"github.com/podunit/podunit/caps"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
)

// defaultCaps is systemd-nspawn's default capability set (v252): podinit
// needs CAP_SYS_ADMIN and friends to build containers, and drops each
// container to its own set.
var defaultCaps = caps.MustParse("AUDIT_CONTROL", "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE",
	"DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE",
	"MKNOD", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP",
	"SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_NICE", "SYS_PTRACE", "SYS_RESOURCE",
	"SYS_TTY_CONFIG")

// securityArgs are nspawn's capability and SELinux arguments. (The user
// namespace is podinit's: nspawn 252 cannot join the pod's CNI network
// namespace from inside a user namespace of its own.) The pod's bounding
// set must hold every capability one of its containers may have, so
// capabilities beyond nspawn's default are added (all of them for a
// privileged container); podinit narrows each container to its own set.
func securityArgs(p *pod.Pod) []string {
	var args []string
	// Validation has checked every capability name.
	all, _ := p.Spec.Capabilities()
	switch extra := all &^ defaultCaps; {
	case all == caps.All:
		args = append(args, "--capability=all")
	case extra != 0:
		args = append(args, "--capability="+strings.Join(extra.Names(), ","))
	}
	// The pod's SELinux labels are allocated on the host at start, so
	// they reach nspawn through the unit's environment file, which
	// prepare writes: one mechanism for transient, generated and exported
	// units, whose text never depends on an allocation.
	return append(args, "$"+SELinuxArgsVar)
}

// SELinuxArgsVar names the variable, set in the pod's environment file
// (layout.NspawnEnvFile), that holds nspawn's SELinux arguments; empty
// (zero words) without SELinux.
const SELinuxArgsVar = "PODUNIT_NSPAWN_SELINUX"

// SELinuxArgs are nspawn's arguments for labels l, in the form prepare
// writes to the environment file.
func SELinuxArgs(l *selinux.Labels) string {
	if l == nil {
		return ""
	}
	return "--selinux-context=" + l.Process + " --selinux-apifs-context=" + l.File
}
