package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// CatalogConfig bounds the registry catalog reads behind the filtered
// catalog and search.
type CatalogConfig struct {
	// TTL is how long one full read of a registry's catalog is reused
	// (default 10s).
	TTL time.Duration
	// MaxNames caps the repositories read from one registry (default
	// 100000); a larger catalog fails the request rather than being cut.
	MaxNames int
	// Client calls the registries (a no-redirect client with a 10s timeout
	// when nil; its CheckRedirect is always replaced).
	Client *http.Client
}

// WithDefaults returns c with empty fields set to their defaults.
func (c CatalogConfig) WithDefaults() CatalogConfig {
	if c.TTL == 0 {
		c.TTL = 10 * time.Second
	}
	if c.MaxNames == 0 {
		c.MaxNames = 100000
	}
	c.Client = upstream.NoRedirects(c.Client, 10*time.Second)
	return c
}

const (
	// catalogReadPage is the page size regbridge asks the registry for:
	// distribution's default catalog.maxentries.
	catalogReadPage = 1000
	// catalogPageBytes caps one page of the registry's answer.
	catalogPageBytes = 1 << 20
	// catalogSubject is the `sub` of the tokens regbridge mints for its own
	// catalog reads.
	catalogSubject = "regbridge-catalog"
	// catalogTokenTTL is their lifetime: the shortest a token may state.
	catalogTokenTTL = MinTokenTTL
)

// catalogScope is the access a registry requires for `GET /v2/_catalog`.
var catalogScope = acl.Scope{Type: "registry", Name: "catalog", Actions: []string{"*"}}

// registryCatalog reads and caches each service's full catalog.
type registryCatalog struct {
	cfg   CatalogConfig
	now   func() time.Time
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]catalogEntry // by service name and registry URL
}

type catalogEntry struct {
	names   []string
	fetched time.Time
}

func newRegistryCatalog(cfg CatalogConfig, now func() time.Time) *registryCatalog {
	return &registryCatalog{cfg: cfg.WithDefaults(), now: now, entries: map[string]catalogEntry{}}
}

// names returns svc's full catalog sorted as distribution sorts it, from
// the cache when it is fresh; concurrent misses make one read. Failures are
// never cached.
func (c *registryCatalog) names(ctx context.Context, svc *serviceState) ([]string, error) {
	key := svc.Name + "\x00" + svc.RegistryURL
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.fetched) < c.cfg.TTL {
		return e.names, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		// One read serves every waiting caller: the first caller leaving
		// must not cancel it (the client's timeout still bounds it).
		names, err := c.read(context.WithoutCancel(ctx), svc)
		if err != nil {
			return nil, err
		}
		now := c.now()
		c.mu.Lock()
		for k, old := range c.entries {
			if now.Sub(old.fetched) >= c.cfg.TTL {
				delete(c.entries, k) // also drops services a reload removed
			}
		}
		c.entries[key] = catalogEntry{names: names, fetched: now}
		c.mu.Unlock()
		return names, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// read walks the registry's catalog pages with a token minted for this read
// only; it is sent to the registry's base URL and nowhere else.
func (c *registryCatalog) read(ctx context.Context, svc *serviceState) ([]string, error) {
	base, err := url.Parse(strings.TrimRight(svc.RegistryURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("bridge: catalog: registry_url: %w", err)
	}
	tok, err := svc.mint(catalogSubject, []acl.Scope{catalogScope}, c.now(), catalogTokenTTL)
	if err != nil {
		return nil, fmt.Errorf("bridge: catalog: mint: %w", err)
	}
	next := base.JoinPath("/v2/_catalog")
	next.RawQuery = url.Values{"n": {fmt.Sprint(catalogReadPage)}}.Encode()
	var all []string
	for next != nil {
		page, link, err := c.readPage(ctx, next, tok)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(all) > c.cfg.MaxNames {
			return nil, fmt.Errorf("bridge: catalog: %s lists more than %d repositories: %w", svc.Name, c.cfg.MaxNames, errCatalogUnavailable)
		}
		if next, err = nextPage(base, link); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(all, comparePath)
	return slices.Compact(all), nil
}

func (c *registryCatalog) readPage(ctx context.Context, u *url.URL, tok string) ([]string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("bridge: catalog: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("bridge: catalog: registry unreachable: %v: %w", err, errCatalogUnavailable)
	}
	defer resp.Body.Close()
	body, err := upstream.ReadBody(resp.Body, catalogPageBytes)
	if err != nil {
		return nil, "", fmt.Errorf("bridge: catalog: %v: %w", err, errCatalogUnavailable)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("bridge: catalog: registry answered %d: %w", resp.StatusCode, errCatalogUnavailable)
	}
	var out struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, "", fmt.Errorf("bridge: catalog: registry body: %v: %w", err, errCatalogUnavailable)
	}
	return out.Repositories, resp.Header.Get("Link"), nil
}

// nextPage resolves a `Link: <…>; rel="next"` header against the registry's
// base URL; a link to another origin or path is an error.
func nextPage(base *url.URL, link string) (*url.URL, error) {
	if link == "" {
		return nil, nil
	}
	target, params, ok := strings.Cut(link, ";")
	target = strings.TrimSpace(target)
	if !ok || !strings.Contains(strings.ReplaceAll(params, " ", ""), `rel="next"`) ||
		!strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
		return nil, fmt.Errorf("bridge: catalog: malformed Link header %q: %w", link, errCatalogUnavailable)
	}
	ref, err := url.Parse(target[1 : len(target)-1])
	if err != nil {
		return nil, fmt.Errorf("bridge: catalog: Link header: %v: %w", err, errCatalogUnavailable)
	}
	u := base.ResolveReference(ref)
	if u.Scheme != base.Scheme || u.Host != base.Host || u.Path != base.JoinPath("/v2/_catalog").Path {
		return nil, fmt.Errorf("bridge: catalog: Link header leaves %s: %w", base.Redacted(), errCatalogUnavailable)
	}
	return u, nil
}

// errCatalogUnavailable marks a registry that could not give its catalog:
// the caller gets a 503.
var errCatalogUnavailable = fmt.Errorf("registry catalog unavailable: %w", providers.ErrUnavailable)

// comparePath orders repository names as distribution's catalog does: by
// bytes, with the path separator before every other byte.
func comparePath(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		ca, cb := a[i], b[i]
		if ca == '/' {
			ca = 0
		}
		if cb == '/' {
			cb = 0
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
