// Package seccomp turns seccomp profiles (the OCI/Docker JSON format, and
// podunit's RuntimeDefault) into classic BPF programs and installs them.
// It is pure Go: no libseccomp, so the static podinit binary can use it.
package seccomp

//go:generate go run gen_syscalls.go

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/podunit/podunit/caps"
)

// Profile is a seccomp profile in the format of Docker's and containerd's
// profile files and the OCI runtime spec's linux.seccomp.
type Profile struct {
	DefaultAction   string    `json:"defaultAction"`
	DefaultErrnoRet *uint32   `json:"defaultErrnoRet,omitempty"`
	Architectures   []string  `json:"architectures,omitempty"`
	ArchMap         []ArchMap `json:"archMap,omitempty"`
	Syscalls        []Syscall `json:"syscalls,omitempty"`
	// Flags, ListenerPath and ListenerMetadata are accepted so existing
	// profiles load; the only flags podunit honours are none, and a
	// listener (SCMP_ACT_NOTIFY) is refused.
	Flags            []string `json:"flags,omitempty"`
	ListenerPath     string   `json:"listenerPath,omitempty"`
	ListenerMetadata string   `json:"listenerMetadata,omitempty"`
}

// ArchMap is Docker's list of sub-architectures; podunit filters the
// native architecture only, so it is accepted and ignored.
type ArchMap struct {
	Architecture     string   `json:"architecture"`
	SubArchitectures []string `json:"subArchitectures"`
}

// Syscall is one rule: the action for these syscalls when all args match.
type Syscall struct {
	Names    []string `json:"names,omitempty"`
	Name     string   `json:"name,omitempty"` // Docker's older single-name form
	Action   string   `json:"action"`
	ErrnoRet *uint32  `json:"errnoRet,omitempty"`
	Args     []Arg    `json:"args,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	Includes *Filter  `json:"includes,omitempty"`
	Excludes *Filter  `json:"excludes,omitempty"`
}

// Filter makes a rule depend on the container's capabilities or the
// architecture, as in Docker's default profile.
type Filter struct {
	Caps      []string `json:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

// Arg compares one syscall argument.
type Arg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo,omitempty"`
	Op       string `json:"op"`
}

// Parse decodes and checks a profile. Errors name the line and column of
// a JSON problem, or the rule and field of a semantic one.
func Parse(data []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the profile")
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset - 1 // the offending byte was read
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return fmt.Errorf("decode profile: %w", err)
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

func (p *Profile) check() error {
	if _, err := action(p.DefaultAction, p.DefaultErrnoRet); err != nil {
		return fmt.Errorf("defaultAction: %w", err)
	}
	for _, a := range p.Architectures {
		if _, ok := archs[a]; !ok {
			return fmt.Errorf("architectures: unknown architecture %q", a)
		}
	}
	for i, s := range p.Syscalls {
		f := fmt.Sprintf("syscalls[%d]", i)
		if len(s.Names) == 0 && s.Name == "" {
			return fmt.Errorf("%s.names: required value", f)
		}
		if _, err := action(s.Action, s.ErrnoRet); err != nil {
			return fmt.Errorf("%s.action: %w", f, err)
		}
		for j, a := range s.Args {
			if a.Index > 5 {
				return fmt.Errorf("%s.args[%d].index: %d is not an argument index (0-5)", f, j, a.Index)
			}
			if _, ok := ops[a.Op]; !ok {
				return fmt.Errorf("%s.args[%d].op: unknown operator %q", f, j, a.Op)
			}
		}
		for _, fl := range []*Filter{s.Includes, s.Excludes} {
			if fl == nil {
				continue
			}
			if _, err := caps.Parse(fl.Caps...); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
		}
	}
	return nil
}

// archs maps libseccomp architecture names to Go's GOARCH.
var archs = map[string]string{
	"SCMP_ARCH_X86_64": "amd64", "SCMP_ARCH_X86": "386", "SCMP_ARCH_X32": "amd64p32",
	"SCMP_ARCH_AARCH64": "arm64", "SCMP_ARCH_ARM": "arm",
	"SCMP_ARCH_MIPS": "mips", "SCMP_ARCH_MIPS64": "mips64", "SCMP_ARCH_MIPS64N32": "mips64p32",
	"SCMP_ARCH_MIPSEL": "mipsle", "SCMP_ARCH_MIPSEL64": "mips64le", "SCMP_ARCH_MIPSEL64N32": "mips64lep32",
	"SCMP_ARCH_PPC": "ppc", "SCMP_ARCH_PPC64": "ppc64", "SCMP_ARCH_PPC64LE": "ppc64le",
	"SCMP_ARCH_S390": "s390", "SCMP_ARCH_S390X": "s390x", "SCMP_ARCH_RISCV64": "riscv64",
	"SCMP_ARCH_LOONGARCH64": "loong64",
}

// applies reports whether a rule is in effect for a container with the
// given capabilities on arch (a GOARCH).
func (s *Syscall) applies(have caps.Set, arch string) bool {
	if in := s.Includes; in != nil {
		need, _ := caps.Parse(in.Caps...)
		if have&need != need {
			return false
		}
		if len(in.Arches) > 0 && !slices.ContainsFunc(in.Arches, func(a string) bool { return archs[a] == arch }) {
			return false
		}
	}
	if ex := s.Excludes; ex != nil {
		not, _ := caps.Parse(ex.Caps...)
		if have&not != 0 {
			return false
		}
		if slices.ContainsFunc(ex.Arches, func(a string) bool { return archs[a] == arch }) {
			return false
		}
	}
	return true
}
