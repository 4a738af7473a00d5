package bridge

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// RefreshOutcome is what a request did with a refresh token, for audit and
// metrics.
type RefreshOutcome string

// Refresh outcomes. Empty means the request neither asked for nor carried a
// refresh token.
const (
	RefreshIssued   RefreshOutcome = "issued"
	RefreshRedeemed RefreshOutcome = "redeemed"
	RefreshRefused  RefreshOutcome = "refused"
	// RefreshNotOffered: a login asked for one (offline) and the provider
	// does not issue refresh tokens.
	RefreshNotOffered RefreshOutcome = "not_offered"
)

// refreshError refuses a refresh token with a reason of its own. It answers
// 401 invalid_grant: a client must log in again.
type refreshError struct {
	reason  string
	message string
	err     error
}

func (e *refreshError) Error() string {
	if e.err != nil {
		return "bridge: refresh token: " + e.message + ": " + e.err.Error()
	}
	return "bridge: refresh token: " + e.message
}

// Unwrap returns ErrInvalidCredential and the cause.
func (e *refreshError) Unwrap() []error { return []error{providers.ErrInvalidCredential, e.err} }

func (e *refreshError) httpError(realm string) httpError {
	return httpError{status: http.StatusUnauthorized, code: "UNAUTHORIZED", oauth: "invalid_grant", message: e.message,
		header: map[string]string{"WWW-Authenticate": `Basic realm="` + realm + `"`}, reason: e.reason}
}

func refused(reason, message string) *refreshError {
	return &refreshError{reason: reason, message: message}
}

// errRefreshAsCredential refuses a refresh token presented as a password, a
// bearer token or a subject token: the router sends it to no provider.
var errRefreshAsCredential = refused("refresh_as_credential",
	"a refresh token is neither a password nor a registry token; redeem it with grant_type=refresh_token")

// volatileClaims are not kept in a refresh token: they describe the ID
// token, not the identity, and would only make the refresh token larger.
var volatileClaims = []string{"exp", "iat", "nbf", "jti", "auth_time", "nonce", "at_hash", "c_hash", "azp", "aud", "iss"}

// identify returns the identity a request acts as: the provider's answer
// for a credential, or the identity a refresh token carries.
func (s *Server) identify(ctx context.Context, st *State, r *http.Request, req *TokenRequest, svc *serviceState, ev *Event) (providers.Identity, error) {
	if req.GrantType != GrantRefreshToken {
		return s.authenticate(ctx, st, r, req, ev)
	}
	ev.Refresh = RefreshRefused
	id, err := s.redeem(ctx, st, r, req, svc, ev)
	if err != nil {
		return providers.Identity{}, err
	}
	ev.Refresh = RefreshRedeemed
	return id, nil
}

// redeem checks a refresh token: seal, service, provider policy, client,
// lifetime, revocation, idle timeout, and for credential-mode tokens the
// provider's answer for the credential now.
func (s *Server) redeem(ctx context.Context, st *State, r *http.Request, req *TokenRequest, svc *serviceState, ev *Event) (providers.Identity, error) {
	c, err := st.sealer.open(req.RefreshToken.Reveal(), s.opts.Limits.MaxCredentialBytes)
	if err != nil {
		return providers.Identity{}, &refreshError{reason: "refresh_malformed",
			message: "the refresh token was not issued by this server or is damaged; log in again", err: err}
	}
	ev.Provider, ev.Subject, ev.RefreshID = c.Provider, c.Subject, c.ID
	if c.Service != svc.Name {
		return providers.Identity{}, refused("refresh_wrong_service",
			fmt.Sprintf("the refresh token was issued for service %q, not %q", c.Service, svc.Name))
	}
	pol, ok := st.refresh[c.Provider]
	if !ok || !pol.Enabled || s.opts.RefreshStore == nil || (c.Identity != nil) != (pol.Mode == RefreshIdentity) {
		return providers.Identity{}, refused("refresh_disabled",
			fmt.Sprintf("provider %q no longer accepts refresh tokens; log in again", c.Provider))
	}
	if pol.BindClientID && req.ClientID != c.ClientID {
		return providers.Identity{}, refused("refresh_wrong_client",
			fmt.Sprintf("the refresh token was issued to client_id %q", c.ClientID))
	}
	now := s.opts.Now()
	iat := time.Unix(c.IssuedAt, 0)
	end := time.Unix(c.Expiry, 0)
	if e := iat.Add(pol.TTL); e.Before(end) {
		end = e
	}
	if !now.Before(end) {
		return providers.Identity{}, refused("refresh_expired", "the refresh token expired; log in again")
	}
	store := s.opts.RefreshStore
	revoked, err := store.RefreshRevokedAt(ctx, revocationKeys(c))
	if err != nil {
		return providers.Identity{}, fmt.Errorf("bridge: refresh token: %w", err)
	}
	if !revoked.IsZero() && c.IssuedAt <= revoked.Unix() {
		return providers.Identity{}, refused("refresh_revoked", "the refresh token was revoked by the operator; log in again")
	}
	alive, err := store.TouchRefresh(ctx, c.ID, pol.Idle, end)
	if err != nil {
		return providers.Identity{}, fmt.Errorf("bridge: refresh token: %w", err)
	}
	if !alive {
		return providers.Identity{}, refused("refresh_idle",
			fmt.Sprintf("the refresh token was not used for %s (or not at a replica sharing this one's state); log in again", pol.Idle))
	}
	id, err := s.refreshIdentity(ctx, st, r, req, c, ev)
	if err != nil {
		return providers.Identity{}, err
	}
	id.Provider = c.Provider
	if id.Expiry.IsZero() || end.Before(id.Expiry) {
		id.Expiry = end
	}
	ev.Subject = id.Subject
	return id, nil
}

