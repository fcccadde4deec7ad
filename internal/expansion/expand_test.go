package expansion

import (
	"strings"
	"testing"
)

func lookupIn(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	vars := lookupIn(map[string]string{"A": "a", "B": "b", "EMPTY": "", "REF": "$(A)"})
	for _, tc := range []struct {
		in, want     string
		unterminated bool
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "$(A)", want: "a"},
		{in: "$(A)-$(A)", want: "a-a"},
		{in: "__$(B)__", want: "__b__"},
		{in: "$(A)_$(B)", want: "a_b"},
		{in: "x$(EMPTY)y", want: "xy"},
		// A value is not expanded again.
		{in: "$(REF)", want: "$(A)"},
		// Unknown references stay as written.
		{in: "$(NOPE)", want: "$(NOPE)"},
		{in: "$()", want: "$()"},
		// $$ escapes.
		{in: "$$(A)", want: "$(A)"},
		{in: "$$(A)_$(B)", want: "$(A)_b"},
		{in: "$$$(A)", want: "$a"},
		{in: "$$$$(NOPE)", want: "$$(NOPE)"},
		{in: "$$$$$$(A)", want: "$$$(A)"},
		{in: "$$$$$$$(A)", want: "$$$a"},
		{in: "$$$$$$$(NOPE)", want: "$$$$(NOPE)"},
		{in: "p-$$A", want: "p-$A"},
		// No other syntax.
		{in: "$A", want: "$A"},
		{in: "${A}", want: "${A}"},
		{in: "$A)", want: "$A)"},
		{in: `\$(A)`, want: `\a`},
		{in: "$?_$!", want: "$?_$!"},
		{in: "a$", want: "a$"},
		{in: "$", want: "$"},
		{in: "$é$(A)", want: "$éa"},
		// The name runs to the first ")".
		{in: "$(A$(B))", want: "$(A$(B))"},
		{in: "$(foo$$x)", want: "$(foo$$x)"},
		// Unterminated: only the "$(" is taken, later references expand.
		{in: "$(A", want: "$(A", unterminated: true},
		{in: "x$(", want: "x$(", unterminated: true},
		{in: "$(B)___$(A", want: "b___$(A", unterminated: true},
		{in: "--$($($(--", want: "--$($($(--", unterminated: true},
		{in: "$$(A", want: "$(A"},
	} {
		if got := Expand(tc.in, vars); got != tc.want {
			t.Errorf("Expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Unterminated(tc.in); got != tc.unterminated {
			t.Errorf("Unterminated(%q) = %v, want %v", tc.in, got, tc.unterminated)
		}
	}
}

// TestDependentEnv is the Kubernetes documentation's example "Define
// dependent environment variables": each value sees the ones before it.
func TestDependentEnv(t *testing.T) {
	env := [][2]string{
		{"SERVICE_PORT", "80"},
		{"SERVICE_IP", "172.17.0.1"},
		{"UNCHANGED_REFERENCE", "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"},
		{"PROTOCOL", "https"},
		{"SERVICE_ADDRESS", "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"},
		{"ESCAPED_REFERENCE", "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"},
	}
	seen := map[string]string{}
	for _, kv := range env {
		seen[kv[0]] = Expand(kv[1], lookupIn(seen))
	}
	for name, want := range map[string]string{
		"UNCHANGED_REFERENCE": "$(PROTOCOL)://172.17.0.1:80",
		"SERVICE_ADDRESS":     "https://172.17.0.1:80",
		"ESCAPED_REFERENCE":   "$(PROTOCOL)://172.17.0.1:80",
	} {
		if seen[name] != want {
			t.Errorf("%s = %q, want %q", name, seen[name], want)
		}
	}
}

// FuzzExpand checks properties that hold for any input: doubling every $
// makes a string literal; a lookup that gives every reference back as
// written is the same as knowing nothing; a string without $ never changes;
// an unterminated $( survives.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$(A)", "$$(A)", "$(A", "x$$$(B)y", "$", "$é(", "--$($(", "$($$)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		all := func(name string) (string, bool) { return "<" + name + ">", true }
		if got := Expand(strings.ReplaceAll(s, "$", "$$"), all); got != s {
			t.Fatalf("Expand of %q escaped = %q", s, got)
		}
		none := func(string) (string, bool) { return "", false }
		same := func(name string) (string, bool) { return "$(" + name + ")", true }
		if a, b := Expand(s, none), Expand(s, same); a != b {
			t.Fatalf("Expand(%q): nothing known gives %q, references as written give %q", s, a, b)
		}
		got := Expand(s, all)
		if !strings.Contains(s, "$") && got != s {
			t.Fatalf("Expand(%q) = %q changed a string without $", s, got)
		}
		if Unterminated(s) && !strings.Contains(got, "$(") {
			t.Fatalf("Expand(%q) = %q lost an unterminated $(", s, got)
		}
	})
}
