package authority

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/authtest"
)

// answerWith is an introspection answer of a current access token of srv
// for the "registry" audience, changed by edit (nil values are removed).
func answerWith(srv *authtest.Server, edit map[string]any) string {
	a := map[string]any{"active": true, "sub": "svc", "scope": "registry.token.issue", "iss": srv.Issuer,
		"aud": "registry", "exp": time.Now().Add(time.Hour).Unix(), "token_type": "Bearer"}
	for k, v := range edit {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// introspectAnswerAt runs one Authenticate of a provider configured by cfg
// against srv answering body.
func introspectAnswerAt(t *testing.T, srv *authtest.Server, cfg func(*Config), body string) (providers.Identity, error) {
	t.Helper()
	srv.SetFault(authtest.PathIntrospect, authtest.Fault{Status: 200, Body: body})
	c := introspectionConfig(srv)
	if cfg != nil {
		cfg(&c)
	}
	return newProvider(t, c).Authenticate(context.Background(), dpopCred("opaque-token"))
}

func wantRefused(t *testing.T, id providers.Identity, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted as %+v", id)
	}
	if !errors.Is(err, providers.ErrInvalidCredential) || errors.Is(err, providers.ErrUnavailable) {
		t.Fatalf("err = %v, want a definite rejection", err)
	}
}

func TestIntrospectionAcceptsACompleteAnswerOfACurrentAccessToken(t *testing.T) {
	srv := authtest.NewServer(t)
	if _, err := introspectAnswerAt(t, srv, nil, answerWith(srv, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestIntrospectionRefusesAnAnswerThatIsNotActiveTrue(t *testing.T) {
	srv := authtest.NewServer(t)
	for _, active := range []any{false, "true", 1} {
		id, err := introspectAnswerAt(t, srv, nil, answerWith(srv, map[string]any{"active": active}))
		wantRefused(t, id, err)
	}
}

func TestIntrospectionRefusesAnAnswerWithoutAudienceUnlessConfiguredIfPresent(t *testing.T) {
	srv := authtest.NewServer(t)
	body := answerWith(srv, map[string]any{"aud": nil})
	id, err := introspectAnswerAt(t, srv, nil, body)
	wantRefused(t, id, err)
	if err != nil && !strings.Contains(err.Error(), "no aud") {
		t.Errorf("err = %v, want one naming the missing aud", err)
	}
	if _, err := introspectAnswerAt(t, srv, func(c *Config) { c.IntrospectionAudience = ClaimIfPresent }, body); err != nil {
		t.Errorf("introspection_audience: if_present refused an answer without aud: %v", err)
	}
}

func TestIntrospectionRefusesAnotherAudienceEvenWhenAudienceIsIfPresent(t *testing.T) {
	srv := authtest.NewServer(t)
	id, err := introspectAnswerAt(t, srv, func(c *Config) { c.IntrospectionAudience = ClaimIfPresent }, answerWith(srv, map[string]any{"aud": "someone-else"}))
	wantRefused(t, id, err)
}

func TestIntrospectionRefusesAnAnswerWithoutIssuerUnlessConfiguredIfPresent(t *testing.T) {
	srv := authtest.NewServer(t)
	body := answerWith(srv, map[string]any{"iss": nil})
	id, err := introspectAnswerAt(t, srv, nil, body)
	wantRefused(t, id, err)
	if _, err := introspectAnswerAt(t, srv, func(c *Config) { c.IntrospectionIssuer = ClaimIfPresent }, body); err != nil {
		t.Errorf("introspection_issuer: if_present refused an answer without iss: %v", err)
	}
	id, err = introspectAnswerAt(t, srv, func(c *Config) { c.IntrospectionIssuer = ClaimIfPresent }, answerWith(srv, map[string]any{"iss": "https://evil.example"}))
	wantRefused(t, id, err)
}

func TestIntrospectionRefusesAnAnswerWithoutAnExpInTheFuture(t *testing.T) {
	srv := authtest.NewServer(t)
	for name, exp := range map[string]any{"no exp": nil, "an exp an hour ago": time.Now().Add(-time.Hour).Unix(), "an exp that is not a number": "soon"} {
		t.Run(name, func(t *testing.T) {
			id, err := introspectAnswerAt(t, srv, nil, answerWith(srv, map[string]any{"exp": exp}))
			wantRefused(t, id, err)
		})
	}
}

func TestIntrospectionRefusesTokenTypesThatAreNotAccessTokens(t *testing.T) {
	srv := authtest.NewServer(t)
	for _, edit := range []map[string]any{
		{"token_type": "refresh_token"},
		{"token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
		{"token_type": "id_token"},
		{"token_type": 7},
		{"token_type": nil, "token_use": "refresh_token"},
	} {
		id, err := introspectAnswerAt(t, srv, nil, answerWith(srv, edit))
		wantRefused(t, id, err)
	}
	for _, typ := range []any{"Bearer", "DPoP", "access_token", nil} {
		if _, err := introspectAnswerAt(t, srv, nil, answerWith(srv, map[string]any{"token_type": typ})); err != nil {
			t.Errorf("token_type %v refused: %v", typ, err)
		}
	}
}

func TestIntrospectionClaimModesAreOnlyRequiredOrIfPresent(t *testing.T) {
	srv := authtest.NewServer(t)
	c := introspectionConfig(srv)
	c.IntrospectionAudience, c.IntrospectionIssuer = "optional", "never"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `introspection_audience: "optional" is not required or if_present`) ||
		!strings.Contains(err.Error(), `introspection_issuer: "never"`) {
		t.Errorf("Validate() = %v", err)
	}
}
