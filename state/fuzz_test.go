package state

import (
	"strings"
	"testing"
)

// FuzzParseURL checks that ParseURL never panics, that its errors never
// carry the URL's password, and that what it accepts round-trips through
// Redacted without the password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"redis://127.0.0.1:6379/0", "rediss://u:p@r:6380/3", "redis://:pw@[::1]/1",
		"redis://r/0?x=1", "redis:///", "unix:///s", "redis://r:/0", "redis://u:p%zz@r",
		"redis://r/00", "redis://r/65536", "", "redis://%40:%40@r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ep, err := ParseURL(raw)
		if err != nil {
			if raw != "" && len(raw) > 12 && strings.Contains(err.Error(), raw) {
				t.Fatalf("error %q contains the URL", err)
			}
			return
		}
		if ep.Addr == "" || ep.Host == "" || ep.DB < 0 || ep.DB >= maxDB {
			t.Fatalf("accepted %q as %+v", raw, ep)
		}
		other := ep
		other.Password = "x" + ep.Password
		if ep.Password != "" && ep.Redacted() != other.Redacted() {
			t.Fatalf("Redacted() = %q depends on the password", ep.Redacted())
		}
	})
}
