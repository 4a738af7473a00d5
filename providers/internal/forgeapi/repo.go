package forgeapi

import "strings"

// SameRepository reports whether the repository a forge answered about
// (its full_name or path_with_namespace) is the one that was asked for.
// Forges resolve names case-insensitively, so only ASCII case is folded;
// every other difference (Unicode look-alikes, trailing dots, "..", extra
// or missing segments) is a different repository.
func SameRepository(asked, answered string) bool {
	if asked == "" || len(asked) != len(answered) {
		return false
	}
	for i := 0; i < len(asked); i++ {
		a, b := asked[i], answered[i]
		if a >= 0x80 || b >= 0x80 {
			return false
		}
		if lower(a) != lower(b) {
			return false
		}
	}
	return true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// ValidRepository reports whether repo is a path a forge may be asked
// about: two or more non-empty segments of registry-name characters, no
// "." or ".." segment, no leading or trailing dot.
func ValidRepository(repo string, minSegments int) bool {
	segs := strings.Split(repo, "/")
	if len(segs) < minSegments || len(repo) > 255 {
		return false
	}
	for _, s := range segs {
		if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}
