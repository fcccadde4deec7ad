package podinit

import (
	"testing"
)

func TestIsPodinit(t *testing.T) {
	for args, want := range map[string]bool{
		"/podinit": true, "podinit-container": true, "/usr/bin/podunit": false, "": false,
	} {
		if got := IsPodinit([]string{args}); got != want {
			t.Errorf("IsPodinit(%q) = %v", args, got)
		}
	}
	if IsPodinit(nil) {
		t.Error("IsPodinit(nil)")
	}
}
