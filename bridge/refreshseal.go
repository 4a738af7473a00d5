package bridge

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/bridge/signing"
)

// RefreshTokenType is the JWE `typ` of a refresh token. Registry tokens are
// compact JWS with `typ` JWT; a refresh token is a compact JWE (five parts)
// with this type, so no registry and no JWS parser takes one for the other.
const RefreshTokenType = "regbridge-refresh+jwe"

// refreshAudiencePrefix starts the `aud` of a refresh token; the service
// name follows. It never equals a service name, which is a registry token's
// `aud`.
const refreshAudiencePrefix = "urn:regbridge:refresh:"

// refreshVersion is the payload format of a refresh token.
const refreshVersion = 1

// RefreshClaims are the sealed contents of a refresh token. The whole
// payload is encrypted and authenticated (A256GCM) with a key derived from
// regbridge's signing key, so nobody without that key can read or forge it,
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

// refreshKey is one sealing key: 256 bits derived from a signing key.
type refreshKey struct {
	id     string
	secret []byte
}

// refreshSealer seals refresh tokens with the first key and opens them with
// any configured key, so that a key rotation keeps the tokens sealed by a
// key that is still configured.
type refreshSealer struct {
	keys []refreshKey
	byID map[string][]byte
}

// deriveRefreshKey derives the sealing key of a signing key with HKDF-SHA256
// over its PKCS#8 encoding. The registry never sees it; it is not the
// signing key, and the derivation is one-way.
func deriveRefreshKey(k *signing.Key) (refreshKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return refreshKey{}, fmt.Errorf("bridge: refresh key: %w", err)
	}
	secret, err := hkdf.Key(sha256.New, der, nil, "regbridge refresh token sealing v1", 32)
	if err != nil {
		return refreshKey{}, fmt.Errorf("bridge: refresh key: %w", err)
	}
	idb, err := hkdf.Key(sha256.New, der, nil, "regbridge refresh token key id v1", 8)
	if err != nil {
		return refreshKey{}, fmt.Errorf("bridge: refresh key: %w", err)
	}
	return refreshKey{id: "rt-" + hex.EncodeToString(idb), secret: secret}, nil
}

func newRefreshSealer(keys []*signing.Key) (*refreshSealer, error) {
	s := &refreshSealer{byID: map[string][]byte{}}
	for _, k := range keys {
		rk, err := deriveRefreshKey(k)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, rk)
		s.byID[rk.id] = rk.secret
	}
	if len(s.keys) == 0 {
		return nil, errors.New("bridge: refresh tokens need a signing key")
	}
	return s, nil
}

// seal encrypts c with the active key.
func (s *refreshSealer) seal(c *RefreshClaims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	k := s.keys[0]
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: k.secret, KeyID: k.id},
		(&jose.EncrypterOptions{}).WithType(RefreshTokenType))
	if err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	return obj.CompactSerialize()
}

// errRefreshMalformed is any token that this server did not seal, or whose
// contents do not decode: the client learns nothing more.
var errRefreshMalformed = errors.New("not a refresh token issued by this server")

// open decrypts and authenticates token and decodes its claims. It checks
// the format only; expiry, service and state are the caller's.
func (s *refreshSealer) open(token string, maxBytes int) (*RefreshClaims, error) {
	if len(token) > maxBytes || !LooksLikeRefreshToken(token) {
		return nil, errRefreshMalformed
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, errRefreshMalformed
	}
	secret, ok := s.byID[obj.Header.KeyID]
	if !ok {
		return nil, errRefreshMalformed
	}
	payload, err := obj.Decrypt(secret)
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

// LooksLikeRefreshToken reports whether s has the shape of a regbridge
// refresh token: a compact JWE whose protected header has the refresh token
// type. It verifies nothing; the router uses it so that a refresh token
// presented as a password or bearer token never reaches a provider.
func LooksLikeRefreshToken(s string) bool {
	if strings.Count(s, ".") != 4 {
		return false
	}
	h, _, _ := strings.Cut(s, ".")
	if len(h) > 1024 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return false
	}
	var header struct {
		Typ string `json:"typ"`
	}
	return json.Unmarshal(raw, &header) == nil && header.Typ == RefreshTokenType
}
