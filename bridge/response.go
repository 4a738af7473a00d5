package bridge

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/regbridge/regbridge/internal/jsonappend"
)

// The token answer is framed by hand into a pooled buffer instead of going
// through encoding/json: it is the one body on the hot path, its fields are
// fixed, and the token itself (base64url and dots) never needs escaping. The
// bytes are those json.Marshal writes for tokenResponse
// (TestFramedTokenAnswersAreTheBytesOfJSONMarshal).

// Header values shared by every JSON answer; net/http only reads them.
var (
	headerJSON    = []string{"application/json"}
	headerNoStore = []string{"no-store"}
)

// bodyPool holds answer buffers: a token with an x5c header is about 2.5 KB.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendTokenResponse appends the JSON of r, as json.Marshal writes it.
// accessOnly leaves out the token field (the service's token_fields:
// access_token).
func appendTokenResponse(b []byte, r *tokenResponse, accessOnly bool) []byte {
	b = append(b, '{')
	// token and access_token are one string: one check covers both.
	plain := base64URLAndDots(r.AccessToken)
	if !accessOnly {
		b = append(b, `"token":`...)
		b = appendToken(b, r.Token, plain && r.Token == r.AccessToken)
		b = append(b, ',')
	}
	b = append(b, `"access_token":`...)
	b = appendToken(b, r.AccessToken, plain)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, int64(r.ExpiresIn), 10)
	b = append(b, `,"issued_at":`...)
	b = jsonappend.String(b, r.IssuedAt)
	for _, f := range [...]struct{ name, v string }{
		{`,"scope":`, r.Scope}, {`,"issued_token_type":`, r.IssuedTokenType},
		{`,"refresh_token":`, r.RefreshToken}, {`,"token_type":`, r.TokenType},
	} {
		if f.v != "" { // omitempty
			b = append(b, f.name...)
			b = jsonappend.String(b, f.v)
		}
	}
	return append(b, '}')
}

// appendToken appends a compact JWS as a JSON string. Base64url and dots
// need no escaping; checking that with one table lookup per byte is
// cheaper than jsonappend.String's comparisons over both 2 KB copies.
// plain says the check was made and passed; otherwise tok is checked here.
func appendToken(b []byte, tok string, plain bool) []byte {
	if plain || base64URLAndDots(tok) {
		b = append(b, '"')
		b = append(b, tok...)
		return append(b, '"')
	}
	return jsonappend.String(b, tok)
}

// base64URLAndDots reports whether s holds only base64url letters and dots.
func base64URLAndDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if !jwsByte[s[i]] {
			return false
		}
	}
	return true
}

// jwsByte marks the bytes of a compact JWS.
var jwsByte = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_." {
		t[c] = true
	}
	return t
}()

// issuedAt is the RFC 3339 UTC issued_at of an answer. It has whole
// seconds, so the string of the last second asked for is kept and shared.
func issuedAt(t time.Time) string {
	sec := t.Unix()
	if e := lastIssuedAt.Load(); e != nil && e.sec == sec {
		return e.s
	}
	var buf [len(time.RFC3339) + 8]byte
	e := &issuedAtString{sec: sec, s: string(t.UTC().AppendFormat(buf[:0], time.RFC3339))}
	lastIssuedAt.Store(e)
	return e.s
}

// issuedAtString is the issued_at of one second.
type issuedAtString struct {
	sec int64
	s   string
}

var lastIssuedAt atomic.Pointer[issuedAtString]

// writeTokenAnswer sends resp as a 200 in one write with its length.
func writeTokenAnswer(w http.ResponseWriter, resp *tokenResponse, accessOnly bool) {
	bp := bodyPool.Get().(*[]byte)
	body := appendTokenResponse((*bp)[:0], resp, accessOnly)
	writeBody(w, http.StatusOK, body)
	if cap(body) <= 64<<10 {
		*bp = body[:0]
		bodyPool.Put(bp)
	}
}

// writeBody sends a JSON body with its Content-Length: net/http would send
// a body over 2 KB (a token with an x5c header) chunked.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = headerJSON, headerNoStore
	h["Content-Length"] = contentLength(len(body))
	w.WriteHeader(status)
	w.Write(body)
}

// contentLengths holds the Content-Length values of the body sizes seen so
// far, built once each: token answers are a few sizes around 1 to 3 KB.
// Like headerJSON they are shared and never written to.
var contentLengths [8 << 10]atomic.Pointer[[]string]

func contentLength(n int) []string {
	if n < 0 || n >= len(contentLengths) {
		return []string{strconv.Itoa(n)}
	}
	if v := contentLengths[n].Load(); v != nil {
		return *v
	}
	v := []string{strconv.Itoa(n)}
	contentLengths[n].Store(&v)
	return v
}
