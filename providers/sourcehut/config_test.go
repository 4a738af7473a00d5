package sourcehut

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers"
)

func TestValidateReportsEveryProblemByKey(t *testing.T) {
	err := Config{
		MetaURL:        "ftp://meta.example.com",
		Usernames:      []string{"a", "", "a", "x:y"},
		Timeout:        -time.Second,
		MaxTokenLength: 10,
	}.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	for _, key := range []string{"meta_url:", "registry_domain:", "usernames[1]:", "usernames[2]:", "usernames[3]:", "timeout:", "max_token_length:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestValidateRegistryDomain(t *testing.T) {
	tests := []struct {
		domain string
		ok     bool
	}{
		{"registry.example.com", true},
		{"registry.example.com:5000", true},
		{"localhost:5000", true},
		{"127.0.0.1:5000", true},
		{"[::1]:5000", true},
		{"Registry.Example.com", false},
		{"https://registry.example.com", false},
		{"registry.example.com/", false},
		{"registry.example.com:0", false},
		{"registry.example.com:05000", false},
		{"registry..example.com", false},
		{"-registry.example.com", false},
		{"registry example.com", false},
	}
	for _, tt := range tests {
		err := Config{RegistryDomain: tt.domain}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("registry_domain %q: err = %v, want ok=%v", tt.domain, err, tt.ok)
		}
	}
}

func TestValidateMetaURL(t *testing.T) {
	for _, u := range []string{"https://meta.sr.ht/query", "https://u:p@meta.sr.ht", "https://meta.sr.ht?x=1", "meta.sr.ht", "https://"} {
		if err := (Config{MetaURL: u, RegistryDomain: domain}).Validate(); err == nil || !strings.Contains(err.Error(), "meta_url") {
			t.Errorf("meta_url %q: err = %v, want a meta_url error", u, err)
		}
	}
}

func TestValidateDoesNotMutate(t *testing.T) {
	c := Config{RegistryDomain: domain}
	before := c
	_ = c.Validate()
	if !reflect.DeepEqual(c, before) {
		t.Errorf("Validate changed the config")
	}
}

func TestNewRequiresHTTPSExceptOnLoopbackAndDoesNoIO(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://meta.sr.ht", false, true},
		{"http://127.0.0.1:1", false, true},
		{"http://localhost:1", false, true},
		{"http://meta.example.com", false, false},
		{"http://meta.example.com", true, true},
	}
	for _, tt := range tests {
		// None of these hosts answers; New must not try.
		_, err := New("s", Config{MetaURL: tt.url, RegistryDomain: domain}, providers.Deps{AllowInsecureHTTP: tt.insecure})
		if (err == nil) != tt.ok {
			t.Errorf("meta_url %q insecure=%v: err = %v, want ok=%v", tt.url, tt.insecure, err, tt.ok)
		}
	}
}

func TestDefaultsAndRouting(t *testing.T) {
	p, err := New("s", Config{RegistryDomain: domain}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if p.queryURL != "https://meta.sr.ht/query" || p.cfg.Timeout != DefaultTimeout || p.cfg.MaxTokenLength != DefaultMaxTokenLength {
		t.Errorf("defaults: url %s timeout %v max %d", p.queryURL, p.cfg.Timeout, p.cfg.MaxTokenLength)
	}
	if got := p.Route(); !reflect.DeepEqual(got, providers.Route{Usernames: []string{"sourcehut"}}) {
		t.Errorf("Route = %+v", got)
	}
	if got := p.PolicyFacts(); got.Type != "sourcehut" || got.SharedIssuer || got.CI {
		t.Errorf("PolicyFacts = %+v", got)
	}
	p, err = New("s", Config{RegistryDomain: domain, Usernames: []string{"*"}}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Route().Usernames; !reflect.DeepEqual(got, []string{"*"}) {
		t.Errorf("Usernames = %q", got)
	}
}

func TestTheDocumentedConfigLoads(t *testing.T) {
	const doc = `
meta_url: https://meta.sr.ht
registry_domain: registry.example.com
usernames: ["sourcehut"]
allow_personal_access_tokens: false
timeout: 5s
max_token_length: 4096
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := Config{MetaURL: "https://meta.sr.ht", RegistryDomain: domain, Usernames: []string{"sourcehut"}, Timeout: 5 * time.Second, MaxTokenLength: 4096}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
