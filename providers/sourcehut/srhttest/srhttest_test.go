package srhttest

import (
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	vecT1 = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFQ"
	vecT2 = "AACUNXcAAAAAAAAEamRvZa6t5eJPL6k7gA0tqUYSkVV0Nw42nbuSk31syPOa3sRn"
	vecT3 = "AADKmjsAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9l/jFXWYDl/wqF7Pvsgy236o6FHG6rCCnYXFtx1RlTaJw"
	vecT6 = "AACUNXcAAAAAHW90aGVyLmV4YW1wbGUub3JnL1JFR0lTVFJZOlJXAARqZG9lxzSaC0mcdjS66GqmIyrWUQtAtoZdSAwaHcVZC1LJzdc"
	vecX4 = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lALoQUt69j3lVyOXOzsUGtyKP838n1Gz3xfmkMydCoGod"
	vecX5 = "AACUNXcAAAAANm1ldGEuc3IuaHQvUFJPRklMRTpSTyByZWdpc3RyeS5leGFtcGxlLmNvbS9SRUdJU1RSWTpSVwAEamRvZaKz2kt8ZyrR51LNxsi2nCZ+M59A27l2HPpdp+KheOSm"
	vecX8 = "AACUNXcAAAAAIHJlZ2lzdHJ5LmV4YW1wbGUuY29tL1JFR0lTVFJZOlJXAARqZG9lM6lBlrnbPZ71dhdQa8JjDFXF8fhm8GdGhObBVbVNsFU"
)

func TestBearerKeyDerivationUsesTheFull64ByteKey(t *testing.T) {
	got := hex.EncodeToString(TestMinter().BearerKey())
	if want := "e27885728e05b55ddb917cb57716e5cd48e249692777cd49ec0368ab1b63503a"; got != want {
		t.Errorf("bearer key = %s, want %s", got, want)
	}
}

func TestMinterReproducesTheReferenceVectors(t *testing.T) {
	m := TestMinter()
	rw := "registry.example.com/REGISTRY:RW"
	tests := []struct {
		name string
		tok  Token
		want string
	}{
		{"T1", Token{Expires: 2000000000, Grants: rw, Username: "jdoe"}, vecT1},
		{"T2", Token{Expires: 2000000000, Username: "jdoe"}, vecT2},
		{"T3", Token{Expires: 1000000000, Grants: rw, Username: "jdoe"}, vecT3},
		{"T6", Token{Expires: 2000000000, Grants: "other.example.org/REGISTRY:RW", Username: "jdoe"}, vecT6},
		{"X4", Token{Expires: 2000000000, Grants: rw, Username: "jdoe", Trailing: []byte{0}}, vecX4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Mint(tt.tok); got != tt.want {
				t.Errorf("Mint = %s, want %s", got, tt.want)
			}
		})
	}
	if got := m.MintBadMAC(Token{Expires: 2000000000, Grants: rw, Username: "jdoe"}); got != vecX8 {
		t.Errorf("MintBadMAC = %s, want X8 %s", got, vecX8)
	}
	if got, want := NonCanonical(vecT1), vecT1[:len(vecT1)-1]+"R"; got != want {
		t.Errorf("NonCanonical(T1) = %s, want T1' %s", got, want)
	}
}

