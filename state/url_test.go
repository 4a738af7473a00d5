package state

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want Endpoint
		err  string
	}{
		{"a host and port with database 0", "redis://127.0.0.1:6379/0", Endpoint{Addr: "127.0.0.1:6379", Host: "127.0.0.1"}, ""},
		{"the port defaults to 6379", "redis://redis.regbridge.svc", Endpoint{Addr: "redis.regbridge.svc:6379", Host: "redis.regbridge.svc"}, ""},
		{"a database number is read from the path", "redis://r:6380/7", Endpoint{Addr: "r:6380", Host: "r", DB: 7}, ""},
		{"rediss turns TLS on", "rediss://r/1", Endpoint{Addr: "r:6379", Host: "r", TLS: true, DB: 1}, ""},
		{"user and password come from the URL", "redis://u:p%40ss@r/0", Endpoint{Addr: "r:6379", Host: "r", Username: "u", Password: "p@ss"}, ""},
		{"a password alone is the default user's", "redis://:pw@r", Endpoint{Addr: "r:6379", Host: "r", Password: "pw"}, ""},
		{"an IPv6 literal keeps one pair of brackets", "redis://[::1]:6379/0", Endpoint{Addr: "[::1]:6379", Host: "::1"}, ""},
		{"an empty URL is refused", "", Endpoint{}, "required"},
		{"http is not a Redis scheme", "http://r:6379", Endpoint{}, "scheme"},
		{"a unix socket is refused", "unix:///run/redis.sock", Endpoint{}, "scheme"},
		{"a URL without a host is refused", "redis:///0", Endpoint{}, "host"},
		{"an opaque URL is refused", "redis:r:6379", Endpoint{}, "form"},
		{"query parameters are refused", "redis://r/0?dial_timeout=3", Endpoint{}, "query"},
		{"an empty query is refused", "redis://r/0?", Endpoint{}, "query"},
		{"a fragment is refused", "redis://r/0#x", Endpoint{}, "fragment"},
		{"a non-numeric database is refused", "redis://r/abc", Endpoint{}, "database number"},
		{"a negative database is refused", "redis://r/-1", Endpoint{}, "database number"},
		{"a padded database is refused", "redis://r/01", Endpoint{}, "database number"},
		{"two path segments are refused", "redis://r/0/1", Endpoint{}, "database number"},
		{"port 0 is refused", "redis://r:0", Endpoint{}, "port"},
		{"a port past 65535 is refused", "redis://r:70000", Endpoint{}, "port"},
		{"an empty port is refused", "redis://r:/0", Endpoint{}, "port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseURL(tc.raw)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "state: url: ") {
					t.Errorf("err %q lacks the state: url: prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseURLErrorsNeverShowThePassword(t *testing.T) {
	for _, raw := range []string{
		"redis://user:hunter2@r/abc",
		"redis://user:hunter2@r/0?x=1",
		"http://user:hunter2@r/0",
		"redis://user:hunter2@r:99999/0",
		"redis://user:hunter2@[::1/0",
		"redis://user:hunter2%zz@r/0",
	} {
		if _, err := ParseURL(raw); err == nil {
			t.Errorf("%q was accepted", raw)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q shows the password", err)
		}
	}
}

func TestRedactedHidesThePassword(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"redis://r:6379/0", "redis://r:6379/0"},
		{"redis://:pw@r/2", "redis://:REDACTED@r:6379/2"},
		{"rediss://app:pw@r:6380/1", "rediss://app:REDACTED@r:6380/1"},
		{"redis://app@r", "redis://app@r:6379/0"},
	}
	for _, tc := range cases {
		ep, err := ParseURL(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := ep.Redacted(); got != tc.want {
			t.Errorf("Redacted(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
