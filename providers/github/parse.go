package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/internal/strictjson"
)

// The parsers below read GitHub's answers with strictjson and take members
// by their exact names: encoding/json would also fill a field from "ID" or
// "Permissions", and a key that differs only in case must not be able to
// stand for the real one.

// errAnswer is wrapped by every parsing error: the forge said something
// this provider does not understand.
var errAnswer = errors.New("unexpected answer")

func answerErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errAnswer, fmt.Sprintf(format, a...))
}

// User is what the provider reads of GET /user (forges.md §3.2).
type User struct {
	// ID is the immutable numeric user id.
	ID int64
	// Login is the (renameable) user name.
	Login string
	// Type is "User" for people ("Bot", "Organization" exist).
	Type string
	// SiteAdmin is the site administrator flag.
	SiteAdmin bool
	// Suspended is true when suspended_at is set (GitHub Enterprise Server).
	Suspended bool
}

// ParseUser reads a GET /user answer: an object with a positive integer
// "id", a GitHub "login", and optional "type" (string), "site_admin" (bool)
// and "suspended_at" (null or a string).
func ParseUser(body []byte) (User, error) {
	obj, err := object(body)
	if err != nil {
		return User{}, err
	}
	var u User
	if u.ID, err = positiveInt(obj, "id"); err != nil {
		return User{}, err
	}
	if u.Login, err = str(obj, "login", true); err != nil {
		return User{}, err
	}
	if !validLogin(u.Login) {
		return User{}, answerErr("login %q is not a GitHub login", clip(u.Login))
	}
	if u.Type, err = str(obj, "type", false); err != nil {
		return User{}, err
	}
	if u.SiteAdmin, err = boolean(obj, "site_admin"); err != nil {
		return User{}, err
	}
	switch v := obj["suspended_at"].(type) {
	case nil:
	case string:
		u.Suspended = true
	default:
		return User{}, answerErr("suspended_at is a %T", v)
	}
	return u, nil
}

// ParseOrgs reads one page of GET /user/orgs: an array of objects with a
// "login". It returns the logins lower-cased (GitHub names are
// case-insensitive).
func ParseOrgs(body []byte) ([]string, error) {
	items, err := array(body)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		org, err := orgLogin(it)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, org)
	}
	return out, nil
}

// ParseTeams reads one page of GET /user/teams: an array of objects with a
// "slug" and an "organization" object with a "login". It returns
// "org/slug", lower-cased.
func ParseTeams(body []byte) ([]string, error) {
	items, err := array(body)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		obj, ok := it.(map[string]any)
		if !ok {
			return nil, answerErr("item %d is not an object", i)
		}
		slug, err := str(obj, "slug", true)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		slug = strings.ToLower(slug)
		if !validSlug(slug) {
			return nil, answerErr("item %d: slug %q is not a team slug", i, clip(slug))
		}
		org, err := orgLogin(obj["organization"])
		if err != nil {
			return nil, fmt.Errorf("item %d: organization: %w", i, err)
		}
		out = append(out, org+"/"+slug)
	}
	return out, nil
}

// Repository is what the provider reads of GET /repos/{owner}/{repo}.
type Repository struct {
	// FullName is "owner/name" as GitHub spells it.
	FullName string
	// Permission is the user's role mapped to a providers.Permission.
	Permission providers.Permission
}

// ParseRepository reads a GET /repos/{owner}/{repo} answer: an object
// with a "full_name" and an optional "permissions" object of booleans
// (forges.md §3.5). The mapping, strongest first: admin → admin; maintain
// or push → write; triage or pull → read; otherwise (or without a
// permissions object) none.
func ParseRepository(body []byte) (Repository, error) {
	obj, err := object(body)
	if err != nil {
		return Repository{}, err
	}
	var r Repository
	if r.FullName, err = str(obj, "full_name", true); err != nil {
		return Repository{}, err
	}
	perms := map[string]any{}
	switch v := obj["permissions"].(type) {
	case nil:
	case map[string]any:
		perms = v
	default:
		return Repository{}, answerErr("permissions is a %T", v)
	}
	has := map[string]bool{}
	for _, k := range []string{"admin", "maintain", "push", "triage", "pull"} {
		if has[k], err = boolean(perms, k); err != nil {
			return Repository{}, fmt.Errorf("permissions: %w", err)
		}
	}
	switch {
	case has["admin"]:
		r.Permission = providers.PermissionAdmin
	case has["maintain"] || has["push"]:
		r.Permission = providers.PermissionWrite
	case has["triage"] || has["pull"]:
		r.Permission = providers.PermissionRead
	}
	return r, nil
}

