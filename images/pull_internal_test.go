package images

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

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

// TestRegistryOnlyRedirect: the registry's own host is reached without
// certificate checks, and a redirect from it to another host is checked.
func TestRegistryOnlyRedirect(t *testing.T) {
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "elsewhere")
	}))
	defer other.Close()
	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/sig", http.StatusFound)
			return
		}
		io.WriteString(w, "here")
	}))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "https://")
	client := &http.Client{Transport: registryOnly{registry: host, insecure: insecureTransport(true), secure: insecureTransport(false)}}

	resp, err := client.Get(reg.URL + "/sig")
	if err != nil {
		t.Fatalf("the registry's own host with --tls-verify=false: %v", err)
	}
	resp.Body.Close()
	_, err = client.Get(reg.URL + "/away")
	var cert *tls.CertificateVerificationError
	if !errors.As(err, &cert) {
		t.Fatalf("redirect to another host: %v, want a certificate error", err)
	}
}
