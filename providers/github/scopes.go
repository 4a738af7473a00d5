package github

import "slices"

// Package scopes of classic personal access tokens and OAuth app tokens
// (forges.md §3.3, §3.7).
const (
	ScopeReadPackages   = "read:packages"
	ScopeWritePackages  = "write:packages"
	ScopeDeletePackages = "delete:packages"
)

// scopeCap maps a token's X-OAuth-Scopes to the registry actions it may
// ever be granted: read:packages → pull; write:packages → pull, push;
// delete:packages adds delete. ok is false when no package scope is
// present. GitHub lists scopes normalized (implied ones dropped, §3.3), and
// write:packages is shown without the read:packages it includes.
func scopeCap(scopes []string) (actions []string, ok bool) {
	read := slices.Contains(scopes, ScopeReadPackages)
	write := slices.Contains(scopes, ScopeWritePackages)
	del := slices.Contains(scopes, ScopeDeletePackages)
	if read || write {
		actions = append(actions, "pull")
	}
	if write {
		actions = append(actions, "push")
	}
	if del {
		actions = append(actions, "delete")
	}
	return actions, len(actions) > 0
}

// Token types, from the token's documented prefix (forges.md §3.1), for
// the token_type claim.
const (
	TokenClassic     = "classic"      // ghp_
	TokenFineGrained = "fine_grained" // github_pat_
	TokenOAuth       = "oauth"        // gho_
	TokenAppUser     = "app_user"     // ghu_
	TokenLegacy      = "legacy"       // 40 hex digits, from before 2021 or an older Enterprise Server
	TokenPassword    = "password"     // an account password (allow_passwords)
)

// tokenType names the kind of a secret, or "" for one that is no user
// access token: installation (ghs_) and refresh (ghr_) tokens, and
// anything outside GitHub's token alphabet.
func tokenType(s string) string {
	if len(s) == 0 || len(s) > maxTokenLength {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return ""
		}
	}
	for _, p := range []struct{ prefix, typ string }{
		{"ghp_", TokenClassic}, {"github_pat_", TokenFineGrained}, {"gho_", TokenOAuth}, {"ghu_", TokenAppUser},
	} {
		if len(s) > len(p.prefix) && s[:len(p.prefix)] == p.prefix {
			return p.typ
		}
	}
	if len(s) == 40 && isHex(s) {
		return TokenLegacy
	}
	return ""
}

// maxTokenLength bounds what is sent to GitHub as a token; GitHub's tokens
// are well under 100 characters (fine-grained ones are the longest).
const maxTokenLength = 255

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
