// Package units compiles a Pod into one systemd unit model and renders that
// model two ways: as D-Bus properties for StartTransientUnit (podunit apply)
// and as unit file text (generator, podunit unit). Both renderings read the
// same Unit value, so the transient unit and the file cannot drift apart.
// Everything here is pure: no D-Bus, no files.
package units

import "time"

// Unit is the compiled form of one pod: every setting podunit gives its
// service, in systemd's own vocabulary.
type Unit struct {
	Name          string // podunit-<pod>.service
	Description   string
	Documentation []string
	After         []string
	Wants         []string

	Type     string // notify: active only once podinit says READY=1
	Slice    string
	Delegate bool
	KillMode string

	Environment []string
	// EnvironmentFiles are read (when they exist) just before each
	// command runs, so ExecStartPre can set variables for ExecStart.
	EnvironmentFiles []string
	// Credentials reach every command of the unit as files in
	// $CREDENTIALS_DIRECTORY (SetCredential=).
	Credentials  []Credential
	ExecStartPre []Command
	ExecStart    Command
	ExecStopPost []Command

	Restart string
	// RestartSec is the pause before systemd restarts a pod whose podinit
	// failed, in seconds.
	RestartSec uint64
	// RestartPreventExitStatus lists podinit exit codes that mean "the pod
	// completed with a failed container": the pod is done, not broken.
	RestartPreventExitStatus []int
	TimeoutStartSec          uint64
	TimeoutStopSec           uint64

	// Resource limits; zero means unset.
	MemoryMax uint64
	// CPUQuotaPercent is CPUQuota= in percent of one CPU (150 = 1.5 CPUs).
	CPUQuotaPercent uint64
	TasksMax        uint64
	// CPUWeight= (1-10000; always set) and MemoryLow= (zero: unset)
	// come from the containers' requests.
	CPUWeight uint64
	MemoryLow uint64

	// LogRateLimit is journald's limit for the unit's log lines.
	LogRateLimit LogRateLimit

	// Only unit files carry these: systemd has no [Install] or fleet
	// placement for transient units.
	WantedBy []string
	Fleet    []FleetOption

	// instance marks a template: the instance token becomes %i when the
	// file is written.
	instance bool
}

// Credential is one SetCredential=: data systemd hands to the unit's
// commands without a command line or environment variable.
type Credential struct {
	ID   string
	Data []byte
}

// LogRateLimit is LogRateLimitIntervalSec= and LogRateLimitBurst=: at
// most Burst lines per Interval; a zero Interval turns the limit off.
type LogRateLimit struct {
	Interval time.Duration
	Burst    uint32
}

// Command is one Exec*= line.
type Command struct {
	Argv []string
	// IgnoreFailure is systemd's "-" prefix: a non-zero exit is not a failure.
	IgnoreFailure bool
	// Expand names variables whose "$NAME" words systemd is meant to
	// expand (to zero or more arguments): written as they are. Every
	// other "$" reaches the process unchanged.
	Expand []string
}

// Name returns the unit name of a pod.
func Name(pod string) string { return "podunit-" + pod + ".service" }
