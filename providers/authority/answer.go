package authority

import (
	"errors"
	"fmt"
	"strings"
)

// Whether an introspection answer must carry a claim.
const (
	// ClaimRequired: the answer must carry the claim, with a value that
	// passes its check.
	ClaimRequired = "required"
	// ClaimIfPresent: the claim is checked when the answer carries it.
	ClaimIfPresent = "if_present"
)

// accessTokenTypes are the token_type values (RFC 7662 §2.2, compared
// case-insensitively) of an access token: the RFC 6749 §7.1 types a
// resource server accepts, and the RFC 8693 identifier.
var accessTokenTypes = []string{"bearer", "dpop", "access_token", "urn:ietf:params:oauth:token-type:access_token"}

// checkAnswer holds an active introspection answer to what an access token
// of this server is: of an access token type (token_type, and Hydra's
// token_use), with an `exp`, and with `iss` and `aud` unless they are
// configured if_present. The values themselves (issuer equal, audience one
// of ours, exp in the future) are checked by toIdentity.
func (c Config) checkAnswer(ic map[string]any) error {
	if v, ok := ic["token_type"]; ok {
		s, _ := v.(string)
		if !containsFold(accessTokenTypes, s) {
			return fmt.Errorf("token_type %q is not an access token", fmt.Sprint(v))
		}
	}
	if v, ok := ic["token_use"]; ok && v != "access_token" {
		return fmt.Errorf("token_use %q is not an access token", fmt.Sprint(v))
	}
	if _, ok := ic["exp"]; !ok {
		return errors.New("the answer has no exp")
	}
	if _, ok := ic["iss"]; !ok && def(c.IntrospectionIssuer, ClaimRequired) == ClaimRequired {
		return errors.New("the answer has no iss (introspection_issuer: required)")
	}
	if _, ok := ic["aud"]; !ok && def(c.IntrospectionAudience, ClaimRequired) == ClaimRequired {
		return errors.New("the answer has no aud (introspection_audience: required)")
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
