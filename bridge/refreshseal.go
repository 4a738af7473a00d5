package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/regbridge/regbridge/bridge/signing"
)

// refreshAudiencePrefix starts the `aud` of a refresh token; the service
// name follows. It never equals a service name, which is a registry token's
// `aud`.
const refreshAudiencePrefix = "urn:regbridge:refresh:"

// refreshVersion is the payload format of a refresh token.
const refreshVersion = 1

// RefreshClaims are the sealed contents of a refresh token. The whole
// payload is encrypted and authenticated (signing.Sealer: A256GCM) with a
// key derived from regbridge's signing key, so nobody without that key can read or forge it,
// and every replica configured with the same keys accepts it.
type RefreshClaims struct {
	Version  int    `json:"v"`
	ID       string `json:"jti"`
	Audience string `json:"aud"`
	// Service is the registry service the token was issued for.
	Service string `json:"svc"`
	// ClientID is the client_id of the login.
	ClientID string `json:"cid,omitempty"`
	// Provider is the id of the provider that verified the login.
	Provider string `json:"prv"`
	// Subject is the login's subject, also when Identity is nil.
	Subject  string `json:"sub"`
	IssuedAt int64  `json:"iat"`
	// Expiry is the hard end of the token: no redemption after it.
	Expiry int64 `json:"exp"`
	// Identity is the identity captured at login, for providers whose
	// credential cannot be checked again (OIDC ID tokens).
	Identity *CapturedIdentity `json:"idn,omitempty"`
	// Credential is the upstream credential, for providers that are asked
	// again on every redemption.
	Credential *CapturedCredential `json:"crd,omitempty"`
}

// CapturedIdentity is the part of a providers.Identity the policy decides
// on.
type CapturedIdentity struct {
	Username   string         `json:"usr,omitempty"`
	Groups     []string       `json:"grp,omitempty"`
	Grants     []string       `json:"gr,omitempty"`
	Claims     map[string]any `json:"clm,omitempty"`
	MaxActions []string       `json:"max,omitempty"`
}

// CapturedCredential is an upstream credential kept inside the sealed token.
type CapturedCredential struct {
	Scheme   string `json:"s"`
	Username string `json:"u,omitempty"`
	Secret   string `json:"p"`
}

// refreshSealer seals refresh-token claims: the format is bridge's, the
// encryption signing's.
type refreshSealer struct{ s *signing.Sealer }

func newRefreshSealer(keys []*signing.Key) (*refreshSealer, error) {
	s, err := signing.NewSealer(keys)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	return &refreshSealer{s: s}, nil
}

// seal encrypts c with the active key.
func (s *refreshSealer) seal(c *RefreshClaims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	tok, err := s.s.Seal(payload)
	if err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	return tok, nil
}

// errRefreshMalformed is any token that this server did not seal, or whose
// contents do not decode: the client learns nothing more.
var errRefreshMalformed = errors.New("not a refresh token issued by this server")

// open decrypts and authenticates token and decodes its claims. It checks
// the format only; expiry, service and state are the caller's.
func (s *refreshSealer) open(token string, maxBytes int) (*RefreshClaims, error) {
	payload, err := s.s.Open(token, maxBytes)
	if err != nil {
		return nil, errRefreshMalformed
	}
	c, err := decodeRefreshClaims(payload)
	if err != nil {
		return nil, errRefreshMalformed
	}
	return c, nil
}

// decodeRefreshClaims decodes a payload strictly: unknown fields, trailing
// data, a wrong version or missing members are errors. Numbers inside the
// captured claims stay json.Number, as the providers deliver them.
func decodeRefreshClaims(payload []byte) (*RefreshClaims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var c RefreshClaims
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	switch {
	case c.Version != refreshVersion:
		return nil, fmt.Errorf("version %d", c.Version)
	case c.ID == "" || c.Service == "" || c.Provider == "":
		return nil, errors.New("missing members")
	case c.Audience != refreshAudiencePrefix+c.Service:
		return nil, errors.New("wrong audience")
	case (c.Identity == nil) == (c.Credential == nil):
		return nil, errors.New("needs exactly one of identity and credential")
	case c.Expiry <= c.IssuedAt:
		return nil, errors.New("expiry before issue")
	}
	return &c, nil
}
