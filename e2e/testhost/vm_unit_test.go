package testhost

import (
	"strings"
	"testing"
)

func TestVMRecipeHash(t *testing.T) {
	r := DefaultVMRecipe
	r.Packages = append(append([]string{}, r.Packages...), "extra")
	if r.Hash() == DefaultVMRecipe.Hash() {
		t.Fatal("adding a VM package did not change the VM hash")
	}
	if r.Base.Hash() != DefaultRecipe.Hash() {
		t.Fatal("a VM recipe change changed the container host's key")
	}
	r = DefaultVMRecipe
	r.Base.Revision++
	if r.Hash() == DefaultVMRecipe.Hash() {
		t.Fatal("a new base rootfs did not change the VM hash")
	}
}

func TestVMCommandLine(t *testing.T) {
	for mode, want := range map[SELinuxMode]string{
		"":                "enforcing=1",
		SELinuxEnforcing:  "enforcing=1",
		SELinuxPermissive: "enforcing=0",
		SELinuxDisabled:   "selinux=0",
	} {
		v := &VM{selinux: mode}
		if mode == "" {
			v.selinux = SELinuxEnforcing
		}
		line := v.cmdline()
		if !strings.Contains(line, want) || !strings.Contains(line, "systemd.unified_cgroup_hierarchy=1") {
			t.Errorf("%q: cmdline %q lacks %s or cgroup v2", mode, line, want)
		}
	}
	v := &VM{dir: "/d", sock: "/d/agent.sock", scratch: "/d/scratch", share: "/d/share", img: VMImage{Disk: "/c/disk.img"}}
	args := strings.Join(v.qemuArgs(), " ")
	// The cached disk is only read, and the guest gets no network.
	for _, want := range []string{"file=/c/disk.img,format=raw,if=virtio,snapshot=on", "-nic none", "accel=tcg", "path=/d/agent.sock,server=on"} {
		if !strings.Contains(args, want) {
			t.Errorf("qemu args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "-netdev") {
		t.Errorf("qemu args give the guest a network: %s", args)
	}
}
