package jwks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers"
)

func TestInlineKeysNeverCauseNetworkIO(t *testing.T) {
	k := ecKey(t, "cluster")
	s, err := New(Options{Issuer: "https://kubernetes.default.svc", Inline: jwksJSON(t, k),
		HTTPClient: &http.Client{Transport: panicTransport{}}})
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := lookup(s, "cluster"); err != nil || len(keys) != 1 {
		t.Fatalf("known kid: %d keys, %v", len(keys), err)
	}
	if _, err := lookup(s, "other"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: err = %v, want ErrUnknownKey", err)
	}
}

func TestNewRefusesBrokenInlineKeysAndAMissingKeySource(t *testing.T) {
	if _, err := New(Options{Issuer: "https://i.example", Inline: []byte(`{"keys":[]}`)}); err == nil {
		t.Error("an empty inline key set was accepted")
	}
	if _, err := New(Options{Issuer: "https://i.example"}); err == nil {
		t.Error("a key set without URL, inline keys or discovery was accepted")
	}
}

func TestAnUnknownKidFloodFetchesAtMostOncePerCooldown(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k1"))
	s := discoverySet(t, is, c, nil)
	if _, err := lookup(s, "k1"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var found atomic.Int32
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys, err := lookup(s, fmt.Sprintf("random-%d", i))
			if len(keys) > 0 {
				found.Add(1)
			}
			if err != nil && !errors.Is(err, ErrUnknownKey) {
				t.Errorf("unknown kid: err = %v, want ErrUnknownKey", err)
			}
		}()
		if i == 250 {
			c.Advance(DefaultCooldown + time.Second) // one cooldown passes mid-flood
		}
	}
	wg.Wait()
	if n := found.Load(); n != 0 {
		t.Fatalf("%d unknown kids matched a key", n)
	}
	if n := is.requests(keysPath); n > 2 {
		t.Errorf("JWKS requests = %d for a flood spanning one cooldown, want at most 2", n)
	}
}

func TestARotatedKeyIsFoundByOneFetchAfterTheCooldownAndAWithdrawnKeyGoesStale(t *testing.T) {
	is, c := newIssuer(t), newClock()
	old, rotated := ecKey(t, "old"), ecKey(t, "new")
	is.publish(old)
	s := discoverySet(t, is, c, func(o *Options) { o.Interval = 10 * time.Minute })
	if _, err := lookup(s, "old"); err != nil {
		t.Fatal(err)
	}
	is.publish(rotated, old)
	c.Advance(2 * time.Second)
	if _, err := lookup(s, "new"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("within the cooldown: err = %v, want ErrUnknownKey", err)
	}
	c.Advance(DefaultCooldown)
	if _, err := lookup(s, "new"); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	if n := is.requests(keysPath); n != 2 {
		t.Errorf("JWKS requests = %d, want 2 (one refresh)", n)
	}
	is.publish(rotated)
	c.Advance(11 * time.Minute)
	if _, err := lookup(s, "old"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("withdrawn key once the keys are stale: err = %v, want ErrUnknownKey", err)
	}
	if n := is.requests(keysPath); n != 3 {
		t.Errorf("JWKS requests = %d, want 3", n)
	}
}

func TestStaleKeysKeepWorkingWhileTheIssuerIsDown(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	s := discoverySet(t, is, c, func(o *Options) { o.Interval = time.Minute })
	if _, err := lookup(s, "k"); err != nil {
		t.Fatal(err)
	}
	is.down()
	c.Advance(2 * time.Minute)
	for i := range 3 {
		if _, err := lookup(s, "k"); err != nil {
			t.Fatalf("lookup %d with the issuer down: %v", i, err)
		}
	}
	if _, err := lookup(s, "never-seen"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid with the issuer down: err = %v, want ErrUnknownKey", err)
	}
}

func TestAnIssuerDownAtStartAnswersUnavailableAndIsRetriedWithinFiveSeconds(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	is.down()
	s := discoverySet(t, is, c, nil)
	for i := range 2 {
		_, err := lookup(s, "k")
		var ue *providers.UnavailableError
		if !errors.As(err, &ue) || ue.RetryAfter <= 0 || ue.RetryAfter > maxFailBackoff {
			t.Fatalf("lookup %d: err = %v, want ErrUnavailable with a retry hint of at most 5s", i, err)
		}
		if errors.Is(err, ErrUnknownKey) || errors.Is(err, providers.ErrInvalidCredential) {
			t.Fatalf("lookup %d: an unreachable issuer must not look like a bad token", i)
		}
	}
	if n := is.requests(discoveryPath); n != 1 {
		t.Errorf("discovery requests within the back-off = %d, want 1", n)
	}
	is.handle(discoveryPath, nil)
	is.handle(keysPath, nil)
	c.Advance(maxFailBackoff + time.Second)
	if _, err := lookup(s, "k"); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
}

func TestAnEmptyKeySetIsNeverKept(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	s := discoverySet(t, is, c, func(o *Options) { o.Cooldown = time.Second })
	if _, err := lookup(s, "k"); err != nil {
		t.Fatal(err)
	}
	is.publish()
	c.Advance(2 * time.Second)
	if _, err := lookup(s, "unknown"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: err = %v, want ErrUnknownKey", err)
	}
	if _, err := lookup(s, "k"); err != nil {
		t.Fatalf("the old key after an empty key set: %v", err)
	}
	if n := is.requests(keysPath); n != 2 {
		t.Errorf("JWKS requests = %d, want 2", n)
	}
}

func TestAFetchOutlivesTheRequestThatStartedIt(t *testing.T) {
	is, c := newIssuer(t), newClock()
	is.publish(ecKey(t, "k"))
	release := make(chan struct{})
	is.handle(keysPath, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = w.Write(jwksJSON(t, ecKey(t, "k")))
	}))
	s := discoverySet(t, is, c, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Candidates(ctx, "ES256", "k", true)
		done <- err
	}()
	for is.requests(keysPath) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the first lookup: %v", err)
	}
	if _, err := lookup(s, "k"); err != nil {
		t.Fatalf("keys fetched for a cancelled request were not kept: %v", err)
	}
	if n := is.requests(keysPath); n != 1 {
		t.Errorf("JWKS requests = %d, want 1", n)
	}
}
