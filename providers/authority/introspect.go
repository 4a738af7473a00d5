package authority

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/authority/dpop"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
	"github.com/regbridge/regbridge/providers/upstream"
)

// maxIntrospectionBytes caps an introspection response.
const maxIntrospectionBytes = 64 << 10

// clientAssertionType is the RFC 7523 assertion type for private_key_jwt.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// introspector calls an RFC 7662 endpoint with client authentication.
type introspector struct {
	endpoint string
	auth     string
	clientID string
	secret   providers.Secret
	signer   jose.Signer // private_key_jwt
	client   *http.Client
	now      func() time.Time
}

func errorsIsUnavailable(err error) bool { return errors.Is(err, providers.ErrUnavailable) }

func unavailable(format string, a ...any) error {
	return &providers.UnavailableError{RetryAfter: 5 * time.Second, Err: fmt.Errorf("authority: introspection: "+format, a...)}
}

// introspect returns the claims of an active token, errInactive for a
// token the server calls inactive, and ErrUnavailable for any answer that
// is not a definite one (transport errors, non-200, non-JSON, an `active`
// member that is not a boolean is a definite refusal).
func (in *introspector) introspect(ctx context.Context, token string) (map[string]any, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	if in.auth == AuthPrivateKeyJWT {
		a, err := in.assertion()
		if err != nil {
			return nil, unavailable("client assertion: %v", err)
		}
		form.Set("client_id", in.clientID)
		form.Set("client_assertion_type", clientAssertionType)
		form.Set("client_assertion", a)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, unavailable("%v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if in.auth == AuthClientSecretBasic {
		// RFC 6749 §2.3.1: form-urlencode both parts before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(in.clientID), url.QueryEscape(in.secret.Reveal()))
	}
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, unavailable("%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable("status %d", resp.StatusCode)
	}
	body, err := upstream.ReadBody(resp.Body, maxIntrospectionBytes)
	if err != nil {
		return nil, unavailable("%v", err)
	}
	claims, err := strictjson.Object(body)
	if err != nil {
		return nil, unavailable("response is not a JSON object: %v", err)
	}
	active, present := claims["active"]
	if !present {
		return nil, unavailable("response has no active member")
	}
	if b, ok := active.(bool); !ok {
		return nil, errActiveNotBool
	} else if !b {
		return nil, errInactive
	}
	delete(claims, "active")
	return claims, nil
}

var (
	errInactive      = errors.New("token is not active")
	errActiveNotBool = errors.New(`introspection "active" is not the boolean true`)
)

// assertion builds a private_key_jwt client assertion (RFC 7523 §3).
func (in *introspector) assertion() (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := in.now()
	claims := map[string]any{
		"iss": in.clientID, "sub": in.clientID, "aud": in.endpoint,
		"jti": base64.RawURLEncoding.EncodeToString(jti),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
	payload, err := jsonMarshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := in.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// loadSigner reads a PEM private key (PKCS#8, PKCS#1 or SEC 1) and returns
// a signer with the algorithm that fits it.
func loadSigner(pemBytes []byte) (jose.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, err
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		alg = map[int]jose.SignatureAlgorithm{256: jose.ES256, 384: jose.ES384, 521: jose.ES512}[k.Curve.Params().BitSize]
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	}
	if alg == "" {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	pub := key.(crypto.Signer).Public()
	kid, err := dpop.Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	return jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
}
