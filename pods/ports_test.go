package pods

import (
	"strings"
	"testing"

	"github.com/podunit/podunit/pod"
)

func TestPortConflict(t *testing.T) {
	others := map[string][]pod.ContainerPort{
		"a": {{ContainerPort: 80, HostPort: 8080}},
		"b": {{ContainerPort: 53, HostPort: 5353, Protocol: "UDP", HostIP: "127.0.0.1"}},
	}
	tests := []struct {
		want     pod.ContainerPort
		conflict string
	}{
		{pod.ContainerPort{HostPort: 8080, Protocol: "TCP"}, `pod "a"`},
		{pod.ContainerPort{HostPort: 8080, HostIP: "10.0.0.1"}, `pod "a"`}, // a listens everywhere
		{pod.ContainerPort{HostPort: 8080, Protocol: "UDP"}, ""},
		{pod.ContainerPort{HostPort: 5353, Protocol: "UDP"}, `pod "b"`},
		{pod.ContainerPort{HostPort: 5353, Protocol: "UDP", HostIP: "127.0.0.2"}, ""},
		{pod.ContainerPort{HostPort: 5353, Protocol: "UDP", HostIP: "0.0.0.0"}, `pod "b"`},
		{pod.ContainerPort{HostPort: 9090}, ""},
	}
	for _, tc := range tests {
		err := portConflict([]pod.ContainerPort{tc.want}, others)
		switch {
		case tc.conflict == "" && err != nil:
			t.Errorf("%+v: unexpected %v", tc.want, err)
		case tc.conflict != "" && (err == nil || !strings.Contains(err.Error(), tc.conflict)):
			t.Errorf("%+v: want conflict with %s, got %v", tc.want, tc.conflict, err)
		}
	}
}
