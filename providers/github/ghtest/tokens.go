package ghtest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// mintValue returns a unique token of GitHub's shape for kind: a prefix,
// then base62 characters (ghp_/gho_/ghu_ 36, github_pat_ 22 + "_" + 59),
// forges.md §3.1.
func mintValue(kind TokenKind, seq int) string {
	body := func(n int, salt string) string {
		const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			sum := sha256.Sum256([]byte(salt + string(rune('a'+i))))
			for _, c := range sum {
				if b.Len() < n {
					b.WriteByte(alphabet[int(c)%len(alphabet)])
				}
			}
		}
		return b.String()
	}
	salt := hex.EncodeToString([]byte{byte(kind), byte(seq >> 16), byte(seq >> 8), byte(seq)})
	switch kind {
	case FineGrained:
		return "github_pat_" + body(22, salt+"a") + "_" + body(59, salt+"b")
	case OAuth:
		return "gho_" + body(36, salt)
	case AppUser:
		return "ghu_" + body(36, salt)
	}
	return "ghp_" + body(36, salt)
}

// implied lists the scopes a parent scope includes; GitHub drops them from
// X-OAuth-Scopes when the parent is present ("user,gist,user:email" is
// shown as "user, gist"), forges.md §3.3.
var implied = map[string][]string{
	"repo":      {"repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"},
	"user":      {"read:user", "user:email", "user:follow"},
	"admin:org": {"write:org", "read:org"},
	"write:org": {"read:org"},
}

// normalize returns scopes without duplicates and without scopes a listed
// parent implies, in the order given.
func normalize(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if slices.Contains(out, s) || impliedBy(s, scopes) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func impliedBy(s string, scopes []string) bool {
	for _, parent := range scopes {
		if slices.Contains(implied[parent], s) {
			return true
		}
	}
	return false
}

// has reports whether a token's scopes include want, directly or through a
// parent.
func has(scopes []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(scopes, w) || impliedBy(w, scopes) {
			return true
		}
	}
	return false
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
