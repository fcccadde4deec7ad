package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/caps"
)

// Program is a compiled filter: classic BPF over struct seccomp_data.
type Program []unix.SockFilter

// Offsets into struct seccomp_data; arguments are little-endian on every
// architecture podunit builds for.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	// x32 syscalls on x86_64 share AUDIT_ARCH_X86_64 and set this bit.
	x32Bit = 0x40000000
)

// nativeArch is the audit architecture and syscall table of the running
// binary. Only this ABI is filtered; any other (i386 via int 0x80, x32)
// is killed, since a rule written for one ABI says nothing about another.
var nativeArch = map[string]struct {
	audit uint32
	table map[string]uint32
}{
	"amd64": {unix.AUDIT_ARCH_X86_64, syscallNumbers_amd64},
	"arm64": {unix.AUDIT_ARCH_AARCH64, syscallNumbers_arm64},
}

func action(name string, errno *uint32) (uint32, error) {
	e := uint32(unix.EPERM)
	if errno != nil {
		if *errno > 0xffff {
			return 0, fmt.Errorf("errnoRet %d out of range", *errno)
		}
		e = *errno
	}
	switch name {
	case "SCMP_ACT_ALLOW":
		return unix.SECCOMP_RET_ALLOW, nil
	case "SCMP_ACT_ERRNO":
		return unix.SECCOMP_RET_ERRNO | e, nil
	case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD":
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case "SCMP_ACT_KILL_PROCESS":
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case "SCMP_ACT_TRAP":
		return unix.SECCOMP_RET_TRAP, nil
	case "SCMP_ACT_TRACE":
		// Without a tracer the kernel fails the syscall with ENOSYS.
		return unix.SECCOMP_RET_TRACE | e, nil
	case "SCMP_ACT_LOG":
		return unix.SECCOMP_RET_LOG, nil
	case "SCMP_ACT_NOTIFY":
		return 0, errors.New("SCMP_ACT_NOTIFY needs a seccomp agent, which podunit does not run")
	case "":
		return 0, errors.New("required value")
	}
	return 0, fmt.Errorf("unknown action %q", name)
}

// Comparison operators.
const (
	opEQ = iota
	opNE
	opLT
	opLE
	opGT
	opGE
	opMaskedEQ
)

var ops = map[string]int{
	"SCMP_CMP_EQ": opEQ, "SCMP_CMP_NE": opNE, "SCMP_CMP_LT": opLT, "SCMP_CMP_LE": opLE,
	"SCMP_CMP_GT": opGT, "SCMP_CMP_GE": opGE, "SCMP_CMP_MASKED_EQ": opMaskedEQ,
}

// Jump placeholders, resolved per rule block: to the next rule (the
// argument checks failed), or past the current comparison (it held).
const (
	toFail = 0xff
	toPass = 0xfe
)

func stmt(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k, Jt: jt, Jf: jf}
}

const (
	ldW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	jeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	jgt  = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	jge  = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	andK = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	ret  = unix.BPF_RET | unix.BPF_K
)

// compare emits the checks for one argument: falls through when it
// holds, jumps toFail when it does not.
func compare(a Arg, op int) []unix.SockFilter {
	lo, hi := uint32(offArgs+8*a.Index), uint32(offArgs+8*a.Index+4)
	vlo, vhi := uint32(a.Value), uint32(a.Value>>32)
	var out []unix.SockFilter
	switch op {
	case opEQ:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jeq, vhi, 0, toFail), stmt(ldW, lo), jump(jeq, vlo, 0, toFail)}
	case opNE:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jeq, vhi, 0, toPass), stmt(ldW, lo), jump(jeq, vlo, toFail, 0)}
	case opMaskedEQ:
		// Docker's format: value is the mask, valueTwo the expected value.
		mlo, mhi := uint32(a.Value), uint32(a.Value>>32)
		wlo, whi := uint32(a.ValueTwo), uint32(a.ValueTwo>>32)
		out = []unix.SockFilter{stmt(ldW, hi), stmt(andK, mhi), jump(jeq, whi, 0, toFail), stmt(ldW, lo), stmt(andK, mlo), jump(jeq, wlo, 0, toFail)}
	case opGT:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jgt, vhi, toPass, 0), jump(jeq, vhi, 0, toFail), stmt(ldW, lo), jump(jgt, vlo, 0, toFail)}
	case opGE:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jgt, vhi, toPass, 0), jump(jeq, vhi, 0, toFail), stmt(ldW, lo), jump(jge, vlo, 0, toFail)}
	case opLT:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jgt, vhi, toFail, 0), jump(jeq, vhi, 0, toPass), stmt(ldW, lo), jump(jge, vlo, toFail, 0)}
	case opLE:
		out = []unix.SockFilter{stmt(ldW, hi), jump(jgt, vhi, toFail, 0), jump(jeq, vhi, 0, toPass), stmt(ldW, lo), jump(jgt, vlo, toFail, 0)}
	}
	// toPass means "the end of this comparison".
	for i := range out {
		if out[i].Jt == toPass {
			out[i].Jt = uint8(len(out) - i - 1)
		}
		if out[i].Jf == toPass {
			out[i].Jf = uint8(len(out) - i - 1)
		}
	}
	return out
}

