package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// compactSigner is the one JWS signing path of regbridge: it produces the
// compact JWS go-jose's signer would for one key and header form (the tests
// verify every algorithm with go-jose), with the protected header encoded
// once at construction instead of per token. The header, with the x5c
// certificate, is most of the bytes of a token, and go-jose re-encodes it
// on every Sign: BenchmarkMint against BenchmarkMintGoJose (ES256, x5c) is
// about 9.6 kB and 68 allocations a token against 18.7 kB and 143, and
// roughly half the time besides the signature itself. Verification stays
// with go-jose.
//
// ECDSA keys sign with RFC 6979 deterministic nonces (crypto/ecdsa's
// PrivateKey.Sign with a nil random source) rather than Go's default hedged
// nonces. The hedged form guards against two faults: a broken random
// source, which RFC 6979 removes altogether, and a fault induced while the
// same message is signed twice, which cannot happen here because every
// token carries a fresh 128-bit jti. It costs a SHA-512 HMAC-DRBG and a read
// of the random source per signature: BenchmarkRawSignatureES256 measures the
// deterministic signature about a fifth cheaper and 2 kB lighter.
type compactSigner struct {
	header string // base64url of the protected header, with the trailing '.'
	// headerHash is the hash state after the header, cloned per token
	// (nil when the hash cannot be cloned, or for EdDSA).
	headerHash hash.Cloner
	signer     crypto.Signer
	hash       crypto.Hash
	opts       crypto.SignerOpts
	ecSize     int // bytes per ECDSA coordinate; 0 for other keys
	// random is the signature's random source: nil for an in-memory ECDSA
	// key, which then signs with RFC 6979 nonces.
	random io.Reader
}

// newCompactSigner prepares the header of key in mode; the certificate must
// be set for HeaderX5C.
func newCompactSigner(key *Key, mode HeaderMode, random io.Reader) (*compactSigner, error) {
	if _, ok := key.Signer.(*ecdsa.PrivateKey); ok {
		random = nil
	}
	c := &compactSigner{signer: key.Signer, random: random}
	switch key.Algorithm {
	case jose.ES256:
		c.hash, c.ecSize = crypto.SHA256, 32
	case jose.ES384:
		c.hash, c.ecSize = crypto.SHA384, 48
	case jose.ES512:
		c.hash, c.ecSize = crypto.SHA512, 66
	case jose.RS256:
		c.hash = crypto.SHA256
	case jose.RS384:
		c.hash = crypto.SHA384
	case jose.RS512:
		c.hash = crypto.SHA512
	case jose.PS256, jose.PS384, jose.PS512:
		c.hash = map[jose.SignatureAlgorithm]crypto.Hash{jose.PS256: crypto.SHA256, jose.PS384: crypto.SHA384, jose.PS512: crypto.SHA512}[key.Algorithm]
		c.opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: c.hash}
	case jose.EdDSA:
		if _, ok := key.Signer.Public().(ed25519.PublicKey); !ok {
			return nil, fmt.Errorf("algorithm EdDSA needs an Ed25519 key, not %T", key.Signer.Public())
		}
		c.opts = crypto.Hash(0)
	default:
		return nil, fmt.Errorf("algorithm %q is not one regbridge signs with", key.Algorithm)
	}
	if c.opts == nil {
		c.opts = c.hash
	}
	if _, ok := key.Signer.Public().(*ecdsa.PublicKey); ok != (c.ecSize > 0) {
		return nil, fmt.Errorf("algorithm %s does not fit a %T key", key.Algorithm, key.Signer.Public())
	}
	h := map[string]any{"alg": string(key.Algorithm), "kid": key.KeyID, "typ": "JWT"}
	if mode == HeaderX5C {
		x5c := []string{base64.StdEncoding.EncodeToString(key.Certificate.Raw)}
		for _, c := range key.Chain {
			x5c = append(x5c, base64.StdEncoding.EncodeToString(c.Raw))
		}
		h["x5c"] = x5c
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	c.header = base64.RawURLEncoding.EncodeToString(raw) + "."
	if c.hash != 0 {
		if h, ok := c.hash.New().(hash.Cloner); ok {
			h.Write([]byte(c.header))
			c.headerHash = h
		}
	}
	return c, nil
}

// scratchPool holds the encoded payload of a token while it is signed.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// sign returns header.payload.signature for payload. The token is built
// in one allocation of its final size; the header's share of the hash is
// computed once, at construction.
func (c *compactSigner) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	sp := scratchPool.Get().(*[]byte)
	defer func() {
		if cap(*sp) <= 64<<10 {
			scratchPool.Put(sp)
		}
	}()
	encoded := enc.AppendEncode((*sp)[:0], payload)
	*sp = encoded[:0]
	var err error
	var msg []byte
	if c.hash == 0 { // EdDSA signs the input itself
		mp := scratchPool.Get().(*[]byte)
		msg = append(append((*mp)[:0], c.header...), encoded...)
		defer func() { *mp = msg[:0]; scratchPool.Put(mp) }()
	} else if msg, err = c.digest(encoded); err != nil {
		return "", err
	}
	sig, err := c.signature(msg)
	if err != nil {
		return "", err
	}
	var tok strings.Builder
	tok.Grow(len(c.header) + len(encoded) + 1 + enc.EncodedLen(len(sig)))
	tok.WriteString(c.header)
	tok.Write(encoded)
	tok.WriteByte('.')
	*sp = enc.AppendEncode(encoded[:0], sig)
	tok.Write(*sp)
	*sp = (*sp)[:0]
	return tok.String(), nil
}

// signature signs msg (the digest, or for EdDSA the input itself) and
// returns the JWS form of the signature: r‖s for ECDSA.
func (c *compactSigner) signature(msg []byte) ([]byte, error) {
	sig, err := c.signer.Sign(c.random, msg, c.opts)
	if err != nil || c.ecSize == 0 {
		return sig, err
	}
	return ecdsaRaw(sig, c.ecSize)
}

// digest returns the hash of the signing input header.encoded.
func (c *compactSigner) digest(encoded []byte) ([]byte, error) {
	var h hash.Hash
	if c.headerHash != nil {
		cl, err := c.headerHash.Clone()
		if err != nil {
			return nil, err
		}
		h = cl
	} else {
		h = c.hash.New()
		h.Write([]byte(c.header))
	}
	h.Write(encoded)
	return h.Sum(make([]byte, 0, c.hash.Size())), nil
}

// ecdsaRaw turns an ASN.1 ECDSA signature into the fixed-size r‖s form of
// JWS (RFC 7518 §3.4).
func ecdsaRaw(der []byte, size int) ([]byte, error) {
	var r, s cryptobyte.String
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) || !seq.Empty() {
		return nil, errors.New("malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	if !putFixed(out[:size], r) || !putFixed(out[size:], s) {
		return nil, errors.New("ECDSA signature value out of range")
	}
	return out, nil
}

// putFixed writes the unsigned big-endian ASN.1 integer v right-aligned into
// dst.
func putFixed(dst []byte, v cryptobyte.String) bool {
	b := []byte(v)
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > len(dst) || len(v) > 0 && v[0]&0x80 != 0 {
		return false
	}
	copy(dst[len(dst)-len(b):], b)
	return true
}
