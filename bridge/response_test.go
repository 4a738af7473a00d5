package bridge

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestFramedTokenAnswersAreTheBytesOfJSONMarshal(t *testing.T) {
	tok := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_"
	cases := []struct {
		name string
		resp tokenResponse
	}{
		{"a GET answer", tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: 300, IssuedAt: "2026-12-07T01:18:19Z"}},
		{"a POST answer with scope and refresh token", tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: 60,
			IssuedAt: "2026-12-07T01:18:19Z", Scope: "repository:a/b:pull,push registry:catalog:*", RefreshToken: "rt.abc-_"}},
		{"an exchange answer", tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: 3600, IssuedAt: "2026-12-07T01:18:19Z",
			IssuedTokenType: "urn:ietf:params:oauth:token-type:access_token", TokenType: "Bearer"}},
		{"strings json.Marshal escapes", tokenResponse{Token: "a\"b\\c<d>&e", AccessToken: "\x00\n\t\u2028é\xff",
			ExpiresIn: -1, IssuedAt: "", Scope: "repository:<x>:pull"}},
		{"an empty answer", tokenResponse{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendTokenResponse(nil, &tc.resp, false); string(got) != string(want) {
				t.Errorf("framed\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestAnAccessTokenOnlyAnswerCarriesNoTokenField(t *testing.T) {
	resp := tokenResponse{Token: "t.o.k", AccessToken: "t.o.k", ExpiresIn: 300, IssuedAt: "2026-12-07T01:18:19Z"}
	var got map[string]any
	if err := json.Unmarshal(appendTokenResponse(nil, &resp, true), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["token"]; ok || got["access_token"] != "t.o.k" || got["expires_in"] != 300.0 {
		t.Errorf("answer = %v, want access_token and expires_in without token", got)
	}
}

func TestTokenAnswersAreOneBodyWithItsLength(t *testing.T) {
	resp := tokenResponse{Token: "t.o.k", AccessToken: "t.o.k", ExpiresIn: 300, IssuedAt: issuedAt(time.Unix(0, 0))}
	rec := httptest.NewRecorder()
	writeTokenAnswer(rec, &resp, false)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Length") != strconv.Itoa(len(body)) ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("status %d, headers %v, body %d bytes", rec.Code, rec.Header(), len(body))
	}
	if resp.IssuedAt != "1970-01-01T00:00:00Z" {
		t.Errorf("issued_at = %q", resp.IssuedAt)
	}
}

func TestContentLengthValuesAreTheDecimalLengthAndBuiltOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2348, len(contentLengths) - 1, len(contentLengths), 1 << 20} {
		a, b := contentLength(n), contentLength(n)
		if len(a) != 1 || a[0] != strconv.Itoa(n) || b[0] != a[0] {
			t.Fatalf("contentLength(%d) = %q, %q", n, a, b)
		}
		if n < len(contentLengths) && &a[0] != &b[0] {
			t.Errorf("contentLength(%d) built twice", n)
		}
	}
}

func TestIssuedAtIsTheRFC3339SecondOfEveryTime(t *testing.T) {
	base := time.Date(2026, 12, 7, 23, 59, 59, 0, time.UTC)
	for _, tm := range []time.Time{
		base, base.Add(999 * time.Millisecond), base.Add(time.Second), base,
		base.Add(-time.Hour).In(time.FixedZone("X", 3600)), time.Unix(0, 0), time.Unix(-1, 500),
		base.Add(time.Second + time.Nanosecond), base.AddDate(1, 0, 0),
	} {
		if got, want := issuedAt(tm), tm.UTC().Format(time.RFC3339); got != want {
			t.Errorf("issuedAt(%v) = %q, want %q", tm, got, want)
		}
	}
}
