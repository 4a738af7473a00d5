package dpop

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://auth.example.com/token", "https://auth.example.com/token"},
		{"HTTPS://AUTH.Example.com/token", "https://auth.example.com/token"},
		{"https://auth.example.com:443/token", "https://auth.example.com/token"},
		{"http://auth.example.com:80/token", "http://auth.example.com/token"},
		{"https://auth.example.com:80/token", "https://auth.example.com:80/token"},
		{"https://auth.example.com", "https://auth.example.com/"},
		{"https://auth.example.com/a/./b/../c", "https://auth.example.com/a/c"},
		{"https://auth.example.com/a%2fb", "https://auth.example.com/a%2Fb"},
		{"https://auth.example.com/%7Euser", "https://auth.example.com/~user"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://auth.example.com/token/", "https://auth.example.com/token/"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if err != nil {
			t.Errorf("NormalizeURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeURLRefuses(t *testing.T) {
	for _, in := range []string{
		"https://auth.example.com/token?x=1",
		"https://auth.example.com/token?",
		"https://auth.example.com/token#f",
		"ftp://auth.example.com/token",
		"https://user@auth.example.com/token",
		"/token",
		"https://auth.example.com/%zz",
		"https://auth.example.com/%2",
	} {
		if got, err := NormalizeURL(in); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want error", in, got)
		}
	}
}
