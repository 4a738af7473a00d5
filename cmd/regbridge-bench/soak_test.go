package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestASoakRunAnswersEveryCredentialKindAsExpectedAndReportsEachInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts regbridge")
	}
	bin := buildRegbridge(t)
	is, err := startIssuer()
	if err != nil {
		t.Fatal(err)
	}
	defer is.close()
	srv, err := spawn(context.Background(), bin, t.TempDir(), serverSpec{Rules: 2, Users: sprayUsers, BcryptCost: 4, OIDCIssuer: is.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	var out bytes.Buffer
	lines, err := runSoak(context.Background(), soakSpec{URL: srv.URL, Service: benchService, PID: srv.PID(), Workers: 8,
		Duration: 2700 * time.Millisecond, Interval: time.Second, Issuer: is, Timeout: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines for 2.7 s at 1 s intervals, want 3:\n%s", len(lines), out.String())
	}
	total := map[string]int64{}
	for _, l := range lines {
		if len(l.Errors) != 0 {
			t.Errorf("unexpected answers at %s: %v", l.At, l.Errors)
		}
		if l.RSSKiB <= 0 {
			t.Errorf("no server RSS at %s", l.At)
		}
		for k, n := range l.Expected {
			total[k] += n
		}
	}
	for _, k := range soakKinds {
		if total[k] == 0 {
			t.Errorf("no %s request answered as expected:\n%s", k, out.String())
		}
	}
	if !strings.Contains(out.String(), "load average") {
		t.Errorf("no load average in the output:\n%s", out.String())
	}
}

func TestASoakLineNamesEachUnexpectedStatusByKind(t *testing.T) {
	l := soakLine{At: time.Minute, Expected: map[string]int64{KindAnonymous: 5, KindSpray: 2},
		Errors: map[string]int{"oidc 503": 3, "static transport": 1}, RSSKiB: 2048}
	got := l.String()
	for _, want := range []string{"requests       11", "anonymous 5", "spray 2", "errors 4 (oidc:503=3 static:transport=1)", "rss 2.0 MiB"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func TestProcRSSReadsThisProcess(t *testing.T) {
	kib, err := procRSS(os.Getpid())
	if err != nil || kib <= 0 {
		t.Fatalf("procRSS = %d, %v", kib, err)
	}
}