// refreshIdentity is the captured identity, or the provider's answer for
// the captured credential, which must still name the same subject.
func (s *Server) refreshIdentity(ctx context.Context, st *State, r *http.Request, req *TokenRequest, c *RefreshClaims, ev *Event) (providers.Identity, error) {
	if c.Identity != nil {
		ev.credKey = sha256.Sum256([]byte("refresh\x00" + c.ID))
		return providers.Identity{
			Subject: c.Subject, Username: c.Identity.Username, Groups: c.Identity.Groups, Grants: c.Identity.Grants,
			Claims: c.Identity.Claims, MaxActions: c.Identity.MaxActions,
		}, nil
	}
	sub := *req
	sub.Account = ""
	sub.Credential = providers.Credential{Scheme: providers.Scheme(c.Credential.Scheme), Username: c.Credential.Username,
		Secret: providers.Secret(c.Credential.Secret)}
	id, err := s.authenticate(ctx, st, r, &sub, ev)
	if errors.Is(err, providers.ErrInvalidCredential) {
		return providers.Identity{}, &refreshError{reason: "refresh_upstream_refused",
			message: "the provider no longer accepts the credential this refresh token was issued for; log in again", err: err}
	}
	if err != nil {
		return providers.Identity{}, err
	}
	if ev.Provider != c.Provider || id.Subject != c.Subject {
		return providers.Identity{}, refused("refresh_identity_changed",
			"the credential behind the refresh token now names another identity; log in again")
	}
	return id, nil
}

// offerRefresh returns the refresh token of a response: the same token on
// a refresh grant, a new one for a login-shaped request when the provider
// issues them, and "" otherwise.
func (s *Server) offerRefresh(ctx context.Context, st *State, svc *serviceState, req *TokenRequest, id providers.Identity, now time.Time, ev *Event) (string, error) {
	if req.GrantType == GrantRefreshToken {
		return req.RefreshToken.Reveal(), nil
	}
	if !req.Offline || id.Anonymous {
		return "", nil
	}
	pol, ok := st.refresh[ev.Provider]
	if !ok || !pol.Enabled || s.opts.RefreshStore == nil {
		ev.Refresh = RefreshNotOffered
		return "", nil
	}
	tid, err := svc.minter.NewID()
	if err != nil {
		return "", err
	}
	c := &RefreshClaims{
		Version: refreshVersion, ID: tid, Audience: refreshAudiencePrefix + svc.Name, Service: svc.Name,
		ClientID: req.ClientID, Provider: ev.Provider, Subject: id.Subject,
		IssuedAt: now.Unix(), Expiry: now.Add(pol.TTL).Unix(),
	}
	switch pol.Mode {
	case RefreshIdentity:
		c.Identity = captureIdentity(id)
	case RefreshCredential:
		cred := req.Credential
		c.Credential = &CapturedCredential{Scheme: string(cred.Scheme), Username: cred.Username, Secret: cred.Secret.Reveal()}
		// The credential is checked again on each redemption: a refresh
		// token past its expiry could never be redeemed.
		if !id.Expiry.IsZero() && id.Expiry.Unix() < c.Expiry {
			c.Expiry = id.Expiry.Unix()
		}
	}
	if time.Duration(c.Expiry-c.IssuedAt)*time.Second < MinTokenTTL {
		ev.Refresh = RefreshNotOffered
		return "", nil
	}
	if err := s.opts.RefreshStore.StartRefresh(ctx, c.ID, pol.Idle, time.Unix(c.Expiry, 0)); err != nil {
		return "", fmt.Errorf("bridge: refresh token: %w", err)
	}
	tok, err := st.sealer.seal(c)
	if err != nil {
		return "", err
	}
	ev.Refresh, ev.RefreshID = RefreshIssued, c.ID
	return tok, nil
}

// captureIdentity keeps what the policy decides on.
func captureIdentity(id providers.Identity) *CapturedIdentity {
	claims := maps.Clone(id.Claims)
	for _, k := range volatileClaims {
		delete(claims, k)
	}
	if len(claims) == 0 {
		claims = nil
	}
	return &CapturedIdentity{Username: id.Username, Groups: id.Groups, Grants: id.Grants, Claims: claims, MaxActions: id.MaxActions}
}

// newRefreshState checks the refresh policies against the providers and
// derives the sealing keys.
func newRefreshState(cfg StateConfig) (map[string]RefreshPolicy, *refreshSealer, error) {
	known := map[string]bool{}
	for _, reg := range cfg.Providers {
		known[reg.ID] = true
	}
	var errs []error
	pols := map[string]RefreshPolicy{}
	for id, p := range cfg.Refresh {
		if !known[id] {
			errs = append(errs, fmt.Errorf("refresh: no provider %q", id))
			continue
		}
		if !p.Enabled {
			continue
		}
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("providers %q: refresh: %w", id, err))
			continue
		}
		pols[id] = p
	}
	if len(cfg.Keys) == 0 {
		return pols, nil, errors.Join(errs...)
	}
	sealer, err := newRefreshSealer(cfg.Keys)
	errs = append(errs, err)
	return pols, sealer, errors.Join(errs...)
}
