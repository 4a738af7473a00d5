package oidc_test

// Adversarial cases 7–9, 15, 16 and 24 of federation.md §11: audience, time,
// replay, claim types, malformed JSON and sender-constraint downgrade.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func TestAdversarial07AudienceComesFromConfigAndMustBePresent(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	e.warm()
	many := make([]any, 10000)
	for i := range many {
		many[i] = "a"
	}
	for name, value := range map[string]any{
		"missing":                     nil,
		"empty array":                 []any{},
		"array of one empty string":   []any{""},
		"GitHub default owner URL":    "https://github.com/stellaops",
		"another service's audience":  "other.example.com",
		"a number":                    json.Number("12"),
		"an array holding a number":   []any{aud, 1},
		"10,000 audiences":            many,
		"case variant of our service": strings.ToUpper(aud),
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			c := e.claims()
			if value == nil {
				delete(c, "aud")
			} else {
				c["aud"] = value
			}
			e.mustRefuse(t, e.is.Mint(c))
		})
	}
	t.Run("several audiences including ours pass", func(t *testing.T) {
		c := e.claims()
		c["aud"] = []any{aud, "https://evil"}
		e.mustAccept(t, e.is.Mint(c))
	})
	t.Run("configuration refuses no audiences and provider defaults", func(t *testing.T) {
		for name, cfg := range map[string]oidc.Config{
			"no audiences":        {Issuer: "https://issuer.example"},
			"empty audience":      {Issuer: "https://issuer.example", Audiences: []string{""}},
			"GitHub owner URL":    {Preset: oidc.PresetGitHubActions, Audiences: []string{"https://github.com/octo-org"}},
			"GitLab instance URL": {Preset: oidc.PresetGitLabCI, Issuer: "https://gitlab.com", Audiences: []string{"https://gitlab.com"}},
			"Forgejo owner URL": {Preset: oidc.PresetForgejoActions, Issuer: "https://codeberg.org/api/actions",
				Audiences: []string{"https://codeberg.org/owner"}},
		} {
			if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "audiences") {
				t.Errorf("%s: Validate = %v, want an audiences error", name, err)
			}
		}
	})
}

