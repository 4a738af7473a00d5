package dpop

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// Limits on proof input.
const (
	// MaxProofSize caps the length of one DPoP header value.
	MaxProofSize = 8 << 10
	// MaxJTILength caps the `jti` claim.
	MaxJTILength = 256
	// MaxNonceLength caps the `nonce` claim.
	MaxNonceLength = 512
)

// ProofType is the required `typ` header of a DPoP proof.
const ProofType = "dpop+jwt"

// Proof is a parsed DPoP proof whose structure, key and signature have been
// checked. Its claims are not yet compared with any request.
type Proof struct {
	// Algorithm is the verified `alg`.
	Algorithm jose.SignatureAlgorithm
	// Key is the public key from the `jwk` header.
	Key any
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of Key (base64url).
	Thumbprint string
	JTI        string
	HTM        string
	HTU        string
	IssuedAt   time.Time
	// ATH is the access-token hash claim, empty when absent.
	ATH string
	// Nonce is the server nonce claim, empty when absent.
	Nonce string
}

// header members that name or carry a key other than `jwk`, or change how
// the JWS is processed; each is refused in a proof.
var forbiddenHeaders = []string{"kid", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"}

// private or symmetric JWK members; a proof key must be public.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// Parse checks the structure, header, key and signature of one DPoP proof
// (RFC 9449 §4.3 checks 2–7) with the given algorithm allow-list, which must
// hold only asymmetric algorithms. Only the compact serialization is
// accepted.
func Parse(proof string, algs []jose.SignatureAlgorithm) (*Proof, error) {
	if len(proof) > MaxProofSize {
		return nil, invalid("proof too large", nil)
	}
	if len(algs) == 0 {
		return nil, invalid("no algorithms allowed", nil)
	}
	for _, a := range algs {
		if !IsAsymmetric(a) {
			return nil, invalid("algorithm allow-list holds a non-asymmetric algorithm", nil)
		}
	}
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return nil, invalid("proof is not a compact JWS", nil)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "=+/ \t\r\n{") {
			return nil, invalid("proof is not base64url compact serialization", nil)
		}
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, invalid("proof header is not base64url", err)
	}
	hdr, err := strictjson.Object(rawHeader)
	if err != nil {
		return nil, invalid("proof header is not a JSON object", err)
	}
	if typ, _ := hdr["typ"].(string); typ != ProofType {
		return nil, invalid(`proof typ is not "dpop+jwt"`, nil)
	}
	algName, _ := hdr["alg"].(string)
	alg := jose.SignatureAlgorithm(algName)
	if !containsAlg(algs, alg) {
		return nil, invalid("proof alg is not allowed", nil)
	}
	for _, h := range forbiddenHeaders {
		if _, ok := hdr[h]; ok {
			return nil, invalid("proof header carries "+h, nil)
		}
	}
	key, err := publicJWK(hdr["jwk"])
	if err != nil {
		return nil, invalid("proof jwk is not an acceptable public key", err)
	}
	if err := checkKeyForAlg(key, alg); err != nil {
		return nil, invalid("proof key does not fit its alg", err)
	}
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, invalid("proof does not parse", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid("proof must carry exactly one signature", nil)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, invalid("proof signature does not verify", err)
	}
	thumb, err := Thumbprint(key)
	if err != nil {
		return nil, invalid("proof key has no thumbprint", err)
	}
	p := &Proof{Algorithm: alg, Key: key, Thumbprint: thumb}
	if err := p.readClaims(payload); err != nil {
		return nil, err
	}
	return p, nil
}

func containsAlg(algs []jose.SignatureAlgorithm, a jose.SignatureAlgorithm) bool {
	for _, x := range algs {
		if x == a {
			return true
		}
	}
	return false
}

// publicJWK turns the decoded `jwk` header member into a public key,
// refusing private and symmetric members before go-jose sees them.
func publicJWK(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("jwk header missing or not an object")
	}
	for _, name := range privateJWKMembers {
		if _, ok := m[name]; ok {
			return nil, fmt.Errorf("jwk carries private or symmetric member %q", name)
		}
	}
	switch m["kty"] {
	case "EC", "RSA", "OKP":
	default:
		return nil, fmt.Errorf("jwk kty %v is not EC, RSA or OKP", m["kty"])
	}
	if _, ok := m["x5c"]; ok {
		return nil, errors.New("jwk carries x5c")
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if !jwk.Valid() || !jwk.IsPublic() {
		return nil, errors.New("jwk is not a valid public key")
	}
	return jwk.Key, nil
}

func (p *Proof) readClaims(payload []byte) error {
	c, err := strictjson.Object(payload)
	if err != nil {
		return invalid("proof claims are not a JSON object", err)
	}
	var ok bool
	if p.JTI, ok = c["jti"].(string); !ok || p.JTI == "" || len(p.JTI) > MaxJTILength {
		return invalid("proof jti missing, not a string or too long", nil)
	}
	if p.HTM, ok = c["htm"].(string); !ok || p.HTM == "" {
		return invalid("proof htm missing or not a string", nil)
	}
	if p.HTU, ok = c["htu"].(string); !ok || p.HTU == "" {
		return invalid("proof htu missing or not a string", nil)
	}
	iat, err := intClaim(c["iat"])
	if err != nil {
		return invalid("proof iat missing or not an integer", err)
	}
	p.IssuedAt = time.Unix(iat, 0)
	if v, present := c["ath"]; present {
		if p.ATH, ok = v.(string); !ok || p.ATH == "" {
			return invalid("proof ath is not a string", nil)
		}
	}
	if v, present := c["nonce"]; present {
		if p.Nonce, ok = v.(string); !ok || p.Nonce == "" || len(p.Nonce) > MaxNonceLength {
			return invalid("proof nonce is not an acceptable string", nil)
		}
	}
	return nil
}

// maxUnix bounds integer time claims (year 9999).
const maxUnix = 253402300799

// intClaim reads a NumericDate that must be a non-negative integer.
func intClaim(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	i, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || f != math.Trunc(f) || f < 0 || f > maxUnix {
			return 0, errors.New("not an integer")
		}
		i = int64(f)
	}
	if i < 0 || i > maxUnix {
		return 0, errors.New("out of range")
	}
	return i, nil
}
