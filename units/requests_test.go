package units

import (
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
)

func TestCPUWeight(t *testing.T) {
	for _, tc := range []struct {
		milli int64
		want  uint64
	}{
		{0, 1},          // shares 2: BestEffort
		{1, 1},          // 1 share, raised to 2
		{100, 4},        // 102 shares
		{250, 10},       // 256 shares
		{1000, 39},      // 1024 shares
		{4000, 157},     // 4096 shares
		{128000, 5000},  // 131072 shares
		{256000, 10000}, // 262144 shares: the most
		{1000000, 10000},
	} {
		if got := CPUWeight(tc.milli); got != tc.want {
			t.Errorf("CPUWeight(%dm) = %d, want %d", tc.milli, got, tc.want)
		}
	}
}

func TestPodRequests(t *testing.T) {
	const manifest = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: i, image: x, resources: {requests: {cpu: "3", memory: 10Mi}}}
  containers:
  - {name: a, image: x, resources: {requests: {cpu: 500m, memory: 64Mi}}}
  - {name: b, image: x, resources: {limits: {cpu: "1", memory: 64Mi}}}
  - {name: c, image: x}
`
	pods, err := pod.Decode("p.yaml", strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	u, err := Compile(pods[0], DefaultHost)
	if err != nil {
		t.Fatal(err)
	}
	// CPU: the init container's 3 cores beat 0.5+1 (b requests its
	// limit); memory: 64Mi+64Mi beat the init container's 10Mi.
	if u.CPUWeight != CPUWeight(3000) || u.MemoryLow != 128<<20 {
		t.Errorf("CPUWeight=%d MemoryLow=%d", u.CPUWeight, u.MemoryLow)
	}
}
