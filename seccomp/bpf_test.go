package seccomp

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/podunit/podunit/caps"
)

// run interprets p for one syscall, as the kernel would.
func run(t *testing.T, p Program, arch, nr uint32, args ...uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[offNr:], nr)
	binary.LittleEndian.PutUint32(data[offArch:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[offArgs+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(p); pc++ {
		f := p[pc]
		switch f.Code {
		case ldW:
			acc = binary.LittleEndian.Uint32(data[f.K:])
		case andK:
			acc &= f.K
		case ret:
			return f.K
		case jeq, jgt, jge:
			ok := map[uint16]bool{jeq: acc == f.K, jgt: acc > f.K, jge: acc >= f.K}[f.Code]
			if ok {
				pc += int(f.Jt)
			} else {
				pc += int(f.Jf)
			}
		default:
			t.Fatalf("unexpected instruction %+v", f)
		}
	}
	t.Fatal("fell off the program")
	return 0
}

func native(t *testing.T) (uint32, map[string]uint32) {
	a, ok := nativeArch[runtime.GOARCH]
	if !ok {
		t.Skip("no seccomp support on " + runtime.GOARCH)
	}
	return a.audit, a.table
}

const eperm = unix.SECCOMP_RET_ERRNO | 1

func TestDefault(t *testing.T) {
	audit, nr := native(t)
	p, err := Default().Compile(caps.Default)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []uint64
		want uint32
	}{
		{"getpid", nil, unix.SECCOMP_RET_ALLOW},
		{"unshare", []uint64{unix.CLONE_NEWUSER}, eperm},
		{"mount", nil, eperm},
		{"keyctl", nil, eperm},
		{"clone", []uint64{uint64(unix.SIGCHLD)}, unix.SECCOMP_RET_ALLOW},
		{"clone", []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}, eperm},
		{"clone3", nil, unix.SECCOMP_RET_ERRNO | 38},
		{"personality", []uint64{0xffffffff}, unix.SECCOMP_RET_ALLOW},
		{"personality", []uint64{0x0040000}, eperm},
		{"socket", []uint64{40}, eperm},
		{"socket", []uint64{unix.AF_INET}, unix.SECCOMP_RET_ALLOW},
	}
	for _, c := range cases {
		if got := run(t, p, audit, nr[c.name], c.args...); got != c.want {
			t.Errorf("%s%v: got %#x, want %#x", c.name, c.args, got, c.want)
		}
	}
	if got := run(t, p, 0x40000003, nr["getpid"]); got != unix.SECCOMP_RET_KILL_PROCESS {
		t.Errorf("foreign architecture: got %#x", got)
	}
	admin, _ := Default().Compile(caps.Default | caps.MustParse("SYS_ADMIN"))
	if got := run(t, admin, audit, nr["mount"]); got != unix.SECCOMP_RET_ALLOW {
		t.Errorf("mount with CAP_SYS_ADMIN: got %#x", got)
	}
	if got := run(t, admin, audit, nr["keyctl"]); got != eperm {
		t.Errorf("keyctl with CAP_SYS_ADMIN: got %#x", got)
	}
}

func TestOperators(t *testing.T) {
	audit, nr := native(t)
	const big = 0x1_0000_0005
	cases := []struct {
		op    string
		arg   uint64
		match bool
	}{
		{"SCMP_CMP_EQ", big, true}, {"SCMP_CMP_EQ", 5, false},
		{"SCMP_CMP_NE", 5, true}, {"SCMP_CMP_NE", big, false},
		{"SCMP_CMP_GT", big + 1, true}, {"SCMP_CMP_GT", big, false}, {"SCMP_CMP_GT", 0x2_0000_0000, true}, {"SCMP_CMP_GT", 0xffff_ffff, false},
		{"SCMP_CMP_GE", big, true}, {"SCMP_CMP_GE", big - 1, false},
		{"SCMP_CMP_LT", big - 1, true}, {"SCMP_CMP_LT", big, false}, {"SCMP_CMP_LT", 0x2_0000_0000, false},
		{"SCMP_CMP_LE", big, true}, {"SCMP_CMP_LE", big + 1, false},
	}
	for _, c := range cases {
		p := &Profile{DefaultAction: "SCMP_ACT_ALLOW", Syscalls: []Syscall{{Names: []string{"getpid"}, Action: "SCMP_ACT_ERRNO",
			Args: []Arg{{Index: 2, Value: big, Op: c.op}}}}}
		prog, err := p.Compile(0)
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(unix.SECCOMP_RET_ALLOW)
		if c.match {
			want = eperm
		}
		if got := run(t, prog, audit, nr["getpid"], 0, 0, c.arg); got != want {
			t.Errorf("%s arg %#x: got %#x, want %#x", c.op, c.arg, got, want)
		}
	}
	masked := &Profile{DefaultAction: "SCMP_ACT_ALLOW", Syscalls: []Syscall{{Names: []string{"getpid"}, Action: "SCMP_ACT_KILL",
		Args: []Arg{{Index: 0, Value: 0xf0, ValueTwo: 0x30, Op: "SCMP_CMP_MASKED_EQ"}}}}}
	prog, _ := masked.Compile(0)
	if got := run(t, prog, audit, nr["getpid"], 0x3f); got != unix.SECCOMP_RET_KILL_THREAD {
		t.Errorf("masked match: %#x", got)
	}
	if got := run(t, prog, audit, nr["getpid"], 0x4f); got != unix.SECCOMP_RET_ALLOW {
		t.Errorf("masked mismatch: %#x", got)
	}
	if back, err := FromBytes(prog.Bytes()); err != nil || len(back) != len(prog) || back[3] != prog[3] {
		t.Errorf("round trip: %v", err)
	}
}

func TestParse(t *testing.T) {
	good := `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW",
    "includes": {"caps": ["CAP_SYS_ADMIN"]}}]
}`
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}": "line 3, column 16",
		`{"defaultAction": "SCMP_ACT_NOPE"}`:                              `unknown action "SCMP_ACT_NOPE"`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "bogus": 1}`:                 `unknown field "bogus"`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`: "syscalls[0].args[0].index",
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NOPE"]}}]}`:                      "unknown capability",
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}`:                                                                             "syscalls[0].names: required",
	}
	for in, want := range bad {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s): got %v, want %q", in, err, want)
		}
	}
}