// ParseScopes reads the X-OAuth-Scopes header values of an answer
// (forges.md §3.3). present is false when the header is absent, as for
// fine-grained and GitHub App tokens; an empty header is a classic token
// with no scopes. Scopes are comma-separated, each of a-z 0-9 _ : -;
// anything else, or the header twice, is an error.
func ParseScopes(values []string) (scopes []string, present bool, err error) {
	switch len(values) {
	case 0:
		return nil, false, nil
	case 1:
	default:
		return nil, true, answerErr("X-OAuth-Scopes sent %d times", len(values))
	}
	v := strings.TrimSpace(values[0])
	if v == "" {
		return []string{}, true, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > maxScopes {
		return nil, true, answerErr("X-OAuth-Scopes lists %d scopes", len(parts))
	}
	seen := map[string]bool{}
	for _, p := range parts {
		s := strings.Trim(p, " \t")
		if !validScope(s) {
			return nil, true, answerErr("X-OAuth-Scopes has the scope %q", clip(s))
		}
		if !seen[s] {
			seen[s] = true
			scopes = append(scopes, s)
		}
	}
	return scopes, true, nil
}

const maxScopes = 64

// ParseExpiry reads GitHub-Authentication-Token-Expiration (forges.md
// §3.1): absent → the zero time; "2006-01-02 15:04:05 UTC" or
// "2006-01-02 15:04:05 -0700". Named zones other than UTC are refused (Go
// would read an unknown abbreviation as offset zero).
func ParseExpiry(values []string) (time.Time, error) {
	switch len(values) {
	case 0:
		return time.Time{}, nil
	case 1:
	default:
		return time.Time{}, answerErr("GitHub-Authentication-Token-Expiration sent %d times", len(values))
	}
	v := strings.TrimSpace(values[0])
	if s, ok := strings.CutSuffix(v, " UTC"); ok {
		if t, err := time.Parse(time.DateTime, s); err == nil {
			return t.UTC(), nil
		}
	} else if t, err := time.Parse(time.DateTime+" -0700", v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, answerErr("GitHub-Authentication-Token-Expiration %q is not a time", clip(v))
}

func object(body []byte) (map[string]any, error) {
	v, err := strictjson.Value(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAnswer, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, answerErr("not a JSON object")
	}
	return obj, nil
}

func array(body []byte) ([]any, error) {
	v, err := strictjson.Value(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAnswer, err)
	}
	items, ok := v.([]any)
	if !ok {
		return nil, answerErr("not a JSON array")
	}
	return items, nil
}

func orgLogin(v any) (string, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", answerErr("not an object")
	}
	login, err := str(obj, "login", true)
	if err != nil {
		return "", err
	}
	if !validLogin(login) {
		return "", answerErr("login %q is not a GitHub login", clip(login))
	}
	return strings.ToLower(login), nil
}

func str(obj map[string]any, key string, required bool) (string, error) {
	switch v := obj[key].(type) {
	case string:
		if required && v == "" {
			return "", answerErr("%s is empty", key)
		}
		return v, nil
	case nil:
		if required {
			return "", answerErr("no %s", key)
		}
		return "", nil
	default:
		return "", answerErr("%s is a %T", key, v)
	}
}

func boolean(obj map[string]any, key string) (bool, error) {
	switch v := obj[key].(type) {
	case bool:
		return v, nil
	case nil:
		return false, nil
	default:
		return false, answerErr("%s is a %T", key, v)
	}
}

func positiveInt(obj map[string]any, key string) (int64, error) {
	n, ok := obj[key].(json.Number)
	if !ok {
		return 0, answerErr("%s is not a number", key)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || i <= 0 {
		return 0, answerErr("%s %q is not a positive integer", key, clip(n.String()))
	}
	return i, nil
}

// validLogin accepts GitHub user and organisation logins: 1 to 100 of
// A-Z a-z 0-9 - _ (underscores appear in Enterprise Managed Users and
// Enterprise Server logins), not starting or ending with - or _.
func validLogin(s string) bool {
	if s == "" || len(s) > 100 || !edgeOK(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validSlug accepts lower-case team slugs: a-z 0-9 - _, not starting or
// ending with - or _.
func validSlug(s string) bool {
	if s == "" || len(s) > 255 || !edgeOK(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func edgeOK(s string) bool {
	bad := func(c byte) bool { return c == '-' || c == '_' }
	return !bad(s[0]) && !bad(s[len(s)-1])
}

func validScope(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// clip shortens untrusted text for error messages and drops control
// characters.
func clip(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i >= 64 {
			b.WriteString("…")
			break
		}
		if r < ' ' || r == 0x7f {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
