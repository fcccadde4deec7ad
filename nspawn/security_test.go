package nspawn

import (
	"testing"

	"github.com/podunit/podunit/selinux"
)

func TestSELinuxArgs(t *testing.T) {
	l := selinux.Make("s0:c3,c4", selinux.Options{})
	if got := SELinuxArgs(&l); got != "--selinux-context=system_u:system_r:container_t:s0:c3,c4 --selinux-apifs-context=system_u:object_r:container_file_t:s0:c3,c4" {
		t.Errorf("SELinuxArgs: %s", got)
	}
	if SELinuxArgs(nil) != "" {
		t.Error("SELinuxArgs without labels")
	}
}
