package bridge

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/regbridge/regbridge/providers/upstream"
)

// DiscoveryPath is where the metadata document is served. It is not
// /.well-known/oauth-authorization-server: regbridge is not the
// authorization server of the grants the document names (the device flow
// runs against the identity provider), and a generic RFC 8414 client must
// not mistake it for one. The document follows RFC 8414's style: one JSON
// object of snake_case members at a well-known path (RFC 8615), public and
// cacheable.
const DiscoveryPath = "/.well-known/regbridge-configuration"

// Discovery is the public metadata a credential helper reads to learn, from
// the registry host alone, which identities this bridge accepts for a
// service and which identity provider a person logs in with. It is copied
// from configuration; it MUST NOT hold anything secret.
type Discovery struct {
	Services []DiscoveryService `yaml:"services" json:"services"`
}

// DiscoveryService is the metadata of one registry service.
type DiscoveryService struct {
	// Service is a configured service name (the registry's
	// auth.token.service).
	Service string `yaml:"service" json:"service"`
	// Issuers are the token issuers accepted for the service, each with the
	// audiences a CI job requests for it.
	Issuers []DiscoveryIssuer `yaml:"issuers" json:"issuers,omitempty"`
	// DeviceFlow is the public client people log in with (RFC 8628).
	DeviceFlow *DeviceFlowClient `yaml:"device_flow" json:"device_flow,omitempty"`
}

// DiscoveryIssuer is one accepted token issuer.
type DiscoveryIssuer struct {
	Issuer    string   `yaml:"issuer" json:"issuer"`
	Audiences []string `yaml:"audiences" json:"audiences"`
}

// DeviceFlowClient names a public OAuth client registered at an OpenID
// Provider for the device authorization grant. Its ID tokens carry the
// client_id as audience, which the bridge's oidc provider must accept.
type DeviceFlowClient struct {
	Issuer   string   `yaml:"issuer" json:"issuer"`
	ClientID string   `yaml:"client_id" json:"client_id"`
	Scopes   []string `yaml:"scopes" json:"scopes"`
}

// discoveryDocument is what DiscoveryPath answers.
type discoveryDocument struct {
	// TokenEndpoint is the realm the registry challenges with; a helper
	// compares it with the challenge before trusting the document.
	TokenEndpoint string             `json:"token_endpoint"`
	Services      []DiscoveryService `json:"services"`
}

// Validate reports every problem of d as one joined error; services are the
// configured service names. It does no I/O.
func (d Discovery) Validate(services []string) error {
	var errs []error
	seen := map[string]bool{}
	for i, s := range d.Services {
		at := fmt.Sprintf("services[%d]", i)
		switch {
		case s.Service == "":
			errs = append(errs, fmt.Errorf("%s.service: required", at))
		case !slices.Contains(services, s.Service):
			errs = append(errs, fmt.Errorf("%s.service: %q is not a configured service", at, s.Service))
		case seen[s.Service]:
			errs = append(errs, fmt.Errorf("%s.service: %q is listed twice", at, s.Service))
		}
		seen[s.Service] = true
		if len(s.Issuers) == 0 && s.DeviceFlow == nil {
			errs = append(errs, fmt.Errorf("%s: name issuers, a device_flow, or both", at))
		}
		for j, iss := range s.Issuers {
			if err := checkPublicURL(iss.Issuer); err != nil {
				errs = append(errs, fmt.Errorf("%s.issuers[%d].issuer: %w", at, j, err))
			}
			if len(iss.Audiences) == 0 || slices.Contains(iss.Audiences, "") {
				errs = append(errs, fmt.Errorf("%s.issuers[%d].audiences: at least one non-empty audience is required", at, j))
			}
		}
		if f := s.DeviceFlow; f != nil {
			if err := checkPublicURL(f.Issuer); err != nil {
				errs = append(errs, fmt.Errorf("%s.device_flow.issuer: %w", at, err))
			}
			if f.ClientID == "" {
				errs = append(errs, fmt.Errorf("%s.device_flow.client_id: required", at))
			}
			if !slices.Contains(f.Scopes, "openid") {
				errs = append(errs, fmt.Errorf("%s.device_flow.scopes: must include openid (the helper presents ID tokens)", at))
			}
		}
	}
	return errors.Join(errs...)
}

// checkPublicURL accepts an absolute https URL (http on loopback only)
// without credentials, query or fragment.
func checkPublicURL(raw string) error {
	u, err := upstream.CheckURL(raw, false)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q must not carry a query or a fragment", raw)
	}
	return nil
}

// discoveryHandler serves the metadata document of d; tokenEndpoint is the
// absolute realm URL.
func discoveryHandler(d Discovery, tokenEndpoint string) http.HandlerFunc {
	doc := discoveryDocument{TokenEndpoint: tokenEndpoint, Services: d.Services}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
			return
		}
		writeJSON(w, http.StatusOK, doc)
	}
}