func TestAdversarial08TimeChecksUseOnlyTheConfiguredSkew(t *testing.T) {
	const skew = 30 * time.Second
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Skew = skew; c.MaxTokenAge = 10 * time.Minute })
	e.warm()
	now := e.clock.Now()
	at := func(d time.Duration) json.Number { return json.Number(itoa(now.Add(d).Unix())) }
	cases := []struct {
		name   string
		set    map[string]any
		accept bool
	}{
		{"exp one second past the skew is refused", map[string]any{"exp": at(-skew - time.Second), "iat": at(-time.Minute), "nbf": at(-time.Minute)}, false},
		{"exp exactly at the skew is accepted", map[string]any{"exp": at(-skew), "iat": at(-time.Minute), "nbf": at(-time.Minute)}, true},
		{"nbf one second beyond the skew is refused", map[string]any{"nbf": at(skew + time.Second)}, false},
		{"nbf exactly at the skew is accepted", map[string]any{"nbf": at(skew)}, true},
		{"nbf two minutes ahead gets no five-minute slack", map[string]any{"nbf": at(2 * time.Minute)}, false},
		{"iat in the future is refused", map[string]any{"iat": at(skew + time.Second)}, false},
		{"iat older than max_token_age with exp six hours away is refused", map[string]any{"iat": at(-11 * time.Minute), "nbf": at(-11 * time.Minute), "exp": at(6 * time.Hour)}, false},
		{"exp missing is refused", map[string]any{"exp": nil}, false},
		{"iat missing is refused", map[string]any{"iat": nil}, false},
		{"exp as a string is refused", map[string]any{"exp": itoa(now.Add(time.Minute).Unix())}, false},
		{"exp as a float is refused", map[string]any{"exp": json.Number(itoa(now.Add(time.Minute).Unix()) + ".5")}, false},
		{"exp of 1e30 is refused", map[string]any{"exp": json.Number("1e30")}, false},
		{"exp as a huge integer is refused", map[string]any{"exp": json.Number("1000000000000000000000000000000")}, false},
		{"exp before iat is refused", map[string]any{"exp": at(time.Second), "iat": at(2 * time.Second)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.claims()
			for k, v := range tc.set {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			_, err := e.auth(e.is.Mint(c))
			if tc.accept && err != nil {
				t.Fatalf("err = %v, want acceptance", err)
			}
			if !tc.accept && !errors.Is(err, providers.ErrInvalidCredential) {
				t.Fatalf("err = %v, want ErrInvalidCredential", err)
			}
		})
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestAdversarial09Replay(t *testing.T) {
	ctx := context.Background()
	t.Run("reuse (default) accepts the same token until it expires", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, nil)
		tok := e.is.Mint(e.claims())
		for range 5 {
			id := e.mustAccept(t, tok)
			if err := e.p.CheckBinding(ctx, basic(tok), id); err != nil {
				t.Fatalf("CheckBinding: %v", err)
			}
		}
		e.clock.Advance(6 * time.Minute)
		e.mustRefuse(t, tok)
	})
	t.Run("single-use accepts a token once, cached or not", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Replay = oidc.ReplaySingleUse })
		tok := e.is.Mint(e.claims())
		id := e.mustAccept(t, tok)
		if err := e.p.CheckBinding(ctx, basic(tok), id); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := e.p.CheckBinding(ctx, basic(tok), id); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("second use (cache hit): err = %v, want ErrInvalidCredential", err)
		}
	})
	t.Run("single-use without jti is keyed on the token hash", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{Alg: "RS256"}, func(c *oidc.Config) { c.Replay = oidc.ReplaySingleUse })
		c := e.claims()
		delete(c, "jti")
		tok1, tok2 := e.is.Mint(c), e.is.Mint(c) // RSA PKCS#1 v1.5 is deterministic: same bytes
		c["sub"] = "other"
		tok3 := e.is.Mint(c)
		for i, tc := range []struct {
			tok  string
			want bool
		}{{tok1, true}, {tok2, false}, {tok3, true}} {
			id := e.mustAccept(t, tc.tok)
			err := e.p.CheckBinding(ctx, basic(tc.tok), id)
			if (err == nil) != tc.want {
				t.Errorf("token %d: CheckBinding = %v, want ok=%v", i+1, err, tc.want)
			}
		}
	})
	t.Run("single-use is atomic across concurrent requests", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Replay = oidc.ReplaySingleUse })
		tok := e.is.Mint(e.claims())
		id := e.mustAccept(t, tok)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if e.p.CheckBinding(ctx, basic(tok), id) == nil {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := ok.Load(); n != 1 {
			t.Fatalf("%d concurrent uses accepted, want exactly 1", n)
		}
	})
	t.Run("bind-first-use accepts the same bytes and refuses another token with a seen jti", func(t *testing.T) {
		e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Replay = oidc.ReplayBindFirstUse })
		c := e.claims()
		tok := e.is.Mint(c)
		for range 5 {
			e.mustAccept(t, tok)
		}
		c["sub"] = "someone-else"
		e.mustRefuse(t, e.is.Mint(c))
	})
}

func TestAdversarial15RequiredClaimTypesAreNotCoerced(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Preset = oidc.PresetGitHubActions })
	base := githubClaims(e, "push", "refs/heads/main")
	e.mustAccept(t, e.is.Mint(base))
	for name, value := range map[string]any{
		"owner id as a float":    json.Number("1234567.0"),
		"owner id as an array":   []any{"1234567"},
		"owner id as a bool":     true,
		"owner id as an object":  map[string]any{"id": "1234567"},
		"owner id as empty":      "",
		"owner id negative":      json.Number("-1"),
		"owner id with exponent": json.Number("1.234567e6"),
	} {
		t.Run(name+" is refused", func(t *testing.T) {
			c := oidctest.Clone(base)
			c["repository_owner_id"] = value
			e.mustRefuse(t, e.is.Mint(c))
		})
	}
	t.Run("owner id as an integer number is canonicalized into the subject", func(t *testing.T) {
		c := oidctest.Clone(base)
		c["repository_id"] = json.Number("74")
		if id := e.mustAccept(t, e.is.Mint(c)); id.Subject != "74" {
			t.Fatalf("subject = %q, want 74", id.Subject)
		}
	})
	t.Run("groups as a string is refused, not split", func(t *testing.T) {
		g := newEnv(t, oidctest.Options{}, nil)
		c := g.claims()
		c["groups"] = "contractors,admins"
		g.mustRefuse(t, g.is.Mint(c))
		c["groups"] = []any{"admins", json.Number("1")}
		g.mustRefuse(t, g.is.Mint(c))
		c["groups"] = []any{"admins"}
		if id := g.mustAccept(t, g.is.Mint(c)); len(id.Groups) != 1 || id.Groups[0] != "admins" {
			t.Fatalf("groups = %q, want [admins]", id.Groups)
		}
	})
}

