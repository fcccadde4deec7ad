package seccomp

import (
	"testing"

	"github.com/podunit/podunit/caps"
)

// FuzzProfile: a Localhost profile is any JSON an administrator put in
// the seccomp directory. Parsing must not panic, and a profile that
// parses must compile or fail cleanly, and its program must round-trip
// through the bytes the plan carries.
func FuzzProfile(f *testing.F) {
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"includes":{"caps":["CAP_SYS_ADMIN"]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		for _, have := range []caps.Set{0, caps.MustParse("CAP_SYS_ADMIN")} {
			prog, err := p.Compile(have)
			if err != nil {
				continue
			}
			if _, err := FromBytes(prog.Bytes()); err != nil {
				t.Fatalf("compiled program does not round-trip: %v", err)
			}
		}
	})
}
