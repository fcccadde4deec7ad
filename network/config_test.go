package network

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultConflist(t *testing.T) {
	var list struct {
		CNIVersion string `json:"cniVersion"`
		Name       string `json:"name"`
		Plugins    []struct {
			Type         string          `json:"type"`
			Bridge       string          `json:"bridge"`
			IPMasq       bool            `json:"ipMasq"`
			Capabilities map[string]bool `json:"capabilities"`
			IPAM         struct {
				Type   string                `json:"type"`
				Ranges [][]map[string]string `json:"ranges"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(DefaultConflist(), &list); err != nil {
		t.Fatal(err)
	}
	if list.Name != DefaultName || list.CNIVersion != "1.0.0" || len(list.Plugins) != 3 {
		t.Fatalf("conflist: %+v", list)
	}
	br := list.Plugins[0]
	if br.Type != "bridge" || br.Bridge != DefaultBridge || !br.IPMasq || br.IPAM.Type != "host-local" ||
		br.IPAM.Ranges[0][0]["subnet"] != DefaultSubnet {
		t.Errorf("bridge plugin: %+v", br)
	}
	if pm := list.Plugins[1]; pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
		t.Errorf("portmap plugin: %+v", pm)
	}
}

func TestNetworks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("10-custom.conflist", `{"cniVersion":"1.0.0","name":"custom","plugins":[{"type":"ptp","ipam":{"type":"host-local","subnet":"10.1.0.0/24"}}]}`)
	write("20-broken.conflist", `{"cniVersion":`)
	write("30-dup.conflist", `{"cniVersion":"1.0.0","name":"custom","plugins":[{"type":"bridge"}]}`)
	write("ignored.txt", `not a conflist`)
	c := Config{ConfDir: dir}
	nets, err := c.Networks()
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 4 {
		t.Fatalf("want 3 files and the default, got %d: %+v", len(nets), nets)
	}
	if nets[0].Name != "custom" || nets[0].Err != "" || strings.Join(nets[0].Plugins, ",") != "ptp" {
		t.Errorf("custom: %+v", nets[0])
	}
	if nets[1].Err == "" || nets[2].Err == "" {
		t.Errorf("broken and duplicate files must carry an error: %+v %+v", nets[1], nets[2])
	}
	if nets[3].Name != DefaultName || nets[3].File != "" {
		t.Errorf("default: %+v", nets[3])
	}
	if n, err := c.Find("custom"); err != nil || n.File != filepath.Join(dir, "10-custom.conflist") {
		t.Errorf("Find custom: %v %+v", err, n)
	}
	if _, err := c.Find("nope"); err == nil || !strings.Contains(err.Error(), "20-broken.conflist") {
		t.Errorf("Find of a missing network must name the unusable files: %v", err)
	}

	// A conflist named like the default replaces it.
	write("05-podunit.conflist", `{"cniVersion":"1.0.0","name":"podunit","plugins":[{"type":"bridge","bridge":"mine0"}]}`)
	n, err := c.Find(DefaultName)
	if err != nil || n.File == "" {
		t.Fatalf("own default: %v %+v", err, n)
	}
}

func TestPodOf(t *testing.T) {
	if PodOf(ContainerID("web")) != "web" || PodOf("abc123") != "" || PodOf("podunit-") != "" {
		t.Fatal("PodOf does not invert ContainerID")
	}
}
