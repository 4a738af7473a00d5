package bridge

import (
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
)

func TestV3OnlyKeysAreRefusedForServicesThat28MustAccept(t *testing.T) {
	big, err := rsa.GenerateKey(newSeqReader(), 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := selfSigned(big)
	k, err := signing.NewKey(big, cert, jose.PS256)
	if err != nil {
		t.Fatal(err)
	}
	base := StateConfig{Keys: []*signing.Key{k}, Policy: acl.QuickStart(), Cache: NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now)}
	base.Services = []Service{{Name: "r", Issuer: "i"}}
	if _, err := NewState(base); err == nil || !strings.Contains(err.Error(), "distribution 2.8 refuses") {
		t.Errorf("PS256 for a 2.8 service: %v", err)
	}
	base.Services = []Service{{Name: "r", Issuer: "i", Registry: "v3"}}
	if _, err := NewState(base); err != nil {
		t.Errorf("PS256 for a v3 service: %v", err)
	}
}

func TestJWKSPublishesEveryKeyWithItsKid(t *testing.T) {
	e := newTestEnv(t, testPolicy)
	r := httptestGet(e.srv, "/.well-known/jwks.json")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != e.key.KeyID || !set.Keys[0].IsPublic() {
		t.Fatalf("jwks %s", r.Body)
	}
}
