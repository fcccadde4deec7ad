package seccomp

// The profile names Kubernetes uses in seccompProfile.type.
const (
	RuntimeDefault = "RuntimeDefault"
	Unconfined     = "Unconfined"
	Localhost      = "Localhost"
)

// deny is a RuntimeDefault rule: these syscalls fail with EPERM unless
// the container holds one of unless (then the kernel's own capability
// checks apply, as with Docker's profile).
type deny struct {
	names  []string
	unless []string
}

// denied follows Docker's and containerd's default profile, written as a
// deny list: what that allow list leaves out (for the native ABI) fails
// with EPERM. A deny list keeps new, harmless syscalls working, and it
// never stops podinit's own Go code between installing the filter and
// execve.
var denied = []deny{
	// Kernel keyrings are not namespaced.
	{names: []string{"add_key", "keyctl", "request_key"}},
	// Loading code into the kernel, replacing it.
	{names: []string{"init_module", "finit_module", "delete_module"}, unless: []string{"SYS_MODULE"}},
	{names: []string{"create_module", "get_kernel_syms", "query_module", "kexec_load", "kexec_file_load"}},
	// Mounts and namespaces: the container would rearrange its own
	// isolation.
	{names: []string{
		"mount", "umount", "umount2", "mount_setattr", "fsopen", "fsconfig", "fsmount",
		"fspick", "move_mount", "open_tree", "pivot_root", "unshare", "setns",
		"sethostname", "setdomainname", "quotactl", "quotactl_fd", "fanotify_init",
		"lookup_dcookie", "name_to_handle_at",
	}, unless: []string{"SYS_ADMIN"}},
	{names: []string{"bpf"}, unless: []string{"SYS_ADMIN", "BPF"}},
	{names: []string{"perf_event_open"}, unless: []string{"SYS_ADMIN", "PERFMON"}},
	{names: []string{"syslog"}, unless: []string{"SYS_ADMIN", "SYSLOG"}},
	{names: []string{"reboot"}, unless: []string{"SYS_BOOT"}},
	{names: []string{"acct"}, unless: []string{"SYS_PACCT"}},
	{names: []string{"iopl", "ioperm"}, unless: []string{"SYS_RAWIO"}},
	{names: []string{"settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64"}, unless: []string{"SYS_TIME"}},
	{names: []string{"open_by_handle_at"}, unless: []string{"DAC_READ_SEARCH"}},
	{names: []string{"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "move_pages"}, unless: []string{"SYS_NICE"}},
	{names: []string{"kcmp", "pidfd_getfd", "process_madvise"}, unless: []string{"SYS_PTRACE"}},
	{names: []string{"vhangup"}, unless: []string{"SYS_TTY_CONFIG"}},
	// Obsolete or unsafe on a shared kernel.
	{names: []string{
		"swapon", "swapoff", "userfaultfd", "uselib", "ustat", "sysfs", "_sysctl",
		"nfsservctl", "vm86", "vm86old", "afs_syscall", "io_uring_setup",
		"io_uring_enter", "io_uring_register",
	}},
}

const (
	errnoEPERM  = 1
	errnoENOSYS = 38
	// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET.
	cloneNamespaces = 0x7E020000
)

// Default returns RuntimeDefault: allow everything but the denied list;
// clone may not create namespaces and clone3 (whose flags a filter cannot
// read) fails with ENOSYS so libcs fall back to clone, both unless the
// container has CAP_SYS_ADMIN; personality accepts only the values
// Docker's profile does; AF_VSOCK sockets are refused.
func Default() *Profile {
	eperm, enosys := uint32(errnoEPERM), uint32(errnoENOSYS)
	p := &Profile{DefaultAction: "SCMP_ACT_ALLOW"}
	for _, pers := range []uint64{0x0, 0x8, 0x20008, 0xffffffff} {
		p.Syscalls = append(p.Syscalls, Syscall{Names: []string{"personality"}, Action: "SCMP_ACT_ALLOW",
			Args: []Arg{{Index: 0, Value: pers, Op: "SCMP_CMP_EQ"}}})
	}
	p.Syscalls = append(p.Syscalls,
		Syscall{Names: []string{"personality"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm},
		Syscall{Names: []string{"socket"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm,
			Args: []Arg{{Index: 0, Value: 40, Op: "SCMP_CMP_EQ"}}},
		Syscall{Names: []string{"clone3"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &enosys,
			Excludes: &Filter{Caps: []string{"SYS_ADMIN"}}},
		// First match decides: clone without namespace flags is allowed,
		// any other clone is refused.
		Syscall{Names: []string{"clone"}, Action: "SCMP_ACT_ALLOW",
			Args: []Arg{{Index: 0, Value: cloneNamespaces, ValueTwo: 0, Op: "SCMP_CMP_MASKED_EQ"}}},
		Syscall{Names: []string{"clone"}, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm,
			Excludes: &Filter{Caps: []string{"SYS_ADMIN"}}},
	)
	for _, d := range denied {
		s := Syscall{Names: d.names, Action: "SCMP_ACT_ERRNO", ErrnoRet: &eperm}
		if len(d.unless) > 0 {
			s.Excludes = &Filter{Caps: d.unless}
		}
		p.Syscalls = append(p.Syscalls, s)
	}
	return p
}
