package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// maxToken caps a token read from any source.
const maxToken = 64 << 10

// The issuers whose tokens are requested with an audience.
const (
	githubIssuer    = "https://token.actions.githubusercontent.com"
	buildkiteIssuer = "https://agent.buildkite.com"
)

// credential is what a source produced for one registry.
type credential struct {
	secret providers.Secret
	source string
}

// credential discovers the registry's regbridge and asks the registry's
// source for a token. saToken, when set, is the pod's service-account token
// the kubelet passed. A registry not served by a trusted regbridge gets
// errNotFound (and a note on stderr).
func (h *helper) credential(ctx context.Context, host string, reg Registry, saToken providers.Secret) (credential, error) {
	t, err := h.discover(ctx, host, reg)
	if errors.Is(err, errNoRegbridge) {
		fmt.Fprintln(h.stderr, "docker-credential-regbridge:", err)
		return credential{}, errNotFound
	}
	if err != nil {
		return credential{}, err
	}
	if saToken != "" {
		return credential{secret: saToken, source: "kubelet service account"}, nil
	}
	src, err := h.pick(host, reg)
	if err != nil {
		return credential{}, err
	}
	tok, err := h.token(ctx, src, host, reg, t)
	if err != nil {
		return credential{}, err
	}
	return credential{secret: tok, source: src}, nil
}

// pick resolves "auto" from the environment: the CI system that is
// running, else a stored login.
func (h *helper) pick(host string, reg Registry) (string, error) {
	if s := reg.source(); s != sourceAuto {
		return s, nil
	}
	switch {
	case h.getenv("GITHUB_ACTIONS") == "true" && h.getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "":
		return sourceGitHubActions, nil
	case h.getenv("GITLAB_CI") == "true":
		return sourceGitLabCI, nil
	case h.getenv("BUILDKITE") == "true":
		return sourceBuildkite, nil
	case h.getenv("CIRCLECI") == "true":
		return sourceCircleCI, nil
	}
	if st, err := os.Stat(kubernetesFile(reg)); err == nil && st.Mode().IsRegular() {
		return sourceKubernetes, nil
	}
	if ok, err := h.hasLogin(host); err != nil {
		return "", err
	} else if ok {
		return sourceLogin, nil
	}
	return "", errNotFound
}

func kubernetesFile(reg Registry) string {
	if reg.File != "" {
		return reg.File
	}
	return defaultKubernetesToken
}

// token runs source src once: every call yields the token as of now.
func (h *helper) token(ctx context.Context, src, host string, reg Registry, t *target) (providers.Secret, error) {
	var raw []byte
	var err error
	switch src {
	case sourceGitHubActions:
		aud, aerr := audience(reg, t, githubIssuer)
		if aerr != nil {
			return "", aerr
		}
		raw, err = h.githubToken(ctx, aud)
	case sourceGitLabCI:
		name := reg.Variable
		if name == "" {
			name = defaultGitLabVariable
		}
		raw, err = h.envToken(name, "the job's id_tokens entry")
	case sourceBuildkite:
		aud, aerr := audience(reg, t, buildkiteIssuer)
		if aerr != nil {
			return "", aerr
		}
		agent := reg.BuildkiteAgent
		if agent == "" {
			agent = "buildkite-agent"
		}
		raw, err = h.command(ctx, []string{agent, "oidc", "request-token", "--audience", aud}, nil)
	case sourceCircleCI:
		raw, err = h.envToken("CIRCLE_OIDC_TOKEN_V2", "CircleCI's OIDC token")
	case sourceKubernetes, sourceFile:
		raw, err = readTokenFile(kubernetesFile(reg))
	case sourceEnv:
		raw, err = h.envToken(reg.Variable, "the configured variable")
	case sourceCommand:
		raw, err = h.command(ctx, reg.Command, []string{"REGBRIDGE_REGISTRY=" + host})
	case sourceLogin:
		return h.loginToken(ctx, host, t)
	default:
		return "", fmt.Errorf("helper: unknown source %q", src)
	}
	if err != nil {
		return "", fmt.Errorf("helper: %s: %w", src, err)
	}
	tok, err := cleanToken(raw)
	if err != nil {
		return "", fmt.Errorf("helper: %s: %w", src, err)
	}
	return tok, nil
}

// audience is the configured audience, else the first one regbridge's
// metadata lists for the source's issuer.
func audience(reg Registry, t *target, issuer string) (string, error) {
	if reg.Audience != "" {
		return reg.Audience, nil
	}
	if reg.Issuer != "" {
		issuer = reg.Issuer
	}
	if aud, ok := t.audienceFor(issuer); ok {
		return aud, nil
	}
	return "", fmt.Errorf("helper: regbridge's metadata lists no audience for issuer %s and none is configured (audience)", issuer)
}

// githubToken asks the Actions runtime for an ID token with audience aud:
// GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=aud with the request token as
// Bearer; the answer is {"value": "<JWT>"}.
func (h *helper) githubToken(ctx context.Context, aud string) ([]byte, error) {
	reqURL, bearer := h.getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), h.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if reqURL == "" || bearer == "" {
		return nil, errors.New("ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN are not set (the job needs permissions: id-token: write)")
	}
	u, err := upstream.CheckURL(reqURL, false)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("audience", aud)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json; api-version=2.0")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token request: %w", redactURL(err))
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, maxToken)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token request: %s", resp.Status)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := jsonStrict(body, &v); err != nil || v.Value == "" {
		return nil, errors.New("token request: the answer has no value")
	}
	return []byte(v.Value), nil
}

// redactURL drops the URL from a client error (the request URL of GitHub
// carries a signed run token).
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (h *helper) envToken(name, what string) ([]byte, error) {
	v := h.getenv(name)
	if v == "" {
		return nil, fmt.Errorf("%s is not set (%s)", name, what)
	}
	return []byte(v), nil
}

// readTokenFile reads the file anew on every call (projected tokens are
// rotated in place by the kubelet).
func readTokenFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return upstream.ReadBody(f, maxToken)
}

// cleanToken trims surrounding whitespace and refuses an empty token or one
// with control characters or inner spaces.
func cleanToken(raw []byte) (providers.Secret, error) {
	tok := bytes.TrimSpace(raw)
	if len(tok) == 0 {
		return "", errors.New("the token is empty")
	}
	if len(tok) > maxToken {
		return "", errors.New("the token is too long")
	}
	for _, c := range tok {
		if c <= ' ' || c == 0x7f {
			return "", errors.New("the token contains whitespace or control characters")
		}
	}
	return providers.Secret(strings.Clone(string(tok))), nil
}
