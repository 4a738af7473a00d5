package signing

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"
)

// HeaderMode is the JWS header form a registry accepts.
type HeaderMode string

const (
	// HeaderX5C carries the leaf certificate in x5c and the libtrust kid:
	// accepted by distribution 2.8.2, 3.0 and 3.1 configured with
	// rootcertbundle.
	HeaderX5C HeaderMode = "x5c"
	// HeaderKID carries only the kid published in the JWKS: for 3.x
	// registries configured with jwks.
	HeaderKID HeaderMode = "kid"
)

// Claims are the registry token's claims (distribution's ClaimSet).
type Claims struct {
	Issuer    string        `json:"iss"`
	Subject   string        `json:"sub"`
	Audience  string        `json:"aud"`
	Expiry    int64         `json:"exp"`
	NotBefore int64         `json:"nbf"`
	IssuedAt  int64         `json:"iat"`
	ID        string        `json:"jti"`
	Access    []AccessEntry `json:"access"`
}

// AccessEntry is one resource and its granted actions.
type AccessEntry struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Minter signs registry tokens with one key in one header form. It is safe
// for concurrent use.
type Minter struct {
	key     *Key
	mode    HeaderMode
	random  io.Reader
	compact *compactSigner
}

// NewMinter prepares a signer for key in the given header form. random is
// the source of token ids (crypto/rand when nil).
func NewMinter(key *Key, mode HeaderMode, random io.Reader) (*Minter, error) {
	if random == nil {
		random = rand.Reader
	}
	switch mode {
	case HeaderX5C, "":
		if key.Certificate == nil {
			return nil, fmt.Errorf("signing: header x5c needs a certificate for key %s", key.Source)
		}
		mode = HeaderX5C
	case HeaderKID:
	default:
		return nil, fmt.Errorf("signing: unknown header mode %q (want x5c or kid)", mode)
	}
	compact, err := newCompactSigner(key, mode, random)
	if err != nil {
		return nil, fmt.Errorf("signing: signer: %w", err)
	}
	return &Minter{key: key, mode: mode, random: random, compact: compact}, nil
}

// Key returns the signing key.
func (m *Minter) Key() *Key { return m.key }

// NewID returns a fresh token id: 128 bits from the minter's random source.
func (m *Minter) NewID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(m.random, b[:]); err != nil {
		return "", fmt.Errorf("signing: token id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Sign marshals claims once and signs the bytes.
func (m *Minter) Sign(c *Claims) (string, error) {
	pp := claimsPool.Get().(*[]byte)
	payload := appendClaims((*pp)[:0], c)
	defer func() {
		if cap(payload) <= 64<<10 {
			*pp = payload[:0]
			claimsPool.Put(pp)
		}
	}()
	tok, err := m.compact.sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing: sign: %w", err)
	}
	return tok, nil
}

// claimsPool holds claim JSON while it is encoded and signed.
var claimsPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Registry names the registry a token is for: its `iss` and `aud`.
type Registry struct {
	// Issuer is the registry's auth.token.issuer.
	Issuer string
	// Service is the registry's auth.token.service.
	Service string
}

// Mint builds and signs a token for subject with access (nil is sent as an
// empty array), valid from now for ttl, for the registry reg names.
func (m *Minter) Mint(reg Registry, subject string, access []AccessEntry, now time.Time, ttl time.Duration) (string, *Claims, error) {
	id, err := m.NewID()
	if err != nil {
		return "", nil, err
	}
	if access == nil {
		access = []AccessEntry{}
	}
	c := &Claims{
		Issuer:    reg.Issuer,
		Subject:   subject,
		Audience:  reg.Service,
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		Expiry:    now.Add(ttl).Unix(),
		ID:        id,
		Access:    access,
	}
	tok, err := m.Sign(c)
	return tok, c, err
}
