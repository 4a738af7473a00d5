package jwks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/providers/upstream"
)

// DefaultAlgorithms is the algorithm allow-list when none is configured.
var DefaultAlgorithms = []string{"RS256", "ES256"}

// SupportedAlgorithms are the asymmetric JWS algorithms an issuer may be
// allowed. `none` and HMAC are never among them.
var SupportedAlgorithms = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
}

// Keys are the key settings every JWS-verifying adapter declares. Adapters
// embed it with `yaml:",inline"` and add their own key sources (a key file,
// an explicit discovery switch).
type Keys struct {
	// JWKSURI is an explicit JWKS URL, on any origin the operator chooses;
	// discovery is then skipped.
	JWKSURI string `yaml:"jwks_uri"`
	// JWKS is an inline JSON Web Key Set (air-gapped clusters). No network
	// I/O happens for keys given inline.
	JWKS string `yaml:"jwks"`
	// Algorithms is the signature algorithm allow-list. It is never taken
	// from the token or from discovery. Default RS256 and ES256.
	Algorithms []string `yaml:"algorithms"`
}

// AlgorithmList returns the configured algorithms, or DefaultAlgorithms.
func (k Keys) AlgorithmList() []string {
	if len(k.Algorithms) == 0 {
		return slices.Clone(DefaultAlgorithms)
	}
	return slices.Clone(k.Algorithms)
}

// Check reports every problem of the key settings, each starting with its
// yaml key. Whether the sources combine is for the adapter to say. It does
// no I/O.
func (k Keys) Check(allowInsecureHTTP bool) []error {
	var errs []error
	for i, a := range k.Algorithms {
		if !slices.Contains(SupportedAlgorithms, a) {
			errs = append(errs, fmt.Errorf("algorithms[%d]: %q is not allowed (want one of %s; none and HMAC are never allowed)",
				i, a, strings.Join(SupportedAlgorithms, ", ")))
		}
	}
	if k.JWKSURI != "" {
		if _, err := upstream.CheckURL(k.JWKSURI, allowInsecureHTTP); err != nil {
			errs = append(errs, fmt.Errorf("jwks_uri: %w", err))
		}
	}
	if k.JWKS != "" {
		if _, err := Parse([]byte(k.JWKS)); err != nil {
			errs = append(errs, fmt.Errorf("jwks: %w", err))
		}
	}
	return errs
}
