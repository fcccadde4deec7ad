package contract

// Security is a container's resolved securityContext, enforced by the
// helper just before execve (and by `podunit exec` for every command run
// in the container).
type Security struct {
	// RunAsUser and RunAsGroup replace the image's user and group.
	RunAsUser  *uint32 `json:"runAsUser,omitempty"`
	RunAsGroup *uint32 `json:"runAsGroup,omitempty"`
	// SupplementalGroups (with fsGroup) are added to the user's groups.
	SupplementalGroups []uint32 `json:"supplementalGroups,omitempty"`
	RunAsNonRoot       bool     `json:"runAsNonRoot,omitempty"`
	// Capabilities is the bounding, permitted and effective set (bit n
	// for capability n); inheritable and ambient are empty, as with
	// containerd, so a non-root user has none after execve.
	Capabilities uint64 `json:"capabilities"`
	NoNewPrivs   bool   `json:"noNewPrivs,omitempty"`
	ReadOnlyRoot bool   `json:"readOnlyRoot,omitempty"`
	// SeccompProfile names the profile (RuntimeDefault, Unconfined,
	// Localhost/<path>); Seccomp is its compiled filter, none if empty.
	SeccompProfile string `json:"seccompProfile"`
	Seccomp        []byte `json:"seccomp,omitempty"`
	// MaskedPaths are hidden (/dev/null over files, an empty read-only
	// tmpfs over directories), ReadonlyPaths are bound read-only.
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`
	// ProcessLabel is the SELinux label the command runs with and
	// MountLabel the context= of its rootfs overlay; empty when SELinux
	// is off.
	ProcessLabel string `json:"processLabel,omitempty"`
	MountLabel   string `json:"mountLabel,omitempty"`
	// UIDBase is the host uid (and gid) that is root in the container's
	// user namespace, which maps 65536 ids; 0 means no user namespace.
	UIDBase uint32 `json:"uidBase,omitempty"`
}

// MaskedPaths and ReadonlyPaths are runc's defaults for unprivileged
// containers.
var (
	MaskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
	}
	ReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)
