package bridge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discoveryServer is a Server with no state: the metadata document does
// not depend on it.
func discoveryServer(t *testing.T, d Discovery) *Server {
	t.Helper()
	return NewServer(nil, Options{PublicURL: "https://regbridge.example/", Discovery: d})
}

func TestDiscoveryDocumentNamesTheTokenEndpointAndTheConfiguredServices(t *testing.T) {
	d := Discovery{Services: []DiscoveryService{{
		Service: "registry.test",
		Issuers: []DiscoveryIssuer{{Issuer: "https://token.actions.githubusercontent.com", Audiences: []string{"registry.test"}}},
		DeviceFlow: &DeviceFlowClient{Issuer: "https://idp.example/", ClientID: "regbridge-cli",
			Scopes: []string{"openid", "offline_access"}},
	}}}
	srv := discoveryServer(t, d)
	w := httptestGet(srv, DiscoveryPath)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", DiscoveryPath, w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got struct {
		TokenEndpoint string             `json:"token_endpoint"`
		Services      []DiscoveryService `json:"services"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.TokenEndpoint != "https://regbridge.example/token" {
		t.Errorf("token_endpoint = %q, want https://regbridge.example/token", got.TokenEndpoint)
	}
	if len(got.Services) != 1 || got.Services[0].DeviceFlow == nil || got.Services[0].DeviceFlow.ClientID != "regbridge-cli" ||
		got.Services[0].Issuers[0].Audiences[0] != "registry.test" {
		t.Errorf("services = %+v", got.Services)
	}
}

func TestDiscoveryIsNotServedWhenNothingIsConfigured(t *testing.T) {
	srv := discoveryServer(t, Discovery{})
	if w := httptestGet(srv, DiscoveryPath); w.Code != http.StatusNotFound {
		t.Errorf("GET %s without discovery: %d, want 404", DiscoveryPath, w.Code)
	}
}

func TestDiscoveryAnswersOnlyGetAndHead(t *testing.T) {
	srv := discoveryServer(t, Discovery{Services: []DiscoveryService{{Service: "registry.test",
		DeviceFlow: &DeviceFlowClient{Issuer: "https://idp.example", ClientID: "c", Scopes: []string{"openid"}}}}})
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, DiscoveryPath, nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", w.Code)
	}
}

func TestDiscoveryValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		d    Discovery
		want []string
	}{
		{"an unknown service", Discovery{Services: []DiscoveryService{{Service: "other", DeviceFlow: &DeviceFlowClient{Issuer: "https://i", ClientID: "c", Scopes: []string{"openid"}}}}},
			[]string{`"other" is not a configured service`}},
		{"an http issuer off loopback", Discovery{Services: []DiscoveryService{{Service: "registry.test", Issuers: []DiscoveryIssuer{{Issuer: "http://idp.example", Audiences: []string{"a"}}}}}},
			[]string{"issuers[0].issuer", "https"}},
		{"an issuer without audiences", Discovery{Services: []DiscoveryService{{Service: "registry.test", Issuers: []DiscoveryIssuer{{Issuer: "https://idp.example"}}}}},
			[]string{"issuers[0].audiences"}},
		{"a device flow without openid and client_id", Discovery{Services: []DiscoveryService{{Service: "registry.test", DeviceFlow: &DeviceFlowClient{Issuer: "https://idp.example", Scopes: []string{"email"}}}}},
			[]string{"client_id: required", "must include openid"}},
		{"a service with nothing to publish", Discovery{Services: []DiscoveryService{{Service: "registry.test"}}},
			[]string{"name issuers, a device_flow, or both"}},
		{"a service listed twice", Discovery{Services: []DiscoveryService{
			{Service: "registry.test", DeviceFlow: &DeviceFlowClient{Issuer: "http://127.0.0.1:9/", ClientID: "c", Scopes: []string{"openid"}}},
			{Service: "registry.test", DeviceFlow: &DeviceFlowClient{Issuer: "http://127.0.0.1:9/", ClientID: "c", Scopes: []string{"openid"}}}}},
			[]string{"listed twice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.Validate([]string{"registry.test"})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	ok := Discovery{Services: []DiscoveryService{{Service: "registry.test",
		DeviceFlow: &DeviceFlowClient{Issuer: "http://127.0.0.1:9998/", ClientID: "regbridge-cli", Scopes: []string{"openid", "offline_access"}}}}}
	if err := ok.Validate([]string{"registry.test"}); err != nil {
		t.Errorf("a loopback device flow issuer: %v", err)
	}
}
