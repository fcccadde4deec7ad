package images

import (
	"slices"
	"testing"
)

func TestConfigResolve(t *testing.T) {
	c := Config{Entrypoint: []string{"/entry", "-e"}, Cmd: []string{"cmd", "-c"}}
	noEntry := Config{Cmd: []string{"sh"}}
	for _, tc := range []struct {
		name          string
		cfg           Config
		command, args []string
		want          []string
	}{
		{"neither", c, nil, nil, []string{"/entry", "-e", "cmd", "-c"}},
		{"command only", c, []string{"/bin/x"}, nil, []string{"/bin/x"}},
		{"command and args", c, []string{"/bin/x"}, []string{"a", "b"}, []string{"/bin/x", "a", "b"}},
		{"args only", c, nil, []string{"a"}, []string{"/entry", "-e", "a"}},
		{"empty slices are unset", c, []string{}, []string{}, []string{"/entry", "-e", "cmd", "-c"}},
		{"no entrypoint", noEntry, nil, nil, []string{"sh"}},
		{"no entrypoint, args", noEntry, nil, []string{"echo", "hi"}, []string{"echo", "hi"}},
		{"empty image", Config{}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.Resolve(tc.command, tc.args)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Resolve(%q, %q) = %q, want %q", tc.command, tc.args, got, tc.want)
			}
		})
	}
	// The result must not alias the image config.
	got := c.Resolve(nil, nil)
	got[0] = "changed"
	if c.Entrypoint[0] != "/entry" {
		t.Error("Resolve aliases Entrypoint")
	}
}
