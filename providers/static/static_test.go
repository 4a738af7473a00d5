package static

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/regbridge/regbridge/providers"
)

func hash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestProvider(t *testing.T) *Provider {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{
		Htpasswd: write(t, dir, "htpasswd", "# people\nalice:"+hash(t, "alice-pw")+"\n\nbob:"+hash(t, "bob-pw")+"\n"),
		Robots:   write(t, dir, "robots", "ci-bot:"+hash(t, "bot-pw")+"\n"),
		Groups:   write(t, dir, "groups", "platform: alice, ci-bot\nops: alice\n"),
	}
	p, err := New("users", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func basic(user, pass string) providers.Credential {
	return providers.Credential{Scheme: providers.SchemeBasic, Username: user, Secret: providers.Secret(pass)}
}

func TestUsersAndRobotsAuthenticateWithGroups(t *testing.T) {
	p := newTestProvider(t)
	id, err := p.Authenticate(context.Background(), basic("alice", "alice-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "alice" || id.Username != "alice" || strings.Join(id.Groups, ",") != "platform,ops" || id.Claims["robot"] != false {
		t.Errorf("alice: %+v", id)
	}
	id, err = p.Authenticate(context.Background(), basic("ci-bot", "bot-pw"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "robot:ci-bot" || id.Claims["robot"] != true || strings.Join(id.Groups, ",") != "platform" {
		t.Errorf("robot: %+v", id)
	}
}

func TestWrongPasswordsAndUnknownUsersAreInvalidCredentials(t *testing.T) {
	p := newTestProvider(t)
	for _, c := range []providers.Credential{
		basic("alice", "bob-pw"),
		basic("alice", ""),
		basic("mallory", "alice-pw"),
		{Scheme: providers.SchemeBearer, Secret: "alice-pw"},
	} {
		_, err := p.Authenticate(context.Background(), c)
		if !errors.Is(err, providers.ErrInvalidCredential) {
			t.Errorf("%s/%s: %v", c.Username, c.Scheme, err)
		}
		if err != nil && strings.Contains(err.Error(), c.Secret.Reveal()) && c.Secret != "" {
			t.Errorf("error text contains the password: %v", err)
		}
	}
}

func TestRouteClaimsOnlyLocalAccounts(t *testing.T) {
	r := newTestProvider(t).Route()
	if !r.Users("alice") || !r.Users("ci-bot") || r.Users("mallory") || r.Users("") {
		t.Error("route claims the wrong names")
	}
}

func TestHtpasswdRefusesNonBcryptAndReportsEveryLine(t *testing.T) {
	src := "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nbob\n../x:" + hash(t, "x") + "\ncarol:" + hash(t, "c") + "\ncarol:" + hash(t, "d") + "\n"
	_, err := ParseHtpasswd(strings.NewReader(src), "htpasswd")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"htpasswd:1: user \"alice\": only bcrypt", "htpasswd:2: want name:hash", "htpasswd:3: user name \"../x\"", "htpasswd:5: user \"carol\" already defined on line 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestMissingFilesAndDuplicateAccountsAreErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := New("u", Config{Htpasswd: filepath.Join(dir, "none")}, providers.Deps{}); err == nil {
		t.Error("missing htpasswd accepted")
	}
	h := write(t, dir, "h", "x:"+hash(t, "a")+"\n")
	r := write(t, dir, "r", "x:"+hash(t, "b")+"\n")
	if _, err := New("u", Config{Htpasswd: h, Robots: r}, providers.Deps{}); err == nil || !strings.Contains(err.Error(), "both as a user and as a robot") {
		t.Errorf("duplicate account: %v", err)
	}
	if err := (Config{}).Validate(); err == nil {
		t.Error("empty config validated")
	}
}

func FuzzParseHtpasswd(f *testing.F) {
	f.Add("alice:$2y$05$abcdefghijklmnopqrstuuJ3Q0Eo1Y2V3Wm9K8S8b2y2k6k6k6k6a\n# c\n")
	f.Add("a:b:c\n\n:x\n")
	f.Fuzz(func(t *testing.T, src string) {
		accts, err := ParseHtpasswd(strings.NewReader(src), "f")
		if err != nil {
			return
		}
		for _, a := range accts {
			if !userNameRE.MatchString(a.Name) || !isBcrypt(string(a.Hash)) {
				t.Fatalf("accepted %q", a.Name)
			}
		}
	})
}

func FuzzParseGroups(f *testing.F) {
	f.Add("platform: alice bob\nops: carol,dave\n")
	f.Fuzz(func(t *testing.T, src string) {
		groups, err := ParseGroups(strings.NewReader(src), "f")
		if err != nil {
			return
		}
		for _, gs := range groups {
			for _, g := range gs {
				if !userNameRE.MatchString(g) {
					t.Fatalf("accepted group %q", g)
				}
			}
		}
	})
}
