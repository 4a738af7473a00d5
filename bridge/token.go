package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// tokenResponse is the body of a successful token request. token and
// access_token carry the same value: clients read different fields first
// (a service with token_fields: access_token sends access_token only).
type tokenResponse struct {
	Token           string `json:"token"`
	AccessToken     string `json:"access_token"`
	ExpiresIn       int    `json:"expires_in"`
	IssuedAt        string `json:"issued_at"`
	Scope           string `json:"scope,omitempty"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	TokenType       string `json:"token_type,omitempty"`
}

// issued is the outcome of a successful decision and mint.
type issued struct {
	token   string
	ttl     time.Duration
	now     time.Time
	granted []acl.Scope
	service string
	id      providers.Identity
	refresh string
	// accessOnly answers access_token without its token copy.
	accessOnly bool
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		// 404, never 405: clients fall back from POST to GET on 404 only.
		http.NotFound(w, r)
		return
	}
	s.serveIssue(w, r, "token", SpanToken, ParseTokenRequest, func(resp *tokenResponse, out *issued) {
		if r.Method == http.MethodPost {
			resp.Scope = scopeString(out.granted)
		}
	})
}

// serveIssue is the path every token endpoint shares: parse, issue, answer,
// and record one event. shape adds the endpoint's own response fields.
func (s *Server) serveIssue(w http.ResponseWriter, r *http.Request, endpoint, spanName string,
	parse func(*http.Request, Limits) (*TokenRequest, error), shape func(*tokenResponse, *issued)) {
	ev := Event{Time: s.opts.Now(), RequestID: s.requestID(), ClientAddr: r.RemoteAddr, Endpoint: endpoint}
	r, span := s.startRequestSpan(r, spanName)
	if span != nil {
		defer endRequestSpan(span, &ev)
	}
	req, err := parse(r, s.opts.Limits)
	if err != nil {
		s.fail(w, r, &ev, err)
		return
	}
	ev.Requested = req.Scopes
	out, err := s.issue(r, req, &ev)
	if err != nil {
		s.fail(w, r, &ev, err)
		return
	}
	s.catalogTokens.remember(req, out)
	resp := tokenResponse{Token: out.token, AccessToken: out.token, ExpiresIn: int(out.ttl / time.Second),
		IssuedAt: issuedAt(out.now), RefreshToken: out.refresh}
	shape(&resp, out)
	s.succeed(w, &ev, &resp, out.accessOnly)
}

// issue authenticates, decides and mints for a parsed request.
func (s *Server) issue(r *http.Request, req *TokenRequest, ev *Event) (*issued, error) {
	st := s.State()
	svc, err := st.service(req.Service)
	if err != nil {
		return nil, err
	}
	ev.Service = svc.Name
	actx, err := s.opts.Abuse.admit(r, req)
	if err != nil {
		return nil, err
	}
	id, err := s.identify(actx, st, r, req, svc, ev)
	if err = s.opts.Abuse.settle(actx, r, req, ev, id, err); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	_, dspan := s.startSpan(r.Context(), SpanDecide)
	dec := st.policy.Decide(id, svc.Name, req.Scopes)
	endSpan(dspan, nil)
	ev.Rules, ev.Dropped = dec.Rules, dec.Dropped
	s.logNotGranted(r.Context(), st, id, svc.Name, req.Scopes, dec, ev)
	if dec.Forbidden != nil {
		return nil, &forbiddenError{rule: dec.Forbidden.Rule, reason: dec.Forbidden.Reason}
	}
	ttl, err := tokenTTL(svc, dec.TTL, id, now)
	if err != nil {
		return nil, err
	}
	refresh, err := s.offerRefresh(r.Context(), st, svc, req, id, now, ev)
	if err != nil {
		return nil, err
	}
	var reuseKey string
	if s.reuse != nil && !id.Anonymous {
		out, key, ok := s.reused(ev, svc, id.Subject, dec.Granted, now, ttl)
		if ok {
			out.service, out.id = svc.Name, id
			out.refresh, out.accessOnly = refresh, svc.TokenFields == TokenFieldsAccessToken
			return out, nil
		}
		reuseKey = key
	}
	_, sspan := s.startSpan(r.Context(), SpanSign)
	tok, err := svc.mint(id.Subject, dec.Granted, now, ttl)
	endSpan(sspan, err)
	if err != nil {
		return nil, err
	}
	if reuseKey != "" {
		s.reuse.put(reuseKey, mintedToken{token: tok, iat: now, exp: now.Add(ttl)})
	}
	ev.Granted = dec.Granted
	return &issued{token: tok, ttl: ttl, now: now, granted: dec.Granted, service: svc.Name, id: id, refresh: refresh,
		accessOnly: svc.TokenFields == TokenFieldsAccessToken}, nil
}

// authenticate turns the request's credential into an identity: anonymous
// when there is none, otherwise the answer of the one provider it routes to.
// Bad credentials never fall back to anonymous.
func (s *Server) authenticate(ctx context.Context, st *State, r *http.Request, req *TokenRequest, ev *Event) (providers.Identity, error) {
	cred := req.Credential
	if cred.Scheme == providers.SchemeNone {
		ev.Anonymous = true
		return providers.Identity{Anonymous: true}, nil
	}
	if len(cred.Secret) > s.opts.Limits.MaxCredentialBytes {
		return providers.Identity{}, badRequest("credential longer than %d bytes", s.opts.Limits.MaxCredentialBytes)
	}
	cred.Request = s.requestInfo(r)
	reg, err := st.router.Route(cred)
	if err != nil {
		return providers.Identity{}, err
	}
	ev.Provider = reg.ID
	key := cacheKey(reg, cred)
	ev.CredentialHash, ev.credKey = s.credHash.hash(key), key
	pctx, pspan := s.startSpan(ctx, SpanProvider)
	start := s.opts.Now()
	id, hit, err := st.cache.authenticate(pctx, key, reg, cred, st.keep[reg.ID])
	ev.CacheHit = hit
	if !hit {
		ev.Upstream, ev.UpstreamOutcome = s.opts.Now().Sub(start), upstreamOutcome(err)
	}
	providerSpanEnd(pspan, reg.ID, hit, err)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("bridge: provider %q: %w", reg.ID, err)
	}
	if bc, ok := reg.Provider.(providers.BindingChecker); ok {
		if err := bc.CheckBinding(ctx, cred, id); err != nil {
			return providers.Identity{}, fmt.Errorf("bridge: provider %q: binding: %w", reg.ID, err)
		}
	}
	if !id.Expiry.IsZero() && !s.opts.Now().Before(id.Expiry) {
		return providers.Identity{}, fmt.Errorf("bridge: provider %q: credential expired: %w", reg.ID, providers.ErrInvalidCredential)
	}
	if req.Account != "" && reg.route.Users != nil && reg.route.Users(cred.Username) && req.Account != cred.Username {
		return providers.Identity{}, badRequest("account %q does not match the authenticated user", req.Account)
	}
	if id, err = s.withForgePermissions(ctx, st, reg, cred, key, id, ev.Service, req.Scopes); err != nil {
		return providers.Identity{}, err
	}
	ev.Subject = id.Subject
	return id, nil
}

// requestInfo describes r for sender-constraint checks. The URL is rebuilt
// from the configured public URL, never from the Host header.
func (s *Server) requestInfo(r *http.Request) providers.RequestInfo {
	url := s.tokenURL
	if r.URL.Path != s.opts.TokenPath {
		url = s.opts.PublicURL + r.URL.Path
	}
	info := providers.RequestInfo{
		Method:     r.Method,
		URL:        url,
		RemoteAddr: r.RemoteAddr,
		Header:     r.Header,
	}
	// Only certificates that verified against tls.client_ca count.
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		info.PeerCertificates = r.TLS.VerifiedChains[0]
	}
	return info
}

// service resolves the requested service; with one configured service an
// absent parameter means that one.
func (st *State) service(name string) (*serviceState, error) {
	if name == "" {
		if st.defaultService == "" {
			return nil, badRequest("the service parameter is required")
		}
		name = st.defaultService
	}
	svc, ok := st.services[name]
	if !ok {
		return nil, badRequest("unknown service %q: this server issues tokens for %s", name, st.serviceNames())
	}
	return svc, nil
}

func (st *State) serviceNames() string {
	names := make([]string, 0, len(st.services))
	for n := range st.services {
		names = append(names, fmt.Sprintf("%q", n))
	}
	return strings.Join(names, ", ")
}

// errExpiresTooSoon refuses a credential whose remaining life is shorter than
// the shortest token lifetime clients accept.
var errExpiresTooSoon = fmt.Errorf("bridge: credential expires in less than %s: %w", MinTokenTTL, providers.ErrInvalidCredential)

// tokenTTL is the service's TTL, or the policy's when it set one, capped by
// the service maximum and by the credential's expiry, and never below 60 s.
func tokenTTL(svc *serviceState, policyTTL time.Duration, id providers.Identity, now time.Time) (time.Duration, error) {
	ttl := svc.TokenTTL
	if policyTTL > 0 {
		ttl = policyTTL
	}
	ttl = min(ttl, svc.MaxTokenTTL)
	ttl = max(ttl, MinTokenTTL)
	if !id.Expiry.IsZero() {
		left := id.Expiry.Sub(now).Truncate(time.Second)
		if left < MinTokenTTL {
			return 0, errExpiresTooSoon
		}
		ttl = min(ttl, left)
	}
	return ttl, nil
}

func scopeString(granted []acl.Scope) string {
	parts := make([]string, len(granted))
	for i, g := range granted {
		parts[i] = g.String()
	}
	return strings.Join(parts, " ")
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, ev *Event, err error) {
	he := classify(err, s.opts.Realm)
	ev.Outcome = he.outcome()
	ev.Status, ev.Reason = he.status, he.reason
	// A refused credential is routine (and, in a password spray, a line per
	// guess): the audit log keeps one record per decision, the operational
	// log only says so at debug level. Upstream and internal failures warn.
	lvl := slog.LevelDebug
	if he.status >= 500 {
		lvl = slog.LevelWarn
	}
	if ctx := r.Context(); s.log.Enabled(ctx, lvl) { // the attributes cost allocations
		s.log.Log(ctx, lvl, "token request refused", "request_id", ev.RequestID,
			"status", he.status, "reason", he.reason, "provider", ev.Provider, "err", err)
	}
	writeHTTPError(w, he, ev.RequestID)
	s.observe(ev)
}

func (s *Server) succeed(w http.ResponseWriter, ev *Event, resp *tokenResponse, accessOnly bool) {
	ev.Outcome, ev.Status = OutcomeIssued, http.StatusOK
	if !s.commitAudit(w, ev) {
		return
	}
	writeTokenAnswer(w, resp, accessOnly)
	s.observe(ev)
}

func (s *Server) observe(ev *Event) {
	if s.opts.Observer == nil {
		return
	}
	ev.Latency = s.opts.Now().Sub(ev.Time)
	s.opts.Observer.Observe(*ev)
}

func scopeStrings(list []acl.Scope) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.String()
	}
	return out
}
