package units_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/podunit/podunit/internal/golden"
	"github.com/podunit/podunit/objects"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/units"
)

// TestGolden compiles every example pod and compares both renderings of
// the one unit model, the unit file and the D-Bus properties, and the
// exported unit files, with their golden files in testdata/<stage>/.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example pods: %v", err)
	}
	for _, f := range files {
		pods, _, err := pod.DecodeAll([]string{f}, nil, objects.Kinds)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods {
			t.Run(p.Metadata.Name, func(t *testing.T) {
				st, err := units.DefaultHost.Stage(p)
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join("testdata", st.Name())
				u, err := units.Compile(p, units.DefaultHost)
				if err != nil {
					t.Fatal(err)
				}
				text, err := u.File()
				if err != nil {
					t.Fatal(err)
				}
				golden.Check(t, filepath.Join(dir, p.Metadata.Name+".service"), text)
				golden.Check(t, filepath.Join(dir, p.Metadata.Name+".properties"), dumpProperties(u))
				for _, o := range []units.FileOptions{{}, {Template: true}} {
					f, err := units.CompileFile(p, units.DefaultHost, o)
					if err != nil {
						t.Fatal(err)
					}
					text, err := f.File()
					if err != nil {
						t.Fatal(err)
					}
					golden.Check(t, filepath.Join(dir, "export", f.Name), text)
				}
			})
		}
	}
}

func dumpProperties(u *units.Unit) string {
	var lines []string
	for _, p := range u.Properties() {
		v := p.Value.String()
		if p.Value.Signature().String() == "a(say)" {
			// Credentials as text: their bytes are the spec's JSON.
			var parts []string
			rv := reflect.ValueOf(p.Value.Value())
			for i := range rv.Len() {
				parts = append(parts, fmt.Sprintf("(%q, %q)", rv.Index(i).Field(0).String(), rv.Index(i).Field(1).Bytes()))
			}
			v = "[" + strings.Join(parts, ", ") + "]"
		}
		lines = append(lines, fmt.Sprintf("%s %s = %s", p.Name, p.Value.Signature(), v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