func rawToken(t *testing.T, e *env, header, payload string) string {
	t.Helper()
	tok, err := oidctest.SignRaw(e.is.Signer(), e.is.Signer().Alg, nil, []byte(header), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAdversarial16MalformedJSONAndLimitsAreRefused(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, func(c *oidc.Config) { c.Preset = oidc.PresetGitHubActions })
	good := githubClaims(e, "push", "refs/heads/main")
	body := string(mustJSON(good))
	hdr := string(mustJSON(e.header()))
	e.mustAccept(t, rawToken(t, e, hdr, body))
	cases := map[string][2]string{
		"duplicate claim, last one wins in encoding/json": {hdr, strings.TrimSuffix(body, "}") + `,"repository_owner_id":"999"}`},
		"duplicate alg in the header":                     {strings.TrimSuffix(hdr, "}") + `,"alg":"none"}`, body},
		"non-UTF-8 bytes":                                 {hdr, strings.TrimSuffix(body, "}") + ",\"x\":\"\xff\xfe\"}"},
		"nesting depth 10,000":                            {hdr, strings.TrimSuffix(body, "}") + `,"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}"},
		"trailing data after the claims":                  {hdr, body + "{}"},
		"claims that are an array":                        {hdr, "[" + body + "]"},
	}
	for name, hp := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			e.mustRefuse(t, rawToken(t, e, hp[0], hp[1]))
		})
	}
	tok := rawToken(t, e, hdr, body)
	parts := strings.Split(tok, ".")
	std := func(s string) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return base64.StdEncoding.EncodeToString(b)
	}
	for name, bad := range map[string]string{
		"a 1 MB token":                  tok + strings.Repeat("A", 1<<20),
		"base64 with padding":           parts[0] + "=." + parts[1] + "." + parts[2],
		"base64 standard alphabet":      std(parts[0]) + "." + std(parts[1]) + "." + parts[2],
		"a newline inside the encoding": parts[0] + "\n." + parts[1] + "." + parts[2],
		"JSON serialization":            `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"four parts":                    tok + ".AAAA",
		"an empty string":               "",
	} {
		t.Run(name+" is refused", func(t *testing.T) { e.mustRefuse(t, bad) })
	}
}

func TestAdversarial24SenderConstrainedTokensAreNotAcceptedAsPasswords(t *testing.T) {
	e := newEnv(t, oidctest.Options{}, nil)
	e.warm()
	for name, cnf := range map[string]any{
		"DPoP-bound (cnf.jkt)":      map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
		"mTLS-bound (cnf.x5t#S256)": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
	} {
		c := e.claims()
		c["cnf"] = cnf
		tok := e.is.Mint(c)
		for _, scheme := range []providers.Scheme{providers.SchemeBasic, providers.SchemeBearer} {
			t.Run(name+" as "+string(scheme), func(t *testing.T) {
				cred := providers.Credential{Scheme: scheme, Secret: providers.Secret(tok)}
				if _, err := e.p.Authenticate(context.Background(), cred); !errors.Is(err, providers.ErrInvalidCredential) {
					t.Fatalf("err = %v, want ErrInvalidCredential", err)
				}
			})
		}
	}
	t.Run("an ID token under the DPoP scheme is refused", func(t *testing.T) {
		cred := providers.Credential{Scheme: providers.SchemeDPoP, Secret: providers.Secret(e.is.Mint(e.claims()))}
		if _, err := e.p.Authenticate(context.Background(), cred); !errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("err = %v, want ErrInvalidCredential", err)
		}
	})
}