func TestMiddlewareAnswersLikeCoreGo(t *testing.T) {
	clock := NewClock(time.Unix(1_900_000_000, 0))
	s := New(t, Options{Now: clock.Now, Users: []User{{Username: "jdoe"}, {Username: "bad", Suspended: true, Notice: "spam"}}})
	m := s.Minter()
	rw := "registry.example.com/REGISTRY:RW"
	revoked := m.Mint(Token{Expires: 2000000001, Grants: rw, Username: "jdoe"})
	if NonCanonical(revoked) == "" {
		t.Fatal("the revoked token has no padding bits")
	}
	s.Revoke(revoked)
	clientTok := m.Mint(Token{Expires: 2000000000, Grants: rw, Username: "jdoe", ClientID: "c-1"})
	s.RevokeClient("c-1")
	version := `{"query":"{ version { major minor patch } }"}`
	me := `{"query":"query { me { username canonicalName } }"}`
	tests := []struct {
		name, path, auth, ctype, body, cookie string
		status                                int
		want                                  string
	}{
		{"T1 runs the version query", "/query", "Bearer " + vecT1, "", version, "", 200, `{"data":{"version":{"major":0,"minor":0,"patch":0}}}`},
		{"the scheme is case-insensitive", "/query", "bEaReR " + vecT1, "", version, "", 200, `"major":0`},
		{"T1 prime is accepted like real meta (non-strict base64)", "/query", "Bearer " + NonCanonical(vecT1), "", version, "", 200, `"major":0`},
		{"X4 with trailing bytes is accepted like real meta", "/query", "Bearer " + vecX4, "", version, "", 200, `"major":0`},
		{"T6 is accepted: meta knows nothing of registries", "/query", "Bearer " + vecT6, "", version, "", 200, `"major":0`},
		{"no header is 401", "/query", "", "", version, "", 401, `{"errors":[{"message":"Authentication error: Authorization header is required. Expected 'Authorization: Bearer [token]'"}]}`},
		{"no space is 400", "/query", "Bearer" + vecT1, "", version, "", 400, `Authentication error: Invalid Authorization header"`},
		{"another scheme is 400", "/query", "Basic " + vecT1, "", version, "", 400, `Authentication error: Invalid Authorization header"`},
		{"a double space is 400 invalid token", "/query", "Bearer  " + vecT1, "", version, "", 400, `Invalid OAuth bearer token`},
		{"padding is 400 invalid token", "/query", "Bearer " + vecT1 + "=", "", version, "", 400, `Invalid OAuth bearer token`},
		{"an underscore passes the regex and fails decoding with 403", "/query", "Bearer " + strings.Replace(vecX5, "+", "_", 1), "", version, "", 403, `Invalid or expired OAuth 2.0 bearer token`},
		{"X8 with a bad MAC is 403", "/query", "Bearer " + vecX8, "", version, "", 403, `Invalid or expired OAuth 2.0 bearer token`},
		{"T3 expired is 403", "/query", "Bearer " + vecT3, "", version, "", 403, `Invalid or expired OAuth 2.0 bearer token`},
		{"a legacy token is 403", "/query", "Bearer 0123456789abcdef0123456789abcdef", "", version, "", 403, `Invalid or expired OAuth token`},
		{"a revoked token is 403", "/query", "Bearer " + revoked, "", version, "", 403, `Invalid or expired OAuth 2.0 bearer token`},
		{"a non-canonical revoked token passes (the bypass)", "/query", "Bearer " + NonCanonical(revoked), "", version, "", 200, `"major":0`},
		{"a revoked client is 403", "/query", "Bearer " + clientTok, "", version, "", 403, `Invalid or expired OAuth 2.0 bearer token`},
		{"an unknown user is 500", "/query", "Bearer " + m.Mint(Token{Expires: 2000000000, Grants: rw, Username: "ghost"}), "", version, "", 500, `Temporary error; try again later`},
		{"a suspended user is 403 with the notice", "/query", "Bearer " + m.Mint(Token{Expires: 2000000000, Grants: rw, Username: "bad"}), "", version, "", 403, `Account suspended with the following notice: spam\nContact support`},
		{"malformed grants are 500", "/query", "Bearer " + m.Mint(Token{Expires: 2000000000, Grants: rw + " ", Username: "jdoe"}), "", version, "", 500, `Internal Server Error`},
		{"a cookie switches to cookie auth", "/query", "Bearer " + vecT1, "", version, "sr.ht.unified-login.v1=x", 403, `Invalid authentication cookie`},
		{"me without PROFILE is a 200 resolver error", "/query", "Bearer " + vecT1, "", me, "", 200, `{"errors":[{"message":"Access denied for invalid auth method","path":["me"]}],"data":null}`},
		{"me with empty grants works", "/query", "Bearer " + vecT2, "", me, "", 200, `{"data":{"me":{"username":"jdoe","canonicalName":"~jdoe"}}}`},
		{"a form body is 400 transport not supported", "/query", "Bearer " + vecT1, "application/x-www-form-urlencoded", "q=1", "", 400, `transport not supported`},
		{"bad JSON is 400", "/query", "Bearer " + vecT1, "", "{", "", 400, `json body could not be decoded`},
		{"an unknown field is 422", "/query", "Bearer " + vecT1, "", `{"query":"{ nope { x } }"}`, "", 422, `Cannot query field`},
		{"api-meta.json needs no token", "/query/api-meta.json", "", "", "", "", 200, `{"scopes":["AUDIT_LOG","BILLING","PGP_KEYS","SSH_KEYS","PROFILE"]}`},
		{"paths outside /query need no token", "/", "", "", "", "", 404, `404 page not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			ctype := tt.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			req.Header.Set("Content-Type", ctype)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.cookie != "" {
				req.Header.Set("Cookie", tt.cookie)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

func TestExpiryIsInclusiveOfTheLastSecond(t *testing.T) {
	clock := NewClock(time.Unix(2000000000, 0))
	s := New(t, Options{Now: clock.Now})
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{time.Unix(1999999999, 0), 200},
		{time.Unix(2000000000, 0), 200},
		{time.Unix(2000000000, 1), 403},
		{time.Unix(2000000001, 0), 403},
	} {
		clock.Set(tc.at)
		if got := post(t, s.URL, vecT1); got != tc.want {
			t.Errorf("at %v: status %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestCountsAndFaults(t *testing.T) {
	s := New(t, Options{SlowDelay: 50 * time.Millisecond})
	post(t, s.URL, vecT1)
	post(t, s.URL, vecT1)
	post(t, s.URL, vecT2)
	if got := s.CountToken(vecT1); got != 2 {
		t.Errorf("CountToken(T1) = %d, want 2", got)
	}
	if got := s.Count(); got != 3 {
		t.Errorf("Count = %d, want 3", got)
	}
	if got := s.Requests()[0].Header.Get("Authorization"); got != "Bearer "+vecT1 {
		t.Errorf("recorded Authorization = %q", got)
	}
	for _, tc := range []struct {
		f    Fault
		want int
	}{
		{FaultSlow, 200}, {FaultBadGateway, 502}, {FaultServiceUnavailable, 503}, {FaultGatewayTimeout, 504},
		{FaultInternal, 500}, {FaultTooManyRequests, 429}, {FaultHTML, 200}, {FaultEmpty, 200},
		{FaultTruncated, 200}, {FaultAPIMeta, 200},
	} {
		s.SetFault(tc.f)
		if got := post(t, s.URL, vecT1); got != tc.want {
			t.Errorf("fault %d: status %d, want %d", tc.f, got, tc.want)
		}
	}
	s.SetFault(FaultReset)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader("{}"))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("FaultReset answered %d, want a dropped connection", resp.StatusCode)
	}
}

func post(t *testing.T, base, tok string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/query", strings.NewReader(`{"query":"{ version { major minor patch } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
