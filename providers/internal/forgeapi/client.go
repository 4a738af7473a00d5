package forgeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
	"github.com/regbridge/regbridge/providers/upstream"
)

// DefaultMaxBody caps one answer of a forge API unless the adapter sets
// another cap.
const DefaultMaxBody = 1 << 20

// Client calls one forge's API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	http    *http.Client
	maxBody int64
	agent   string
}

// Options configure a Client.
type Options struct {
	// BaseURL is the API root, e.g. https://gitea.example.com/api/v1 or
	// https://api.github.com. MUST be https except on loopback (or with
	// AllowInsecureHTTP).
	BaseURL string
	// HTTPClient is the client to wrap; its transport is kept, redirects
	// are refused and Timeout bounds each call.
	HTTPClient *http.Client
	// Timeout bounds one call. Zero means upstream.DefaultTimeout.
	Timeout time.Duration
	// MaxBody caps one answer. Zero means DefaultMaxBody.
	MaxBody int64
	// AllowInsecureHTTP permits plain http on any host.
	AllowInsecureHTTP bool
}

// New checks the base URL and builds a client. It does no I/O.
func New(o Options) (*Client, error) {
	u, err := upstream.CheckURL(o.BaseURL, o.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("forgeapi: base URL %q must not carry a query or fragment", o.BaseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c := &Client{base: u, http: upstream.NoRedirects(o.HTTPClient, o.Timeout), maxBody: o.MaxBody, agent: "regbridge"}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	return c, nil
}

// BaseURL returns the API root the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// Auth is how a request carries the credential.
type Auth struct {
	// Token is sent as `Authorization: <TokenType> <token>` through an
	// oauth2.Transport. TokenType "" means Bearer.
	Token     providers.Secret
	TokenType string
	// Username and Password, when Password is set, are sent as Basic
	// instead (forges that accept account passwords, an explicit opt-in).
	Username string
	Password providers.Secret
	// Header, when set, sends Token in this header instead of
	// Authorization (GitLab's PRIVATE-TOKEN).
	Header string
}

// Response is a forge answer whose body was read in full, within the cap.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode checks the body strictly (strictjson) and decodes it into v.
func (r *Response) Decode(v any) error {
	if err := strictjson.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("forgeapi: status %d: %w", r.Status, err)
	}
	return nil
}

// Get sends GET base+path?query with auth. path is joined to the base path
// as given (callers escape path segments with url.PathEscape). A transport
// error, a timeout, a redirect or a body over the cap is an
// *providers.UnavailableError; every answer the forge gave is returned as a
// Response for the adapter to classify.
func (c *Client) Get(ctx context.Context, auth Auth, path string, query url.Values) (*Response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		unescaped, err := url.PathUnescape(path)
		if err != nil {
			return nil, fmt.Errorf("forgeapi: path %q: %w", path, err)
		}
		u.Path = c.base.Path + unescaped
		u.RawPath = c.base.EscapedPath() + path
	}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	return c.get(ctx, auth, u.String())
}

func (c *Client) get(ctx context.Context, auth Auth, rawURL string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, Unavailable(0, fmt.Errorf("forgeapi: build request: %w", err))
	}
	if req.URL.Scheme != c.base.Scheme || req.URL.Host != c.base.Host {
		return nil, fmt.Errorf("forgeapi: %s is not on the forge's base URL: %w", req.URL.Redacted(), providers.ErrUnavailable)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	hc := c.http
	switch {
	case auth.Password != "":
		req.SetBasicAuth(auth.Username, auth.Password.Reveal())
	case auth.Header != "":
		req.Header.Set(auth.Header, auth.Token.Reveal())
	case auth.Token != "":
		hc = c.withToken(auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, upstream.ErrRedirect) {
			return nil, Unavailable(0, fmt.Errorf("forgeapi: GET %s: %w", req.URL.Path, upstream.ErrRedirect))
		}
		return nil, Unavailable(0, fmt.Errorf("forgeapi: GET %s: %w", req.URL.Path, scrub(err)))
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, c.maxBody)
	if err != nil {
		return nil, Unavailable(0, fmt.Errorf("forgeapi: GET %s: status %d: %w", req.URL.Path, resp.StatusCode, err))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// withToken returns a client whose transport adds the token (x/oauth2), on
// top of the hardened client's own transport, redirect refusal and timeout.
func (c *Client) withToken(auth Auth) *http.Client {
	typ := auth.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	base := c.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp := *c.http
	cp.Transport = roundTripper{&oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: auth.Token.Reveal(), TokenType: typ}),
		Base:   base,
	}}
	return &cp
}

// roundTripper hides oauth2.Transport's deprecated CancelRequest, which
// net/http would otherwise call (and which logs a warning) on a timeout;
// cancellation goes through the request context.
type roundTripper struct{ rt http.RoundTripper }

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return t.rt.RoundTrip(r) }

// scrub keeps a transport error's kind but drops the URL, which carries no
// secret here but may carry a query.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// Unavailable wraps err as a temporary failure with a retry hint.
func Unavailable(retry time.Duration, err error) error {
	return &providers.UnavailableError{RetryAfter: retry, Err: err}
}
