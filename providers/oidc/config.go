package oidc

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/regbridge/regbridge/providers/internal/jwks"
	"github.com/regbridge/regbridge/providers/upstream"
)

// Replay modes.
const (
	// ReplayReuse accepts the same token until it expires (docker resends the
	// password on every /token call). The default.
	ReplayReuse = "reuse"
	// ReplaySingleUse accepts a token once, keyed on its jti or, without one,
	// on the SHA-256 of the token.
	ReplaySingleUse = "single-use"
	// ReplayBindFirstUse accepts the same bytes until they expire but refuses
	// a different token that reuses a jti already seen.
	ReplayBindFirstUse = "bind-first-use"
)

// Defaults.
const (
	DefaultSkew            = 30 * time.Second
	DefaultMaxTokenAge     = time.Hour
	DefaultRefreshCooldown = jwks.DefaultCooldown
	DefaultRefreshInterval = jwks.DefaultInterval
	maxSkew                = 5 * time.Minute
)

// Config declares one OIDC issuer. One provider serves exactly one issuer.
type Config struct {
	// Issuer is the exact `iss` string, trailing slash included. Optional for
	// the github-actions and buildkite presets, which have a canonical issuer.
	Issuer string `yaml:"issuer"`
	// Preset names the issuer's claim conventions (see Presets). Default
	// "generic".
	Preset string `yaml:"preset"`
	// Audiences are this bridge's audiences; a token MUST carry one of them.
	// Required and non-empty; provider-default audiences are refused.
	Audiences []string `yaml:"audiences"`
	// Keys are jwks_uri, jwks and algorithms. Without jwks_uri, jwks or
	// jwks_file the JWKS comes from discovery and MUST share the issuer's
	// origin.
	jwks.Keys `yaml:",inline"`
	// JWKSFile is a file holding the JSON Web Key Set, read by New.
	JWKSFile string `yaml:"jwks_file"`
	// Skew is the allowed clock skew for exp, nbf and iat (default 30s, at
	// most 5m).
	Skew time.Duration `yaml:"skew"`
	// MaxTokenAge bounds now − iat (default per preset, 1h for generic).
	MaxTokenAge time.Duration `yaml:"max_token_age"`
	// Replay is reuse (default), single-use or bind-first-use.
	Replay string `yaml:"replay"`
	// GroupsClaim names a claim holding group names (array of strings).
	GroupsClaim string `yaml:"groups_claim"`
	// UsernameClaim names the claim used as the username.
	UsernameClaim string `yaml:"username_claim"`
	// SubjectClaim names the claim used as the stable subject.
	SubjectClaim string `yaml:"subject_claim"`
	// Usernames are Basic usernames under which a non-JWS password is sent to
	// this provider, so that it is refused with a clear reason. A hint only:
	// it never selects keys.
	Usernames []string `yaml:"usernames"`
	// Timeout bounds one discovery or JWKS request (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// RefreshCooldown is the least time between two JWKS fetches triggered
	// by unknown kids (default 1m).
	RefreshCooldown time.Duration `yaml:"refresh_cooldown"`
	// RefreshInterval is how long fetched keys are used before they are
	// refreshed (default 1h; stale keys keep working while the issuer is down).
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// AllowInsecureHTTP permits an http issuer or JWKS URL that is not on
	// loopback. Tests only.
	AllowInsecureHTTP bool `yaml:"allow_insecure_http"`
}

