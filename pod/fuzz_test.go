package pod

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecode checks that no input panics Decode, and that every pod it
// accepts survives Canonical → Decode with its hash unchanged: the
// property podunit relies on when it compares an applied pod's stored
// canonical form with a new manifest.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/web.yaml", "testdata/shared.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pods, err := Decode("fuzz.yaml", bytes.NewReader(data))
		if err != nil {
			if pods != nil {
				t.Fatalf("pods returned with error %v", err)
			}
			return
		}
		for _, p := range pods {
			c, err := p.Canonical()
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			h, err := p.Hash()
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			again, err := Decode("canonical.json", bytes.NewReader(c))
			if err != nil {
				t.Fatalf("canonical form does not decode: %v\n%s", err, c)
			}
			if len(again) != 1 {
				t.Fatalf("canonical form decodes to %d pods", len(again))
			}
			h2, err := again[0].Hash()
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if h != h2 {
				c2, _ := again[0].Canonical()
				t.Fatalf("hash changed on round trip:\n%s\n%s", c, c2)
			}
		}
	})
}
