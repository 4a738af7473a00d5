package gitea

import (
	"fmt"
	"strings"
)

// User is the part of Gitea's GET /user answer the provider reads.
type User struct {
	ID            int64  `json:"id"`
	Login         string `json:"login"`
	Email         string `json:"email"`
	IsAdmin       bool   `json:"is_admin"`
	Active        *bool  `json:"active"`
	ProhibitLogin bool   `json:"prohibit_login"`
	Restricted    bool   `json:"restricted"`
	Visibility    string `json:"visibility"`
}

// Email is one entry of GET /user/emails.
type Email struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
	Primary  bool   `json:"primary"`
}

// check refuses a user answer that cannot be an account the forge lets
// sign in: no positive id, a login that is not a Gitea user name, or an
// account state flag Gitea itself would have answered with 403.
func (u User) check() error {
	switch {
	case u.ID <= 0:
		return fmt.Errorf("user id %d is not a positive integer", u.ID)
	case !validName(u.Login):
		return fmt.Errorf("login %q is not a Gitea user name", clean(u.Login, 60))
	case u.ProhibitLogin:
		return fmt.Errorf("account %q is prohibited from signing in", u.Login)
	case u.Active != nil && !*u.Active:
		return fmt.Errorf("account %q is not active", u.Login)
	}
	return nil
}

// validName is the alphabet of Gitea user, organisation and team names
// (alphanumerics, '-', '_', '.'; ASCII), at most 255 bytes. Names outside
// it are refused rather than compared, so that no Unicode look-alike can
// reach the policy.
func validName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// primaryVerified reports whether the user's email (the /user answer) is
// listed as primary and verified.
func primaryVerified(email string, list []Email) bool {
	for _, e := range list {
		if e.Primary && e.Verified && strings.EqualFold(e.Email, email) && email != "" {
			return true
		}
	}
	return false
}
