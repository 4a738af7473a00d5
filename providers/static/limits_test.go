package static

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/regbridge/regbridge/providers"
)

func TestAPasswordLongerThanBcryptChecksIsRefusedWithAClearMessage(t *testing.T) {
	long := strings.Repeat("correct horse battery staple ", 3)[:86]
	dir := t.TempDir()
	// htpasswd -B hashes only the first 72 bytes of a longer password.
	p, err := New("users", Config{Htpasswd: write(t, dir, "htpasswd", "long:"+hash(t, long[:72])+"\n")}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for name, pw := range map[string]string{
		"the whole 86-byte password":      long,
		"its first 72 bytes plus garbage": long[:72] + "anything at all",
		"73 bytes":                        long[:73],
	} {
		t.Run(name, func(t *testing.T) {
			for _, user := range []string{"long", "nobody"} {
				_, err := p.Authenticate(context.Background(), basic(user, pw))
				if err == nil {
					t.Fatalf("%s: a %d-byte password logged in on its first 72 bytes", user, len(pw))
				}
				if !errors.Is(err, providers.ErrBadRequest) || !strings.Contains(err.Error(), "longer than 72 bytes") {
					t.Errorf("%s: %v, want a bad request that names the 72-byte limit", user, err)
				}
			}
		})
	}
	if _, err := p.Authenticate(context.Background(), basic("long", long[:72])); err != nil {
		t.Errorf("a 72-byte password is what bcrypt checks whole: %v", err)
	}
}

func TestAnUnknownNameIsAnUnknownAccountAndAWrongPasswordIsNot(t *testing.T) {
	p := newTestProvider(t)
	_, err := p.Authenticate(context.Background(), basic("mallory", "alice-pw"))
	if !errors.Is(err, providers.ErrUnknownAccount) || !errors.Is(err, providers.ErrInvalidCredential) {
		t.Errorf("unknown name: %v", err)
	}
	_, err = p.Authenticate(context.Background(), basic("alice", "bob-pw"))
	if errors.Is(err, providers.ErrUnknownAccount) || !errors.Is(err, providers.ErrInvalidCredential) {
		t.Errorf("wrong password: %v", err)
	}
}

func TestAccountIdentityIsTheIdentityALoginYields(t *testing.T) {
	p := newTestProvider(t)
	for _, c := range []struct{ user, pw string }{{"alice", "alice-pw"}, {"ci-bot", "bot-pw"}} {
		got, ok := p.AccountIdentity(c.user)
		want, err := p.Authenticate(context.Background(), basic(c.user, c.pw))
		if !ok || err != nil {
			t.Fatalf("%s: ok %v err %v", c.user, ok, err)
		}
		if got.Subject != want.Subject || strings.Join(got.Groups, ",") != strings.Join(want.Groups, ",") || got.Claims["robot"] != want.Claims["robot"] {
			t.Errorf("%s: explained %+v, logged in %+v", c.user, got, want)
		}
	}
	if _, ok := p.AccountIdentity("mallory"); ok {
		t.Error("an unknown name has an identity")
	}
}

func TestFilesListsEveryFileTheProviderRead(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Htpasswd: write(t, dir, "h", "a:"+hash(t, "x")+"\n"), Groups: write(t, dir, "g", "team: a\n")}
	p, err := New("users", cfg, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Files(), " "); got != cfg.Htpasswd+" "+cfg.Groups {
		t.Errorf("Files() = %q", got)
	}
}
