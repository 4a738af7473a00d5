package signing

import (
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
)

// RefreshTokenType is the JWE `typ` of a refresh token. Registry tokens are
// compact JWS with `typ` JWT; a refresh token is a compact JWE (five parts)
// with this type, so no registry and no JWS parser takes one for the other.
const RefreshTokenType = "regbridge-refresh+jwe"

// ErrNotSealed is returned by Sealer.Open for anything this server did not
// seal: a token of another shape, one too long, sealed by an unknown key, or
// altered.
var ErrNotSealed = errors.New("signing: not sealed by this server")

// sealKey is one sealing key: 256 bits derived from a signing key.
type sealKey struct {
	id     string
	secret []byte
}

// Sealer encrypts and authenticates refresh-token payloads (A256GCM, direct
// key agreement) with keys derived from the signing keys. It seals with the
// first key and opens with any, so that a key rotation keeps the tokens
// sealed by a key that is still configured; every replica configured with
// the same keys opens them. It is safe for concurrent use.
type Sealer struct {
	keys []sealKey
	byID map[string][]byte
}

// deriveSealKey derives the sealing key of a signing key with HKDF-SHA256
// over its PKCS#8 encoding. The registry never sees it; it is not the
// signing key, and the derivation is one-way.
func deriveSealKey(k *Key) (sealKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return sealKey{}, fmt.Errorf("signing: refresh key: %w", err)
	}
	secret, err := hkdf.Key(sha256.New, der, nil, "regbridge refresh token sealing v1", 32)
	if err != nil {
		return sealKey{}, fmt.Errorf("signing: refresh key: %w", err)
	}
	idb, err := hkdf.Key(sha256.New, der, nil, "regbridge refresh token key id v1", 8)
	if err != nil {
		return sealKey{}, fmt.Errorf("signing: refresh key: %w", err)
	}
	return sealKey{id: "rt-" + hex.EncodeToString(idb), secret: secret}, nil
}

// NewSealer derives a sealing key from each signing key, the first sealing.
func NewSealer(keys []*Key) (*Sealer, error) {
	s := &Sealer{byID: map[string][]byte{}}
	for _, k := range keys {
		sk, err := deriveSealKey(k)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, sk)
		s.byID[sk.id] = sk.secret
	}
	if len(s.keys) == 0 {
		return nil, errors.New("signing: refresh tokens need a signing key")
	}
	return s, nil
}

// Seal encrypts payload with the active key into a compact JWE of type
// RefreshTokenType.
func (s *Sealer) Seal(payload []byte) (string, error) {
	k := s.keys[0]
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: k.secret, KeyID: k.id},
		(&jose.EncrypterOptions{}).WithType(RefreshTokenType))
	if err != nil {
		return "", fmt.Errorf("signing: seal: %w", err)
	}
	obj, err := enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("signing: seal: %w", err)
	}
	return obj.CompactSerialize()
}

// Open decrypts and authenticates token, refusing one longer than maxBytes,
// and returns the payload. Every failure is ErrNotSealed: the caller learns
// nothing more.
func (s *Sealer) Open(token string, maxBytes int) ([]byte, error) {
	if len(token) > maxBytes || !LooksLikeRefreshToken(token) {
		return nil, ErrNotSealed
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, ErrNotSealed
	}
	secret, ok := s.byID[obj.Header.KeyID]
	if !ok {
		return nil, ErrNotSealed
	}
	payload, err := obj.Decrypt(secret)
	if err != nil {
		return nil, ErrNotSealed
	}
	return payload, nil
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