// Validate reports every problem of the configuration, each naming its yaml
// key. It does no I/O and does not modify c.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("oidc: "+format, args...)) }

	preset, ok := lookupPreset(c.presetName())
	if !ok {
		add("preset: unknown preset %q (want one of %s)", c.Preset, strings.Join(PresetNames(), ", "))
	}
	issuer := c.issuer(preset)
	if issuer == "" {
		add("issuer: required")
	} else if err := checkIssuer(issuer, c.AllowInsecureHTTP); err != nil {
		add("issuer: %v", err)
	}
	if len(c.Audiences) == 0 {
		add("audiences: required and must not be empty")
	}
	for i, a := range c.Audiences {
		if err := checkAudience(a, issuer, preset); err != nil {
			add("audiences[%d]: %v", i, err)
		}
	}
	for _, err := range c.Keys.Check(c.AllowInsecureHTTP) {
		add("%v", err)
	}
	sources := 0
	for _, s := range []string{c.JWKSURI, c.JWKS, c.JWKSFile} {
		if s != "" {
			sources++
		}
	}
	if sources > 1 {
		add("jwks_uri, jwks, jwks_file: set at most one")
	}
	if c.Skew < 0 || c.Skew > maxSkew {
		add("skew: must be between 0 and %s", maxSkew)
	}
	if c.MaxTokenAge < 0 || c.MaxTokenAge > 24*time.Hour {
		add("max_token_age: must be between 0 (preset default) and 24h")
	}
	switch c.Replay {
	case "", ReplayReuse, ReplaySingleUse, ReplayBindFirstUse:
	default:
		add("replay: %q is not one of reuse, single-use, bind-first-use", c.Replay)
	}
	for i, u := range c.Usernames {
		if u == "" || u == "*" {
			add("usernames[%d]: %q is not allowed (name the usernames explicitly)", i, u)
		}
	}
	for key, d := range map[string]time.Duration{
		"timeout": c.Timeout, "refresh_cooldown": c.RefreshCooldown, "refresh_interval": c.RefreshInterval,
	} {
		if d < 0 {
			add("%s: must not be negative", key)
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func (c Config) presetName() string {
	if c.Preset == "" {
		return PresetGeneric
	}
	return c.Preset
}

func (c Config) issuer(p preset) string {
	if c.Issuer != "" {
		return c.Issuer
	}
	return p.issuer
}

// checkIssuer enforces an exact, absolute issuer URL: https (http only on
// loopback or when allowed), no credentials, query, fragment, dot segments
// or control characters, at most 255 bytes.
func checkIssuer(iss string, allowInsecure bool) error {
	if len(iss) > 255 {
		return errors.New("longer than 255 bytes")
	}
	if strings.IndexFunc(iss, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("contains whitespace or control characters")
	}
	u, err := upstream.CheckURL(iss, allowInsecure)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(iss, "#") || strings.Contains(iss, "?") {
		return errors.New("must not carry a query or fragment")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e%2e") || strings.EqualFold(seg, "%2e") {
			return errors.New("must not contain dot segments")
		}
	}
	if strings.Contains(strings.TrimPrefix(iss, u.Scheme+"://"), "//") {
		return errors.New("must not contain empty path segments")
	}
	if u.Host != strings.ToLower(u.Host) {
		return errors.New("host must be lower case (issuers are compared exactly)")
	}
	return nil
}

// checkAudience refuses empty audiences and the provider-default audiences a
// token gets when the job asks for none: any job of the platform could
// present those.
func checkAudience(aud, issuer string, p preset) error {
	if strings.TrimSpace(aud) == "" {
		return errors.New("must not be empty")
	}
	if issuer != "" && strings.TrimSuffix(aud, "/") == strings.TrimSuffix(issuer, "/") {
		return errors.New("the issuer itself is not an audience of this bridge")
	}
	for _, prefix := range p.defaultAudiencePrefixes {
		if strings.HasPrefix(aud, prefix) {
			return fmt.Errorf("%q is the issuer's default audience form (%s…): request a bridge audience in the job", aud, prefix)
		}
	}
	if p.name == PresetGitLabCI || p.name == PresetForgejoActions {
		if u, err := url.Parse(issuer); err == nil && u.Host != "" && strings.HasPrefix(aud, u.Scheme+"://"+u.Host) {
			return fmt.Errorf("%q is the instance's default audience form: request a bridge audience in the job", aud)
		}
	}
	return nil
}
