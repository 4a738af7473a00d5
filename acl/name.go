package acl

import "strings"

// The repository name grammar of distribution's reference package, checked
// by hand: these checks run on every requested scope, and a backtracking
// regular expression cost about a microsecond a token. name_test.go holds
// the grammar as regular expressions and checks that both agree.

// isComponent reports whether s is one path component: runs of [a-z0-9]
// joined by ".", "_", "__" or one or more "-".
func isComponent(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s); {
		if isLowerAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isLowerAlnum(s[j]) {
			j++
		}
		if !isSeparator(s[i:j]) {
			return false
		}
		i = j
	}
	return true
}

// isSeparator reports whether sep may join two runs of a component.
func isSeparator(sep string) bool {
	switch sep {
	case ".", "_", "__":
		return true
	}
	return strings.Trim(sep, "-") == ""
}

// isPath reports whether s is one or more components joined by "/".
func isPath(s string) bool {
	for {
		i := strings.IndexByte(s, '/')
		if i < 0 {
			return isComponent(s)
		}
		if !isComponent(s[:i]) {
			return false
		}
		s = s[i+1:]
	}
}

// isHost reports whether s is a registry host: dot-separated labels of
// [a-zA-Z0-9-] that start and end with a letter or digit, with an optional
// ":port".
func isHost(s string) bool {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		port := s[i+1:]
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return false
		}
		s = s[:i]
	}
	for {
		i := strings.IndexByte(s, '.')
		label := s
		if i >= 0 {
			label = s[:i]
		}
		if !isHostLabel(label) {
			return false
		}
		if i < 0 {
			return true
		}
		s = s[i+1:]
	}
}

func isHostLabel(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if !isAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isRepositoryName reports whether s is a repository name, optionally
// behind "host[:port]/". A host can only be the text before the first "/".
func isRepositoryName(s string) bool {
	if isPath(s) {
		return true
	}
	i := strings.IndexByte(s, '/')
	return i > 0 && isHost(s[:i]) && isPath(s[i+1:])
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }
