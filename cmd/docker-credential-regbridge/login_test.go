package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoginPollsAsRFC8628SaysAndKeepsTheRefreshToken(t *testing.T) {
	w, idp, clock := loginWorld(t)
	idp.answers = []string{"authorization_pending", "slow_down", "authorization_pending", "slow_down", ""}
	if _, code := w.call(t, "", "login", w.host); code != 0 {
		t.Fatalf("login: exit %d: %s", code, w.stderr)
	}
	// interval 1 s; each slow_down adds 5 s for that and every later request.
	want := []time.Duration{1 * time.Second, 1 * time.Second, 6 * time.Second, 6 * time.Second, 11 * time.Second}
	if !slices.Equal(clock.slept, want) {
		t.Errorf("waits %v, want %v", clock.slept, want)
	}
	if len(idp.deviceForms) != len(want) {
		t.Fatalf("%d token requests, want %d", len(idp.deviceForms), len(want))
	}
	for _, f := range idp.deviceForms {
		if f.Get("grant_type") != deviceGrant || f.Get("device_code") != "device-code-1" || f.Get("client_id") != "regbridge-cli" {
			t.Errorf("token request %v", f)
		}
	}
	for _, s := range []string{idp.issuer() + "/device", "WDJB-MJHT", "Logged in to " + w.host} {
		if !strings.Contains(w.stderr.String(), s) {
			t.Errorf("login output %q lacks %q", w.stderr, s)
		}
	}
	rec, ok, err := w.h.loadLogin(w.host)
	if err != nil || !ok {
		t.Fatalf("loadLogin: %v, %v", ok, err)
	}
	if rec.RefreshToken != "refresh-1" || rec.Issuer != idp.issuer() || rec.ClientID != "regbridge-cli" ||
		rec.TokenEndpoint != idp.issuer()+"/oauth/token" || !slices.Contains(rec.Scopes, "offline_access") {
		t.Errorf("record %+v", rec)
	}
}

func TestLoginStopsAndStoresNothingWhenTheUserDoesNotConfirm(t *testing.T) {
	tests := []struct {
		name      string
		answers   []string
		expiresIn int
		noRefresh bool
		wantErr   string
		wantPolls int
	}{
		{name: "access denied", answers: []string{"authorization_pending", "access_denied"}, wantErr: "denied", wantPolls: 2},
		{name: "expired token", answers: []string{"expired_token"}, wantErr: "expired", wantPolls: 1},
		{name: "expires_in passes while pending", expiresIn: 3,
			answers: []string{"authorization_pending", "authorization_pending", "authorization_pending", "authorization_pending"},
			wantErr: "expired", wantPolls: 2},
		{name: "another error", answers: []string{"invalid_client"}, wantErr: "invalid_client", wantPolls: 1},
		{name: "no refresh token", answers: []string{""}, noRefresh: true, wantErr: "no refresh token", wantPolls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, idp, _ := loginWorld(t)
			idp.answers, idp.noRefreshToken = tt.answers, tt.noRefresh
			if tt.expiresIn != 0 {
				idp.expiresIn = tt.expiresIn
			}
			if _, code := w.call(t, "", "login", w.host); code != 1 {
				t.Fatalf("login: exit %d, want 1", code)
			}
			if !strings.Contains(w.stderr.String(), tt.wantErr) {
				t.Errorf("login output %q lacks %q", w.stderr, tt.wantErr)
			}
			if got := len(idp.deviceForms); got != tt.wantPolls {
				t.Errorf("%d token requests, want %d", got, tt.wantPolls)
			}
			if ok, err := w.h.hasLogin(w.host); ok || err != nil {
				t.Errorf("a login was stored: %v, %v", ok, err)
			}
		})
	}
}

func TestLoginEndsWhenItsContextIsCancelled(t *testing.T) {
	w, idp, _ := loginWorld(t)
	idp.answers = []string{"authorization_pending", "authorization_pending"}
	ctx, cancel := context.WithCancel(context.Background())
	w.h.sleep = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
	if err := w.h.login(ctx, w.host); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("login = %v, want cancelled", err)
	}
}

