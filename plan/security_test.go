package plan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/podunit/podunit/caps"
	"github.com/podunit/podunit/images"
	"github.com/podunit/podunit/pod"
	"github.com/podunit/podunit/selinux"
	"github.com/podunit/podunit/units"
)

const securePod = `apiVersion: v1
kind: Pod
metadata: {name: s}
spec:
  securityContext:
    runAsUser: 1000
    supplementalGroups: [4000]
    fsGroup: 2000
    seLinuxOptions: {level: "s0:c1,c2"}
  containers:
  - name: a
    image: img
    securityContext:
      runAsGroup: 3000
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {add: [NET_ADMIN], drop: [ALL]}
      seLinuxOptions: {type: spc_t}
  - name: b
    image: img
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: p.json}
  - name: c
    image: img
    securityContext: {privileged: true}
`

// TestSecurity: a securityContext becomes what podinit enforces, and the
// SELinux labels (from a fake enabled host) reach the plan.
func TestSecurity(t *testing.T) {
	pods, err := pod.Decode("s.yaml", strings.NewReader(securePod))
	if err != nil {
		t.Fatal(err)
	}
	h := units.DefaultHost
	h.StateDir = t.TempDir()
	os.MkdirAll(filepath.Join(h.StateDir, "seccomp"), 0o755)
	os.WriteFile(filepath.Join(h.StateDir, "seccomp", "p.json"), []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o644)
	l := selinux.Make("s0:c7,c9", selinux.Options(*pods[0].Spec.SecurityContext.SELinuxOptions))
	iso := units.Isolation{UIDBase: 0x20010000, Labels: &l}
	img := &Image{Layers: []string{h.ImagesDir() + "/l"}, Config: images.Config{Cmd: []string{"sh"}}}
	pl, err := Compile(pods[0], h, iso, map[string]*Image{"img": img}, Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	a := pl.Containers[0].Security
	if *a.RunAsUser != 1000 || *a.RunAsGroup != 3000 || !a.RunAsNonRoot || !a.NoNewPrivs || !a.ReadOnlyRoot {
		t.Errorf("identity and flags: %+v", a)
	}
	if !slices.Equal(a.SupplementalGroups, []uint32{4000, 2000}) {
		t.Errorf("groups %v", a.SupplementalGroups)
	}
	if caps.Set(a.Capabilities) != caps.MustParse("NET_ADMIN") {
		t.Errorf("capabilities %v", caps.Set(a.Capabilities).Names())
	}
	if a.SeccompProfile != "RuntimeDefault" || len(a.Seccomp) == 0 || len(a.MaskedPaths) == 0 {
		t.Errorf("seccomp %q (%d bytes), masked %v", a.SeccompProfile, len(a.Seccomp), a.MaskedPaths)
	}
	if a.ProcessLabel != "system_u:system_r:spc_t:s0:c1,c2" || a.MountLabel != "system_u:object_r:container_file_t:s0:c1,c2" || a.UIDBase != 0x20010000 {
		t.Errorf("labels %q %q, uid base %#x", a.ProcessLabel, a.MountLabel, a.UIDBase)
	}
	if b := pl.Containers[1].Security; b.SeccompProfile != "Localhost/p.json" || len(b.Seccomp) == 0 || caps.Set(b.Capabilities) != caps.Default {
		t.Errorf("container b: %q %v", b.SeccompProfile, caps.Set(b.Capabilities).Names())
	}
	if c := pl.Containers[2].Security; c.SeccompProfile != "Unconfined" || c.Seccomp != nil || c.MaskedPaths != nil || caps.Set(c.Capabilities) != caps.All {
		t.Errorf("privileged: %+v", c)
	}
}

func TestRunAsNonRootImage(t *testing.T) {
	for user, ok := range map[string]bool{"": false, "root": false, "0:0": false, "app": false, "1000": true, "1000:1000": true} {
		err := checkNonRoot(nil, user)
		if (err == nil) != ok {
			t.Errorf("image user %q: %v", user, err)
		}
	}
	uid := int64(5)
	if err := checkNonRoot(&uid, ""); err != nil {
		t.Errorf("runAsUser set: %v", err)
	}
}

func TestRelabels(t *testing.T) {
	mk := func(ann, path string) *pod.Pod {
		return &pod.Pod{
			Metadata: pod.ObjectMeta{Name: "r", Annotations: map[string]string{AnnotationRelabel: ann}},
			Spec: pod.PodSpec{Volumes: []pod.Volume{
				{Name: "h", HostPath: &pod.HostPathVolumeSource{Path: path}},
				{Name: "e", EmptyDir: &pod.EmptyDirVolumeSource{}},
			}},
		}
	}
	got, err := Relabels(mk("h=z", "/srv/data"), "/var/lib/podunit")
	if err != nil || !got["/srv/data"] {
		t.Fatalf("%v %v", got, err)
	}
	for ann, path := range map[string]string{"h=Z": "/etc", "h=z ": "/usr", "e=Z": "/srv/x", "h=q": "/srv/x", "h=Z,": "/var/lib/podunit/images"} {
		if _, err := Relabels(mk(ann, path), "/var/lib/podunit"); err == nil {
			t.Errorf("%s on %s accepted", ann, path)
		}
	}
	if got, _ := Relabels(&pod.Pod{}, "/var/lib/podunit"); got != nil {
		t.Errorf("no annotation: %v", got)
	}
}
