package main

import (
	"strings"
	"testing"
)

const discoveryConfigBase = `services:
  - {name: registry.example.com, issuer: regbridge}
keys:
  - {private_key: key.pem}
policy: policy.yaml
`

func TestDiscoveryConfigIsDecodedStrictlyAndChecked(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "" = accepted
	}{
		{"a device flow for a configured service", "public_url: https://regbridge.example\n" + discoveryConfigBase + `discovery:
  services:
    - service: registry.example.com
      device_flow: {issuer: "https://idp.example/", client_id: regbridge-cli, scopes: [openid, offline_access]}
`, ""},
		{"an unknown key", "public_url: https://regbridge.example\n" + discoveryConfigBase + `discovery:
  services:
    - service: registry.example.com
      device_flow: {issuer: "https://idp.example/", clientid: regbridge-cli, scopes: [openid]}
`, "unknown key"},
		{"no public_url", discoveryConfigBase + `discovery:
  services:
    - service: registry.example.com
      issuers: [{issuer: "https://token.actions.githubusercontent.com", audiences: [registry.example.com]}]
`, "discovery needs public_url"},
		{"an unknown service", "public_url: https://regbridge.example\n" + discoveryConfigBase + `discovery:
  services:
    - service: other.example.com
      issuers: [{issuer: "https://token.actions.githubusercontent.com", audiences: [other]}]
`, `regbridge.yaml:7: discovery.services[0].service: "other.example.com" is not a configured service`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tc.src), "regbridge.yaml", nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Discovery.Services[0].DeviceFlow.ClientID; got != "regbridge-cli" {
					t.Errorf("client_id = %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