// rule is a profile rule resolved for one architecture.
type rule struct {
	nr     uint32
	args   []Arg
	ops    []int
	action uint32
}

// Compile builds the filter for a container with the given capabilities,
// for the architecture this binary runs on. Rules are checked in order,
// the first whose syscall and arguments match decides; unknown syscall
// names are skipped, as libseccomp does for names a kernel lacks.
func (p *Profile) Compile(have caps.Set) (Program, error) {
	arch, ok := nativeArch[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("seccomp filters are not supported on %s", runtime.GOARCH)
	}
	def, err := action(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	var rules []rule
	for i := range p.Syscalls {
		s := &p.Syscalls[i]
		if !s.applies(have, runtime.GOARCH) {
			continue
		}
		act, err := action(s.Action, s.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d].action: %w", i, err)
		}
		var argOps []int
		for _, a := range s.Args {
			argOps = append(argOps, ops[a.Op])
		}
		names := s.Names
		if s.Name != "" {
			names = append([]string{s.Name}, names...)
		}
		for _, n := range names {
			if nr, ok := arch.table[n]; ok {
				rules = append(rules, rule{nr: nr, args: s.Args, ops: argOps, action: act})
			}
		}
	}
	return build(arch.audit, rules, def)
}

func build(audit uint32, rules []rule, def uint32) (Program, error) {
	prog := Program{
		stmt(ldW, offArch),
		jump(jeq, audit, 1, 0),
		stmt(ret, unix.SECCOMP_RET_KILL_PROCESS),
		stmt(ldW, offNr),
	}
	if audit == unix.AUDIT_ARCH_X86_64 {
		prog = append(prog, jump(jge, x32Bit, 0, 1), stmt(ret, unix.SECCOMP_RET_KILL_PROCESS))
	}
	for _, r := range rules {
		// A holds the syscall number on entry to every block.
		block := []unix.SockFilter{jump(jeq, r.nr, 0, toFail)}
		for i, a := range r.args {
			block = append(block, compare(a, r.ops[i])...)
		}
		block = append(block, stmt(ret, r.action))
		if len(block) > 255 {
			return nil, fmt.Errorf("rule for syscall %d has too many argument checks", r.nr)
		}
		for i := range block {
			if block[i].Jt == toFail {
				block[i].Jt = uint8(len(block) - i - 1)
			}
			if block[i].Jf == toFail {
				block[i].Jf = uint8(len(block) - i - 1)
			}
		}
		// An argument rule leaves an argument word in A; every way out of
		// the block that does not return lands on this reload.
		if len(r.args) > 0 {
			block = append(block, stmt(ldW, offNr))
		}
		prog = append(prog, block...)
	}
	prog = append(prog, stmt(ret, def))
	if len(prog) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("filter has %d instructions, more than the kernel's %d", len(prog), unix.BPF_MAXINSNS)
	}
	return prog, nil
}

// Bytes encodes the program as the kernel's struct sock_filter array, for
// the plan and for exec.
func (p Program) Bytes() []byte {
	out := make([]byte, 0, 8*len(p))
	for _, f := range p {
		out = binary.LittleEndian.AppendUint16(out, f.Code)
		out = append(out, f.Jt, f.Jf)
		out = binary.LittleEndian.AppendUint32(out, f.K)
	}
	return out
}

// FromBytes decodes what Bytes encoded.
func FromBytes(b []byte) (Program, error) {
	if len(b)%8 != 0 || len(b) == 0 {
		return nil, fmt.Errorf("seccomp program of %d bytes is not a whole number of instructions", len(b))
	}
	p := make(Program, len(b)/8)
	for i := range p {
		c := b[8*i:]
		p[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(c), Jt: c[2], Jf: c[3], K: binary.LittleEndian.Uint32(c[4:])}
	}
	return p, nil
}
