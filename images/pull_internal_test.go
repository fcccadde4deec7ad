package images

import "testing"

// TestSameRegistryHost: --tls-verify=false reaches the lookaside client
// only for a lookaside URL on the registry's own host[:port].
func TestSameRegistryHost(t *testing.T) {
	for _, tc := range []struct {
		lookaside, registry string
		want                bool
	}{
		{"https://reg.example:5000/sigstore", "reg.example:5000", true},
		{"https://REG.Example:5000/sigstore", "reg.example:5000", true},
		{"http://reg.example:5000/sigstore", "reg.example:5000", true},
		{"https://reg.example/sigstore", "reg.example", true},
		{"https://reg.example:443/sigstore", "reg.example", true},
		{"https://reg.example/sigstore", "reg.example:443", true},
		{"https://127.0.0.1:5000/s", "127.0.0.1:5000", true},
		{"https://[::1]:5000/s", "[::1]:5000", true},
		// Another port is another server.
		{"https://reg.example/sigstore", "reg.example:5000", false},
		{"https://reg.example:5000/sigstore", "reg.example", false},
		{"https://127.0.0.1:5001/s", "127.0.0.1:5000", false},
		// Another host, however it resembles the registry's.
		{"https://sigs.example/reg.example", "reg.example", false},
		{"https://reg.example.evil.example/sigstore", "reg.example", false},
		{"https://evil.example/reg.example:5000", "reg.example:5000", false},
		{"https://reg.example@evil.example/sigstore", "reg.example", false},
		{"https://sub.reg.example/sigstore", "reg.example", false},
		// No host at all.
		{defaultLookaside, "reg.example", false},
		{"file:///var/lib/containers/sigstore", "", false},
		{"reg.example/sigstore", "reg.example", false},
		{"https://reg.example:5000:x/%zz", "reg.example:5000", false},
	} {
		if got := sameRegistryHost(tc.lookaside, tc.registry); got != tc.want {
			t.Errorf("sameRegistryHost(%q, %q) = %v, want %v", tc.lookaside, tc.registry, got, tc.want)
		}
	}
}
