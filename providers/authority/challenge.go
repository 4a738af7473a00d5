package authority

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
)

// challengeScheme is the WWW-Authenticate scheme to answer a credential
// with: DPoP for DPoP requests, Bearer otherwise.
func challengeScheme(s providers.Scheme) string {
	if s == providers.SchemeDPoP {
		return "DPoP"
	}
	return "Bearer"
}

// invalidToken is a refusal with error="invalid_token" (RFC 6750 §3.1).
func (p *Provider) invalidToken(scheme providers.Scheme, desc string, cause error) error {
	return p.challenge(challengeScheme(scheme), "invalid_token", desc, 0, cause)
}

// insufficientScope is a refusal with error="insufficient_scope" and 403.
func (p *Provider) insufficientScope(scheme providers.Scheme, desc string) error {
	return p.challenge(challengeScheme(scheme), "insufficient_scope", desc, http.StatusForbidden, nil)
}

func (p *Provider) challenge(scheme, code, desc string, status int, cause error) error {
	params := [][2]string{{"error", code}, {"error_description", desc}}
	if scheme == "DPoP" {
		params = append(params, [2]string{"algs", p.dpopAlgs})
	}
	err := fmt.Errorf("authority: %s: %w", desc, providers.ErrInvalidCredential)
	if cause != nil {
		err = fmt.Errorf("authority: %s: %v: %w", desc, cause, providers.ErrInvalidCredential)
	}
	return &providers.ChallengeError{Scheme: scheme, Params: params, Status: status, Err: err}
}

// proofError turns a DPoP verifier error into a DPoP challenge. At a token
// endpoint (token exchange) the status is 400 (RFC 9449 §5, §8); at a
// resource it is the 401 of the error kind.
func (p *Provider) proofError(err error, tokenEndpoint bool) error {
	var de *dpop.Error
	if !errors.As(err, &de) {
		if errors.Is(err, providers.ErrUnavailable) {
			return fmt.Errorf("authority: dpop replay store: %w", err)
		}
		return p.challenge("DPoP", dpop.CodeInvalidProof, "DPoP proof refused", 0, err)
	}
	status := 0
	if tokenEndpoint {
		status = http.StatusBadRequest
	}
	ch := &providers.ChallengeError{
		Scheme: "DPoP",
		Params: [][2]string{{"error", de.Code}, {"error_description", sanitize(de.Description)}, {"algs", p.dpopAlgs}},
		Status: status,
		Err:    fmt.Errorf("authority: %w: %w", de, providers.ErrInvalidCredential),
	}
	if de.Nonce != "" {
		ch.Header = map[string]string{"DPoP-Nonce": de.Nonce}
	}
	return ch
}

// sanitize keeps a description within the quoted-string characters that
// RFC 6750 §3 allows in error_description.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return ' '
		}
		return r
	}, s)
}
