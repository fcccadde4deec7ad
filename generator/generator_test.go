package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podunit/podunit/internal/golden"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

var testDirs = []string{"testdata/etc", "testdata/run"}

// TestGolden generates the units of testdata/{etc,run} and compares each,
// and the list of skipped manifests, with testdata/golden.
func TestGolden(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	var names []string
	for _, u := range res.Units {
		names = append(names, u.Unit.Name)
		golden.Check(t, filepath.Join("testdata/golden", u.Unit.Name), u.Text)
	}
	if got := strings.Join(names, " "); got != "podunit-replaced.service podunit-web.service podunit-worker.service" {
		t.Fatalf("generated %s", got)
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, e.Error())
	}
	golden.Check(t, "testdata/golden/errors.txt", strings.Join(errs, "\n")+"\n")
}

// TestSameModel: a generated unit is the transient unit of the same pod
// plus what only files carry; the Exec lines, limits and kill settings
// come from one compilation.
func TestSameModel(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	for _, g := range res.Units {
		pods, err := pod.DecodeFiles([]string{g.Source}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			if p.Metadata.Name != g.Pod {
				continue
			}
			tu, err := units.Compile(p, units.DefaultHost)
			if err != nil {
				t.Fatal(err)
			}
			gen := *g.Unit
			if strings.Join(gen.ExecStart.Argv, " ") != strings.Join(tu.ExecStart.Argv, " ") {
				t.Errorf("%s: ExecStart differs from the transient unit's", g.Pod)
			}
			pre := strings.Replace(strings.Join(gen.ExecStartPre[0].Argv, " "), " --origin="+units.OriginGenerator, "", 1)
			if pre != strings.Join(tu.ExecStartPre[0].Argv, " ") {
				t.Errorf("%s: ExecStartPre differs beyond the origin:\n%s\n%s", g.Pod, pre, strings.Join(tu.ExecStartPre[0].Argv, " "))
			}
			if gen.MemoryMax != tu.MemoryMax || gen.KillMode != tu.KillMode || gen.TimeoutStopSec != tu.TimeoutStopSec || gen.Slice != tu.Slice {
				t.Errorf("%s: service settings differ", g.Pod)
			}
		}
	}
}

func TestWrite(t *testing.T) {
	res := Generate(testDirs, units.DefaultHost)
	dir := t.TempDir()
	if err := Write(res, dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"podunit-web.service", "multi-user.target.wants/podunit-web.service", "multi-user.target.wants/podunit-replaced.service", "podunit-worker.service"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	// wanted-by "" leaves the pod disabled.
	if _, err := os.Lstat(filepath.Join(dir, "multi-user.target.wants/podunit-worker.service")); err == nil {
		t.Error("podunit-worker.service enabled despite podunit.io/wanted-by: \"\"")
	}
}

func TestMissingDirs(t *testing.T) {
	res := Generate([]string{filepath.Join(t.TempDir(), "none")}, units.DefaultHost)
	if len(res.Units) != 0 || len(res.Errors) != 0 {
		t.Fatalf("missing directory: %+v", res)
	}
}
