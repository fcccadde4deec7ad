package enter

import (
	"reflect"
	"testing"
)

func TestParseStatus(t *testing.T) {
	st, err := parseStatus("Name:\tsh\nPPid:\t12\nNSpid:\t4242\t7\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\n")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.NSpid, []int{4242, 7}) || st.PPid != 12 {
		t.Fatalf("%+v", st)
	}
	if _, err := parseStatus("NSpid:\tzz\n"); err == nil {
		t.Fatal("bad NSpid accepted")
	}
}

func TestCgroupFiles(t *testing.T) {
	text := "9:name=systemd:/machine.slice/podunit-web.service/payload\n4:cpu,cpuacct:/\n0::/machine.slice/podunit-web.service/payload\n"
	got := cgroupFiles(text, "/sys/fs/cgroup", false)
	want := []string{
		"/sys/fs/cgroup/systemd/machine.slice/podunit-web.service/payload/cgroup.procs",
		"/sys/fs/cgroup/cpu,cpuacct/cgroup.procs",
		"/sys/fs/cgroup/unified/machine.slice/podunit-web.service/payload/cgroup.procs",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hybrid:\n%v\nwant\n%v", got, want)
	}
	if got := cgroupFiles("0::/a/b\n", "/sys/fs/cgroup", true); !reflect.DeepEqual(got, []string{"/sys/fs/cgroup/a/b/cgroup.procs"}) {
		t.Fatalf("unified: %v", got)
	}
}
