package units

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/coreos/go-systemd/v22/unit"
	"github.com/godbus/dbus/v5"
)

// execCommand is the D-Bus shape of an Exec*= entry: (sasb) — path, argv,
// ignore-failure.
type execCommand struct {
	Path          string
	Argv          []string
	IgnoreFailure bool
}

// envFile is the D-Bus shape of EnvironmentFile=: (sb) — path, and
// whether a missing file is fine (the "-" prefix).
type envFile struct {
	Path       string
	IgnoreMiss bool
}

func envFiles(paths []string) []envFile {
	out := make([]envFile, 0, len(paths))
	for _, p := range paths {
		out = append(out, envFile{Path: p, IgnoreMiss: true})
	}
	return out
}

// credential is the D-Bus shape of SetCredential=: (say) — id, data.
type credential struct {
	ID   string
	Data []byte
}

// exitStatusSet is the D-Bus shape of RestartPreventExitStatus=: (aiai) —
// exit codes, then signals.
type exitStatusSet struct {
	Codes   []int32
	Signals []int32
}

// execList renders commands for D-Bus. systemd expands $NAME, ${NAME} and
// $$ in the words of a transient unit's command as in a unit file's, so
// they are escaped here too.
func execList(cmds ...Command) []execCommand {
	out := make([]execCommand, 0, len(cmds))
	for _, c := range cmds {
		argv := make([]string, len(c.Argv))
		for i, a := range c.Argv {
			argv[i] = c.escapeVars(a)
		}
		out = append(out, execCommand{Path: c.Argv[0], Argv: argv, IgnoreFailure: c.IgnoreFailure})
	}
	return out
}

func prop(name string, v any) sd.Property {
	return sd.Property{Name: name, Value: dbus.MakeVariant(v)}
}

// Properties renders the unit for StartTransientUnit.
func (u *Unit) Properties() []sd.Property {
	codes := make([]int32, 0, len(u.RestartPreventExitStatus))
	for _, c := range u.RestartPreventExitStatus {
		codes = append(codes, int32(c))
	}
	props := []sd.Property{
		prop("Description", u.Description),
		prop("Documentation", u.Documentation),
		prop("After", u.After),
		prop("Wants", u.Wants),
		prop("Type", u.Type),
		prop("Slice", u.Slice),
		prop("Delegate", u.Delegate),
		prop("KillMode", u.KillMode),
		prop("Environment", u.Environment),
		prop("EnvironmentFiles", envFiles(u.EnvironmentFiles)),
		prop("SetCredential", credentials(u.Credentials)),
		prop("ExecStartPre", execList(u.ExecStartPre...)),
		prop("ExecStart", execList(u.ExecStart)),
		prop("ExecStopPost", execList(u.ExecStopPost...)),
		prop("Restart", u.Restart),
		prop("RestartUSec", u.RestartSec*1e6),
		prop("RestartPreventExitStatus", exitStatusSet{Codes: codes, Signals: []int32{}}),
		prop("TimeoutStartUSec", u.TimeoutStartSec*1e6),
		prop("TimeoutStopUSec", u.TimeoutStopSec*1e6),
		prop("TasksMax", u.TasksMax),
		prop("CPUWeight", u.CPUWeight),
		prop("LogRateLimitIntervalUSec", uint64(u.LogRateLimit.Interval.Microseconds())),
		prop("LogRateLimitBurst", u.LogRateLimit.Burst),
	}
	if u.MemoryMax > 0 {
		props = append(props, prop("MemoryMax", u.MemoryMax))
	}
	if u.MemoryLow > 0 {
		props = append(props, prop("MemoryLow", u.MemoryLow))
	}
	if u.CPUQuotaPercent > 0 {
		// CPUQuotaPerSecUSec is CPU time allowed per second of wall time.
		props = append(props, prop("CPUQuotaPerSecUSec", u.CPUQuotaPercent*10000))
	}
	return props
}

