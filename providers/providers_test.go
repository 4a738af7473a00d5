package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSecretsRedactThemselvesInFmtAndSlog(t *testing.T) {
	const pw = "hunter2-very-secret"
	cred := Credential{Scheme: SchemeBasic, Username: "alice", Secret: Secret(pw)}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x", "cred", cred, "secret", cred.Secret)
	log.Info("y", slog.Any("secret", cred.Secret))
	text := buf.String() + fmt.Sprintf("%v %+v %#v %s", cred.Secret, cred.Secret, cred.Secret, cred.Secret)
	if strings.Contains(text, pw) {
		t.Fatalf("secret leaked: %s", text)
	}
	if !strings.Contains(text, "REDACTED") || !strings.Contains(buf.String(), `"username":"alice"`) {
		t.Fatalf("redacted output lacks the placeholder or the username: %s", text)
	}
	if cred.Secret.Reveal() != pw {
		t.Error("Reveal does not return the secret")
	}
}

func TestMemoryReplayRefusesASecondUseUntilExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemoryReplay(2, func() time.Time { return now })
	ctx := context.Background()
	if fresh, err := m.Remember(ctx, "a", now.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("first use: %v %v", fresh, err)
	}
	if fresh, _ := m.Remember(ctx, "a", now.Add(time.Minute)); fresh {
		t.Fatal("second use accepted")
	}
	now = now.Add(2 * time.Minute)
	if fresh, _ := m.Remember(ctx, "a", now.Add(time.Minute)); !fresh {
		t.Fatal("use after expiry refused")
	}
}

func TestMemoryReplayFailsClosedWhenFull(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemoryReplay(2, func() time.Time { return now })
	ctx := context.Background()
	m.Remember(ctx, "a", now.Add(time.Minute))
	m.Remember(ctx, "b", now.Add(time.Minute))
	_, err := m.Remember(ctx, "c", now.Add(time.Minute))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("full store: %v, want an unavailable error", err)
	}
	now = now.Add(2 * time.Minute)
	if fresh, err := m.Remember(ctx, "c", now.Add(time.Minute)); !fresh || err != nil {
		t.Fatalf("after expiry frees space: %v %v", fresh, err)
	}
}

func TestErrorWrappersKeepTheirKind(t *testing.T) {
	u := &UnavailableError{RetryAfter: time.Second, Err: errors.New("down")}
	if !errors.Is(u, ErrUnavailable) || u.Error() != "down" {
		t.Error("UnavailableError")
	}
	c := &ChallengeError{Scheme: "DPoP", Err: fmt.Errorf("x: %w", ErrInvalidCredential)}
	if !errors.Is(c, ErrInvalidCredential) || errors.Is(c, ErrUnavailable) {
		t.Error("ChallengeError")
	}
}
