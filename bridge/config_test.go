package bridge

import (
	"strings"
	"testing"
)

func TestARegistryURLIsHTTPSExceptOnLoopbackAndCarriesNoPath(t *testing.T) {
	cases := []struct {
		name, url, wantErr string
	}{
		{"empty means no catalog", "", ""},
		{"https host", "https://registry.example.com", ""},
		{"https host with trailing slash", "https://registry.example.com/", ""},
		{"http on loopback IP", "http://127.0.0.1:5000", ""},
		{"http on localhost", "http://localhost:5000", ""},
		{"http elsewhere is refused", "http://registry.example.com", "must use https"},
		{"credentials are refused", "https://u:p@registry.example.com", "credentials"},
		{"a path is refused", "https://registry.example.com/v2", "without a path"},
		{"a query is refused", "https://registry.example.com/?x=1", "query"},
		{"another scheme is refused", "ftp://registry.example.com", "must use https"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Service{Name: "r", Issuer: "i", RegistryURL: c.url}.WithDefaults()
			err := s.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "registry_url") || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Validate = %v, want a registry_url error containing %q", err, c.wantErr)
			}
		})
	}
}