// Options renders the unit as unit file options, section by section.
func (u *Unit) Options() []*unit.UnitOption {
	o := func(section, name, value string) *unit.UnitOption {
		return &unit.UnitOption{Section: section, Name: name, Value: value}
	}
	opts := []*unit.UnitOption{
		o("Unit", "Description", u.Description),
		o("Unit", "Documentation", strings.Join(u.Documentation, " ")),
	}
	for _, a := range u.After {
		opts = append(opts, o("Unit", "After", a))
	}
	for _, w := range u.Wants {
		opts = append(opts, o("Unit", "Wants", w))
	}
	opts = append(opts,
		o("Service", "Type", u.Type),
		o("Service", "Slice", u.Slice),
		o("Service", "Delegate", yesNo(u.Delegate)),
		o("Service", "KillMode", u.KillMode),
	)
	for _, e := range u.Environment {
		// Environment= expands specifiers but not variables ("$$" would
		// stay "$$"), so only % is escaped.
		opts = append(opts, o("Service", "Environment", quoteWord(e)))
	}
	for _, f := range u.EnvironmentFiles {
		opts = append(opts, o("Service", "EnvironmentFile", "-"+f))
	}
	for _, c := range u.Credentials {
		opts = append(opts, o("Service", "SetCredential", c.ID+":"+credentialText(c.Data)))
	}
	for _, c := range u.ExecStartPre {
		opts = append(opts, o("Service", "ExecStartPre", execLine(c)))
	}
	opts = append(opts, o("Service", "ExecStart", execLine(u.ExecStart)))
	for _, c := range u.ExecStopPost {
		opts = append(opts, o("Service", "ExecStopPost", execLine(c)))
	}
	codes := make([]string, 0, len(u.RestartPreventExitStatus))
	for _, c := range u.RestartPreventExitStatus {
		codes = append(codes, strconv.Itoa(c))
	}
	opts = append(opts,
		o("Service", "Restart", u.Restart),
		o("Service", "RestartSec", strconv.FormatUint(u.RestartSec, 10)),
		o("Service", "RestartPreventExitStatus", strings.Join(codes, " ")),
		o("Service", "TimeoutStartSec", strconv.FormatUint(u.TimeoutStartSec, 10)),
		o("Service", "TimeoutStopSec", strconv.FormatUint(u.TimeoutStopSec, 10)),
		o("Service", "TasksMax", strconv.FormatUint(u.TasksMax, 10)),
		o("Service", "CPUWeight", strconv.FormatUint(u.CPUWeight, 10)),
		o("Service", "LogRateLimitIntervalSec", timeSpan(u.LogRateLimit.Interval)),
		o("Service", "LogRateLimitBurst", strconv.FormatUint(uint64(u.LogRateLimit.Burst), 10)),
	)
	if u.MemoryMax > 0 {
		opts = append(opts, o("Service", "MemoryMax", strconv.FormatUint(u.MemoryMax, 10)))
	}
	if u.MemoryLow > 0 {
		opts = append(opts, o("Service", "MemoryLow", strconv.FormatUint(u.MemoryLow, 10)))
	}
	if u.CPUQuotaPercent > 0 {
		opts = append(opts, o("Service", "CPUQuota", fmt.Sprintf("%d%%", u.CPUQuotaPercent)))
	}
	if len(u.WantedBy) > 0 {
		opts = append(opts, o("Install", "WantedBy", strings.Join(u.WantedBy, " ")))
	}
	for _, f := range u.Fleet {
		opts = append(opts, o("X-Fleet", f.Key, f.Value))
	}
	return opts
}

// File renders the unit as unit file text.
func (u *Unit) File() (string, error) {
	b, err := io.ReadAll(unit.Serialize(u.Options()))
	if err != nil {
		return "", fmt.Errorf("serialize %s: %w", u.Name, err)
	}
	text := "# Generated by podunit from the same model as its transient unit. Do not edit.\n" + string(b)
	if u.instance {
		text = strings.ReplaceAll(text, instanceToken, "%i")
	}
	return text, nil
}

func credentials(cs []Credential) []credential {
	out := make([]credential, 0, len(cs))
	for _, c := range cs {
		out = append(out, credential(c))
	}
	return out
}

// credentialText is data as SetCredential= reads it from a unit file:
// systemd C-unescapes the value, so a backslash is doubled, and what a
// line cannot hold (control bytes, a trailing space, which systemd
// strips) is written as \xNN. % is written as \x25 too: systemd 252
// resolves no specifiers in the value, and this way no version can.
func credentialText(data []byte) string {
	var b strings.Builder
	for i, c := range data {
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '%' || c < 0x20 || c == 0x7f || (c == ' ' && i == len(data)-1):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func execLine(c Command) string {
	parts := make([]string, 0, len(c.Argv))
	for _, a := range c.Argv {
		parts = append(parts, c.quoteArg(a))
	}
	line := strings.Join(parts, " ")
	if c.IgnoreFailure {
		line = "-" + line
	}
	return line
}

// quoteArg quotes one word the way systemd.service(5) command lines parse
// it: specifiers (%) and variables ($) are escaped so the value reaches
// the process unchanged.
func (c Command) quoteArg(s string) string {
	if c.expands(s) {
		return s // expands to zero or more arguments: not one quoted word
	}
	return quoteWord(c.escapeVars(s))
}

// escapeVars doubles every "$" of a command word, so systemd passes it on
// unexpanded, except in a word meant to expand (Command.Expand).
func (c Command) escapeVars(s string) string {
	if c.expands(s) {
		return s
	}
	return strings.ReplaceAll(s, "$", "$$")
}

func (c Command) expands(word string) bool {
	name, ok := strings.CutPrefix(word, "$")
	return ok && slices.Contains(c.Expand, name)
}

// quoteWord quotes one word for a unit file, with specifiers escaped.
func quoteWord(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// timeSpan writes d as systemd.time(7) reads it.
func timeSpan(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
