package main

import (
	"strings"
	"testing"
)

func TestAnUnknownRegbridgeVariableIsAnErrorNamingTheNearestKey(t *testing.T) {
	src := `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
providers:
  - {id: the-users, type: static, htpasswd: a}
`
	cases := []struct{ name, want string }{
		{"REGBRIDGE_CAHCE_TTL", "REGBRIDGE_CACHE_TTL"},
		{"REGBRIDGE_LISTNE", "REGBRIDGE_LISTEN"},
		{"REGBRIDGE_SERVICES_0_ISUER", "REGBRIDGE_SERVICES_0_ISSUER"},
		{"REGBRIDGE_PROVIDERS_THE_USER_HTPASSWD", "REGBRIDGE_PROVIDERS_THE_USERS_HTPASSWD"},
		{"REGBRIDGE_OBSERVABILITY_METRICS_LISTN", "REGBRIDGE_OBSERVABILITY_METRICS_LISTEN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig([]byte(src), "regbridge.yaml", map[string]string{tc.name: "2m"})
			if err == nil {
				t.Fatalf("%s was silently ignored", tc.name)
			}
			if !strings.Contains(err.Error(), tc.name+" is not a configuration key") || !strings.Contains(err.Error(), "did you mean "+tc.want+"?") {
				t.Errorf("err = %v, want one naming %s and suggesting %s", err, tc.name, tc.want)
			}
		})
	}
	for _, ok := range []string{"REGBRIDGE_CONFIG", "REGBRIDGE_E2E_TOOLS", "REGBRIDGE_CACHE_TTL"} {
		if _, err := parseConfig([]byte(src), "regbridge.yaml", map[string]string{ok: "2m"}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
