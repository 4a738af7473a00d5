package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// DefaultCatalogTokens is how many catalog-scoped registry tokens are
// remembered for the catalog and search endpoints.
const DefaultCatalogTokens = 10000

// catalogTokens remembers, for each registry token this server minted in
// answer to a request for a `registry:catalog` scope, the identity and
// service it was minted for, until the token expires. Registry clients
// (crane, docker's v2 search) present that token to `/v2/_catalog`; the
// token itself carries only a subject, so the identity the policy needs
// comes from here. Only the SHA-256 of the token is kept.
type catalogTokens struct {
	lru *lru.Cache[[32]byte, catalogGrant]
	now func() time.Time
}

type catalogGrant struct {
	service string
	id      providers.Identity
	expires time.Time
}

func newCatalogTokens(size int, now func() time.Time) *catalogTokens {
	if size <= 0 {
		size = DefaultCatalogTokens
	}
	c, _ := lru.New[[32]byte, catalogGrant](size)
	return &catalogTokens{lru: c, now: now}
}

// asksForCatalog reports whether a token request names the catalog.
func asksForCatalog(scopes []acl.Scope) bool {
	for _, sc := range scopes {
		if sc.Type == "registry" && sc.Name == "catalog" {
			return true
		}
	}
	return false
}

// remember records a token minted for a request that asked for the catalog.
func (c *catalogTokens) remember(req *TokenRequest, out *issued) {
	if c == nil || out == nil || !asksForCatalog(req.Scopes) {
		return
	}
	c.lru.Add(sha256.Sum256([]byte(out.token)), catalogGrant{service: out.service, id: out.id, expires: out.now.Add(out.ttl)})
}

// lookup returns the identity a live catalog token of service was minted for.
func (c *catalogTokens) lookup(token providers.Secret, service string) (providers.Identity, bool) {
	key := sha256.Sum256([]byte(token))
	g, ok := c.lru.Get(key)
	if !ok {
		return providers.Identity{}, false
	}
	if !c.now().Before(g.expires) {
		c.lru.Remove(key)
		return providers.Identity{}, false
	}
	return g.id, g.service == service
}

// errCatalogToken is a registry token of this service that is unknown here
// (expired, minted for other scopes or by another replica): the client must
// fetch a new one.
var errCatalogToken = fmt.Errorf("bridge: catalog: registry token not valid for the catalog: %w", providers.ErrInvalidCredential)

// mintedHere reports whether a Bearer token claims to be a registry token
// of svc (its iss and aud). Nothing in it is trusted: such a token is
// either in catalogTokens or refused.
func mintedHere(token providers.Secret, svc *serviceState) bool {
	parts := strings.Split(string(token), ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Issuer != svc.Issuer {
		return false
	}
	var aud string
	if json.Unmarshal(c.Audience, &aud) == nil {
		return aud == svc.Name
	}
	var auds []string
	return json.Unmarshal(c.Audience, &auds) == nil && len(auds) == 1 && auds[0] == svc.Name
}

// catalogCaller authenticates a catalog or search request: no credential
// is the anonymous caller; a catalog token this server minted is the
// identity it was minted for; anything else (Basic, Bearer, DPoP) goes
// through the same providers as a token request. A credential that fails is
// an error, never the anonymous view.
type catalogCaller struct {
	id    providers.Identity
	cred  providers.Credential
	token bool // authenticated by a remembered catalog token
}

func (s *Server) catalogAuthenticate(ctx context.Context, st *State, r *http.Request, svc *serviceState,
	scopes []acl.Scope) (catalogCaller, error) {
	cred, err := parseAuthorization(r.Header, s.opts.Limits)
	if err != nil {
		return catalogCaller{}, err
	}
	if cred.Scheme == providers.SchemeBearer {
		if id, ok := s.catalogTokens.lookup(cred.Secret, svc.Name); ok {
			return catalogCaller{id: id, cred: cred, token: true}, nil
		}
		if mintedHere(cred.Secret, svc) {
			return catalogCaller{}, errCatalogToken
		}
	}
	ev := Event{Time: s.opts.Now(), Endpoint: "catalog"}
	req := &TokenRequest{Method: http.MethodGet, Service: svc.Name, Scopes: scopes, Credential: cred}
	id, err := s.authenticate(ctx, st, r, req, &ev)
	if err != nil {
		return catalogCaller{}, err
	}
	return catalogCaller{id: id, cred: cred}, nil
}

// catalogChallenge is the 401 a registry client understands: a Bearer
// challenge naming this server's realm, the service and the catalog scope,
// so that crane and docker fetch a catalog token and retry.
func (s *Server) catalogChallenge(svc *serviceState, scope string, err error) string {
	ch := fmt.Sprintf(`Bearer realm="%s%s",service="%s",scope="%s"`, s.opts.PublicURL, s.opts.TokenPath, svc.Name, scope)
	if errors.Is(err, errCatalogToken) {
		ch += `,error="invalid_token"`
	}
	return ch
}
