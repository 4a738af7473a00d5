package bridge

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// permissionCache remembers forge answers about one repository for one
// credential, for the provider's PermissionTTL (never past the identity's
// expiry). Errors are never cached; concurrent misses for one key make one
// forge call.
type permissionCache struct {
	lru   *lru.Cache[[32]byte, permissionEntry]
	now   func() time.Time
	group singleflight.Group
}

type permissionEntry struct {
	perm    providers.Permission
	expires time.Time
}

func newPermissionCache(size int, now func() time.Time) *permissionCache {
	c := &permissionCache{now: now}
	if size > 0 {
		c.lru, _ = lru.New[[32]byte, permissionEntry](size)
	}
	return c
}

// permissionKey binds an answer to the credential (its cache key, which
// already hashes the provider id and the secret) and the repository.
func permissionKey(credKey [32]byte, repo string) [32]byte {
	h := sha256.New()
	h.Write(credKey[:])
	h.Write([]byte{0})
	h.Write([]byte(repo))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// lookup returns the cached answer or asks the provider once for all
// concurrent callers.
func (c *permissionCache) lookup(ctx context.Context, rp providers.RepositoryPermissioner, credKey [32]byte,
	cred providers.Credential, id providers.Identity, repo string) (providers.Permission, error) {
	key := permissionKey(credKey, repo)
	if p, ok := c.get(key); ok {
		return p, nil
	}
	v, err, _ := c.group.Do(string(key[:]), func() (any, error) {
		if p, ok := c.get(key); ok {
			return p, nil
		}
		p, err := rp.RepositoryPermission(context.WithoutCancel(ctx), cred, id, repo)
		if err != nil {
			return providers.PermissionNone, err
		}
		c.store(key, p, rp.PermissionTTL(), id.Expiry)
		return p, nil
	})
	p, _ := v.(providers.Permission)
	return p, err
}

func (c *permissionCache) get(key [32]byte) (providers.Permission, bool) {
	if c.lru == nil {
		return providers.PermissionNone, false
	}
	e, ok := c.lru.Get(key)
	if !ok {
		return providers.PermissionNone, false
	}
	if !c.now().Before(e.expires) {
		c.lru.Remove(key)
		return providers.PermissionNone, false
	}
	return e.perm, true
}

func (c *permissionCache) store(key [32]byte, p providers.Permission, ttl time.Duration, expiry time.Time) {
	if c.lru == nil || ttl <= 0 {
		return
	}
	now := c.now()
	until := now.Add(ttl)
	if !expiry.IsZero() && expiry.Before(until) {
		until = expiry
	}
	if now.Before(until) {
		c.lru.Add(key, permissionEntry{perm: p, expires: until})
	}
}

// withForgePermissions asks a forge provider about every forge repository
// the policy needs for this request and returns a copy of id carrying the
// answers. Providers that are not forges, and policies that mirror no forge
// permissions, cost nothing. A forge that cannot answer fails the request
// (503); a credential the forge refuses now is refused (401) and forgotten
// by the credential cache.
func (s *Server) withForgePermissions(ctx context.Context, st *State, reg *Registered, cred providers.Credential,
	credKey [32]byte, id providers.Identity, service string, scopes []acl.Scope) (providers.Identity, error) {
	rp, ok := reg.Provider.(providers.RepositoryPermissioner)
	if !ok {
		return id, nil
	}
	repos := st.policy.ForgeRepositories(id, service, scopes)
	if len(repos) == 0 {
		return id, nil
	}
	answers := make(map[string]providers.Permission, len(repos)+len(id.Repositories))
	maps.Copy(answers, id.Repositories)
	for _, repo := range repos {
		p, err := st.cache.perms.lookup(ctx, rp, credKey, cred, id, repo)
		if err != nil {
			st.cache.forget(credKey, err)
			return providers.Identity{}, fmt.Errorf("bridge: provider %q: repository %q: %w", reg.ID, repo, err)
		}
		answers[repo] = p
	}
	id.Repositories = answers
	return id, nil
}
