package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// replayKey names a token in the replay store: its jti when it has one,
// else the SHA-256 of the token. Keys are scoped to the issuer.
func replayKey(issuer string, claims map[string]any, raw string) string {
	if jti, ok := claims["jti"].(string); ok && jti != "" && len(jti) <= 256 {
		return "oidc:" + issuer + ":jti:" + jti
	}
	return "oidc:" + issuer + ":sha256:" + tokenHash(raw)
}

func tokenHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// CheckBinding enforces `replay: single-use`. The bridge calls it on every
// request, including those answered from its verification cache, so a
// single-use token is accepted exactly once however it is cached. For other
// replay modes it does nothing.
func (p *Provider) CheckBinding(ctx context.Context, cred providers.Credential, id providers.Identity) error {
	if p.replay != ReplaySingleUse {
		return nil
	}
	raw := cred.Secret.Reveal()
	key := replayKey(p.issuer, id.Claims, raw)
	until := id.Expiry.Add(p.skew)
	if id.Expiry.IsZero() {
		until = p.now().Add(24 * time.Hour)
	}
	fresh, err := p.store.Remember(ctx, key, until)
	if err != nil {
		return fmt.Errorf("oidc: replay: %w", err)
	}
	if !fresh {
		return fmt.Errorf("oidc: replay: %w: single-use token presented again", providers.ErrInvalidCredential)
	}
	return nil
}

// bindFirstUse accepts the same token bytes until they expire but refuses a
// different token that reuses a jti already seen. Without a jti every token
// is distinct and nothing is remembered.
func (p *Provider) bindFirstUse(ctx context.Context, tok *verifiedToken) error {
	jti, ok := tok.claims["jti"].(string)
	if !ok || jti == "" {
		return nil
	}
	until := tok.expiry.Add(p.skew)
	base := replayKey(p.issuer, tok.claims, tok.raw)
	// The first Remember is the atomic claim on the jti; the second tells
	// whether these exact bytes were seen under it before.
	claimed, err := p.store.Remember(ctx, base, until)
	if err != nil {
		return fmt.Errorf("oidc: replay: %w", err)
	}
	newBytes, err := p.store.Remember(ctx, base+":bytes:"+tokenHash(tok.raw), until)
	if err != nil {
		return fmt.Errorf("oidc: replay: %w", err)
	}
	if !claimed && newBytes {
		return fmt.Errorf("oidc: replay: %w: jti already used by another token", providers.ErrInvalidCredential)
	}
	return nil
}

// KeptClaims implements providers.ClaimKeeper: CheckBinding reads jti, the
// replay key of a single-use token, on cached identities too.
func (p *Provider) KeptClaims() []string { return []string{"jti"} }