func TestTheStoredLoginFileIs0600InA0700DirectoryNeverReadableByOthers(t *testing.T) {
	// Even with a umask that would make new files world-readable.
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	w, idp, _ := loginWorld(t)
	idp.answers = []string{""}
	if _, code := w.call(t, "", "login", w.host); code != 0 {
		t.Fatalf("login: exit %d: %s", code, w.stderr)
	}
	st, err := os.Stat(w.h.stateDir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("store directory: %v, mode %v, want 0700", err, st.Mode().Perm())
	}
	path, _ := w.h.loginFile(w.host)
	entries, _ := os.ReadDir(w.h.stateDir)
	if len(entries) != 1 || filepath.Join(w.h.stateDir, entries[0].Name()) != path {
		t.Fatalf("store holds %v, want only %s", entries, filepath.Base(path))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("login file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	// A refresh rotates the token: the rewritten file is private too.
	if c := w.mustGet(t, w.host); c.Secret == "" {
		t.Fatal("get returned no secret")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after rotation: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(w.h.stateDir); len(entries) != 1 {
		t.Errorf("after rotation the store holds %v", entries)
	}
}

func TestGetMintsAFreshIDTokenFromTheRefreshTokenAndKeepsTheRotatedOne(t *testing.T) {
	w, idp, _ := loginWorld(t)
	idp.answers = []string{""}
	if _, code := w.call(t, "", "login", w.host); code != 0 {
		t.Fatalf("login: exit %d: %s", code, w.stderr)
	}
	for i, wantRT := range []string{"refresh-2", "refresh-3"} {
		c := w.mustGet(t, w.host)
		if c.Secret != idp.idToken(wantRT) || c.Username != defaultUsername {
			t.Errorf("get %d: %+v, want the ID token minted with %s", i, c, wantRT)
		}
		rec, _, _ := w.h.loadLogin(w.host)
		if rec.RefreshToken != wantRT {
			t.Errorf("get %d: stored refresh token %q, want the rotated %q", i, rec.RefreshToken, wantRT)
		}
	}
	// Each refresh used the token the previous one rotated in.
	var used []string
	for _, f := range idp.refreshForms {
		used = append(used, f.Get("refresh_token"))
		if f.Get("client_id") != "regbridge-cli" {
			t.Errorf("refresh request %v", f)
		}
	}
	if want := []string{"refresh-1", "refresh-2"}; !slices.Equal(used, want) {
		t.Errorf("refresh tokens sent %v, want %v", used, want)
	}
}

func TestARefusedRefreshTokenIsForgottenAndReportedClearly(t *testing.T) {
	w, idp, _ := loginWorld(t)
	idp.answers = []string{""}
	if _, code := w.call(t, "", "login", w.host); code != 0 {
		t.Fatalf("login: exit %d: %s", code, w.stderr)
	}
	idp.refuseRefresh = true
	out, code := w.call(t, w.host, "get")
	if code != 1 || !strings.Contains(out, "refused") || !strings.Contains(out, "login "+w.host) {
		t.Errorf("get = %d %q, want a refusal naming the login command", code, out)
	}
	if strings.Contains(out, "refresh-1") {
		t.Errorf("the error shows the refresh token: %q", out)
	}
	if ok, err := w.h.hasLogin(w.host); ok || err != nil {
		t.Errorf("the refused login is still stored: %v, %v", ok, err)
	}
	if out, code := w.call(t, w.host, "get"); code != 1 || strings.TrimSpace(out) != errNotFound.Error() {
		t.Errorf("second get = %d %q, want %q", code, out, errNotFound)
	}
}

func TestALoginIsNotUsedOnceRegbridgeNamesAnotherDeviceFlowClient(t *testing.T) {
	w, idp, _ := loginWorld(t)
	idp.answers = []string{""}
	if _, code := w.call(t, "", "login", w.host); code != 0 {
		t.Fatalf("login: exit %d: %s", code, w.stderr)
	}
	idp.clientID = "another-client"
	out, code := w.call(t, w.host, "get")
	if code != 1 || !strings.Contains(out, "log in again") {
		t.Errorf("get = %d %q, want a request to log in again", code, out)
	}
	if len(idp.refreshForms) != 0 {
		t.Errorf("the refresh token was sent: %v", idp.refreshForms)
	}
}
