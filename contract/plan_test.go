package contract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func validPlan() Plan {
	c := Container{Name: "web", Layers: []string{"/l"}, Upper: "/u", Work: "/w", Rootfs: "/r", Args: []string{"sh"}}
	return Plan{Pod: "p", RestartPolicy: RestartAlways, Containers: []Container{c}}
}

func TestValidate(t *testing.T) {
	p := validPlan()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Plan){
		"restartPolicy":    func(p *Plan) { p.RestartPolicy = "Sometimes" },
		"containers: none": func(p *Plan) { p.Containers = nil },
		"duplicate": func(p *Plan) {
			p.InitContainers = []Container{p.Containers[0]}
		},
		"reserved":          func(p *Plan) { p.Containers[0].Name = "pod" },
		"no command":        func(p *Plan) { p.Containers[0].Args = nil },
		"layers: none":      func(p *Plan) { p.Containers[0].Layers = nil },
		"not an absolute":   func(p *Plan) { p.Containers[0].Upper = "u" },
		"cannot name":       func(p *Plan) { p.Containers[0].Name = "a/b" },
		"gracePeriodSecond": func(p *Plan) { p.GracePeriodSeconds = -1 },
	} {
		p := validPlan()
		p.Containers = append([]Container(nil), p.Containers...)
		mutate(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestLoadPlanRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(path, []byte(`{"pod":"p","restartPolicy":"Always","containerz":[]}`), 0o644)
	if _, err := LoadPlan(path); err == nil || !strings.Contains(err.Error(), "containerz") {
		t.Errorf("got %v", err)
	}
}
