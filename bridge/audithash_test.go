package bridge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge/signing"
	"github.com/regbridge/regbridge/providers"
)

// auditedLogin runs one refused login of "bench" with password pw on a
// fresh server keyed with key and returns the credential_hash it audited.
func auditedLogin(t *testing.T, key providers.Secret, pw string) string {
	t.Helper()
	pol, err := acl.Parse([]byte(benchPolicy(2)), "policy.yaml", acl.Options{Providers: map[string]providers.PolicyFacts{"users": {Type: "static", Claims: []string{"robot"}}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewState(StateConfig{
		Services:  []Service{{Name: "registry.bench", Issuer: "regbridge-bench"}},
		Keys:      []*signing.Key{testKey(t)},
		Providers: []*Registered{{ID: "users", Provider: staticProvider(t, "right-pw", "bench")}},
		Policy:    pol,
		Cache:     NewCredentialCache(CacheConfig{}.WithDefaults(), time.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	var audit bytes.Buffer
	srv := NewServer(st, Options{Observer: NewAuditLog(&audit), AuditKey: key})
	srv.ServeHTTP(httptest.NewRecorder(), benchRequest(benchQuery, "bench", pw))
	var l AuditLine
	if err := json.Unmarshal(audit.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	return l.CredentialHash
}

// unkeyed is every hash of the credential that needs no secret: the cache
// key material itself, as anyone who reads the code can compute it.
func unkeyed(user, pw string) []byte {
	h := sha256.Sum256([]byte("users\x00Basic\x00" + user + "\x00" + pw))
	return h[:]
}

func TestAnAuditedCredentialHashLetsNoOfflineGuessConfirmThePassword(t *testing.T) {
	const typo = "right-pw!" // a failed attempt: a typo of the real password
	got := auditedLogin(t, "", typo)
	raw, err := hex.DecodeString(got)
	if err != nil || len(raw) == 0 {
		t.Fatalf("credential_hash %q is not hex", got)
	}
	matches := 0
	guesses := 20_000
	for i := range guesses + 1 {
		guess := fmt.Sprintf("guess-%06d", i)
		if i == guesses/2 {
			guess = typo
		}
		if bytes.HasPrefix(unkeyed("bench", guess), raw) {
			matches++
		}
	}
	if matches != 0 {
		t.Errorf("%d of %d offline guesses reproduced the audited credential_hash %s without any key", matches, guesses+1, got)
	}
	if len(raw) < 8 {
		t.Errorf("credential_hash %q: want 16 hex digits, enough to keep distinct credentials apart", got)
	}
}

func TestTheAuditHashIsStableAcrossReplicasWithOneKeyAndRandomPerProcessWithout(t *testing.T) {
	key := providers.Secret(strings.Repeat("k", 32))
	a, b := auditedLogin(t, key, "wrong-1"), auditedLogin(t, key, "wrong-1")
	if a != b {
		t.Errorf("two replicas with one audit key wrote %s and %s for one credential", a, b)
	}
	if c := auditedLogin(t, key, "wrong-2"); c == a {
		t.Errorf("two credentials share the hash %s", c)
	}
	if x, y := auditedLogin(t, "", "wrong-1"), auditedLogin(t, "", "wrong-1"); x == y {
		t.Errorf("two processes without a configured key wrote the same hash %s: the key is not random", x)
	}
	if d := auditedLogin(t, providers.Secret(strings.Repeat("j", 32)), "wrong-1"); d == a {
		t.Error("another key gives the same hash")
	}
}
