package upstream

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckURLAllowsHTTPSAndLoopbackHTTPOnly(t *testing.T) {
	cases := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://meta.sr.ht", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://localhost:8080/x", false, true},
		{"http://[::1]:80", false, true},
		{"http://meta.sr.ht", false, false},
		{"http://10.0.0.1", false, false},
		{"http://meta.sr.ht", true, true},
		{"ftp://meta.sr.ht", false, false},
		{"https://user:pw@meta.sr.ht", false, false},
		{"https://", false, false},
		{"/relative", false, false},
		{"http://localhost.evil.example", false, false},
	}
	for _, tc := range cases {
		_, err := CheckURL(tc.url, tc.insecure)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q, %v) = %v, want ok=%v", tc.url, tc.insecure, err, tc.ok)
		}
	}
}

func TestClientsRefuseRedirects(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("redirect was followed")
	}))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer srv.Close()
	for name, c := range map[string]*http.Client{"new": NewClient(0), "wrapped": NoRedirects(&http.Client{}, 0), "nil": NoRedirects(nil, 0)} {
		_, err := c.Get(srv.URL)
		if !errors.Is(err, ErrRedirect) {
			t.Errorf("%s client: %v, want ErrRedirect", name, err)
		}
		if c.Timeout == 0 {
			t.Errorf("%s client has no timeout", name)
		}
	}
}

func TestReadBodyRefusesBodiesOverTheCap(t *testing.T) {
	if b, err := ReadBody(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the cap: %q %v", b, err)
	}
	if _, err := ReadBody(strings.NewReader("123456"), 5); err == nil {
		t.Error("over the cap accepted")
	}
}
