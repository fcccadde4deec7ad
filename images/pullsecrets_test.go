package images

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestSecretsKeychain(t *testing.T) {
	k, err := secretsKeychain([][]byte{
		[]byte(`{"auths": {"r1.example": {"auth": "YWxpY2U6czNjcmV0"}}}`),           // .dockerconfigjson: alice:s3cret
		[]byte(`{"https://r2.example/v1/": {"username": "bob", "password": "pw"}}`), // .dockercfg
	})
	if err != nil {
		t.Fatal(err)
	}
	for reg, want := range map[string]authn.AuthConfig{
		"r1.example": {Username: "alice", Password: "s3cret"},
		"r2.example": {Username: "bob", Password: "pw"},
		"r3.example": {},
	} {
		repo, err := name.NewRepository(reg + "/app")
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: %+v, want %+v", reg, got, want)
		}
	}
	if _, err := secretsKeychain([][]byte{[]byte("[")}); err == nil {
		t.Error("a malformed document is accepted")
	}
}
