package jwks

import (
	"slices"
	"strings"
	"testing"
)

func TestKeysCheckNamesEveryProblemByKey(t *testing.T) {
	errs := Keys{JWKSURI: "ftp://x", JWKS: "{", Algorithms: []string{"RS256", "HS256", "none"}}.Check(false)
	var text []string
	for _, err := range errs {
		text = append(text, err.Error())
	}
	all := strings.Join(text, "\n")
	for _, key := range []string{"algorithms[1]:", "algorithms[2]:", "jwks_uri:", "jwks:"} {
		if !strings.Contains(all, key) {
			t.Errorf("Check lacks %q:\n%s", key, all)
		}
	}
	if strings.Contains(all, "algorithms[0]") {
		t.Errorf("RS256 refused:\n%s", all)
	}
	if errs := (Keys{JWKSURI: "http://op.internal/keys"}).Check(true); len(errs) != 0 {
		t.Errorf("allow_insecure_http: %v", errs)
	}
	if errs := (Keys{JWKSURI: "http://op.internal/keys"}).Check(false); len(errs) != 1 {
		t.Errorf("plain http off loopback: %v, want one jwks_uri error", errs)
	}
}

func TestNoneAndHMACAreNeverSupportedAlgorithms(t *testing.T) {
	for _, a := range SupportedAlgorithms {
		if strings.EqualFold(a, "none") || strings.HasPrefix(a, "HS") {
			t.Errorf("%s is supported", a)
		}
	}
	for _, a := range DefaultAlgorithms {
		if !slices.Contains(SupportedAlgorithms, a) {
			t.Errorf("default %s is not supported", a)
		}
	}
}

func TestAlgorithmListDefaultsAndIsACopy(t *testing.T) {
	if got := (Keys{}).AlgorithmList(); !slices.Equal(got, []string{"RS256", "ES256"}) {
		t.Errorf("default = %v", got)
	}
	k := Keys{Algorithms: []string{"EdDSA"}}
	got := k.AlgorithmList()
	got[0] = "none"
	if k.Algorithms[0] != "EdDSA" {
		t.Error("AlgorithmList shares the configured slice")
	}
	d := (Keys{}).AlgorithmList()
	d[0] = "none"
	if DefaultAlgorithms[0] != "RS256" {
		t.Error("AlgorithmList shares the defaults")
	}
}
