package objects

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeManifests checks that no stream of pods and objects panics
// the decoder, and that every object it accepts survives the store's
// encoding: stored, read back and compared, it is the same object (what
// apply's unchanged relies on).
func FuzzDecodeManifests(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\nbinaryData: {c: AAE=}\n"))
	f.Add([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: {tls.crt: a, tls.key: b}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, objs, err := decode(t, string(data))
		if err != nil {
			if objs != nil {
				t.Fatalf("objects returned with error %v", err)
			}
			return
		}
		for _, o := range objs {
			b, err := json.Marshal(normalize(o))
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			back := Kinds[o.Kind()]().(Object)
			if err := json.Unmarshal(b, back); err != nil {
				t.Fatalf("decode stored form: %v\n%s", err, b)
			}
			if canonical(back) != canonical(normalize(o)) {
				t.Fatalf("stored form changed:\n%s\n%s", canonical(back), canonical(normalize(o)))
			}
			if !bytes.Equal(mustJSON(t, back.Values()), mustJSON(t, o.Values())) {
				t.Fatalf("values changed in the store")
			}
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
