package contract

// ExecHelperName is argv[1] of the exec helper: `podunit exec` starts it
// through nsenter inside the container's namespaces (its user namespace
// last, which a multithreaded Go process cannot join itself), and it
// takes on the container's restrictions before execve, exactly as the
// container helper did for the container's own process.
const ExecHelperName = "podinit-exec"

// ExecSpecFD is the helper's fd that carries the ExecSpec.
const ExecSpecFD = 3

// ExecSpec is the command and everything it inherits from the container.
type ExecSpec struct {
	Argv     []string  `json:"argv"`
	Env      []string  `json:"env"`
	Cwd      string    `json:"cwd"`
	UID      uint32    `json:"uid"`
	GID      uint32    `json:"gid"`
	Groups   []uint32  `json:"groups,omitempty"`
	Security *Security `json:"security,omitempty"`
}
