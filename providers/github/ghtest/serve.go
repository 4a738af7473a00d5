package ghtest

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// caller is who a request authenticated as.
type caller struct {
	user  *User
	token *tokenRec // nil for a password or no credential
}

var (
	reposPath = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)$`)
	reposByID = regexp.MustCompile(`^/repositories/([0-9]+)$`)
)

// route names the endpoint of an API path (without the prefix).
func route(method, path string) (endpoint, repository string) {
	if method != http.MethodGet {
		return "", ""
	}
	switch path {
	case "/user":
		return EndpointUser, ""
	case "/user/orgs":
		return EndpointOrgs, ""
	case "/user/teams":
		return EndpointTeams, ""
	case "/rate_limit":
		return EndpointRateLimit, ""
	}
	if m := reposPath.FindStringSubmatch(path); m != nil {
		return EndpointRepo, m[1] + "/" + m[2]
	}
	if reposByID.MatchString(path) {
		return EndpointRepository, ""
	}
	return "", ""
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path, inPrefix := strings.CutPrefix(r.URL.Path, s.prefix)
	if !inPrefix || s.prefix != "" && path == "" {
		path = "\x00" // nothing is served outside the API root
	}
	endpoint, repository := route(r.Method, path)
	fault := s.record(r, endpoint, repository)
	w.Header().Set("X-Github-Request-Id", strconv.FormatInt(time.Now().UnixNano(), 16))
	w.Header().Set("X-Github-Media-Type", "github.v3; format=json")
	if s.serveFault(w, r, fault) {
		return
	}
	// Requests without a User-Agent are rejected (forges.md §3.1).
	if r.Header.Get("User-Agent") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, authErr := s.authenticate(r)
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	bucketKey, limit := "ip:"+ip, unauthenticatedLimit
	if c.user != nil {
		bucketKey, limit = userBucket(c.user.ID), s.opts.RateLimit
	} else if s.opts.RateLimit <= 0 {
		limit = 0
	}
	if !s.take(w, bucketKey, limit) {
		msg := "API rate limit exceeded for " + strings.TrimPrefix(bucketKey, "ip:") + "."
		if c.user != nil {
			msg = "API rate limit exceeded for user ID " + strconv.FormatInt(c.user.ID, 10) + "."
		}
		s.writeLimit(w, msg)
		return
	}
	if authErr != "" {
		// Bad, expired or revoked credentials: 401 (forges.md §3.2).
		writeError(w, http.StatusUnauthorized, authErr, "https://docs.github.com/rest")
		return
	}
	s.tokenHeaders(w, c)
	switch endpoint {
	case EndpointUser:
		s.serveUser(w, c)
	case EndpointOrgs:
		s.serveOrgs(w, r, c)
	case EndpointTeams:
		s.serveTeams(w, r, c)
	case EndpointRepo:
		s.serveRepo(w, r, c, repository)
	case EndpointRepository:
		s.serveRepoByID(w, r, c, strings.TrimPrefix(path, "/repositories/"))
	case EndpointRateLimit:
		writeJSON(w, http.StatusOK, map[string]any{"resources": map[string]any{}})
	default:
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest")
	}
}

// authenticate reads the Authorization header: "Bearer T" or "token T"
// (forges.md §3.1), or Basic login:password in Enterprise mode only. It
// returns the 401 message for a credential it refuses.
func (s *Server) authenticate(r *http.Request) (caller, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return caller{}, ""
	}
	scheme, v, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		t, ok := s.tokens[strings.TrimSpace(v)]
		if !ok || t.revoked {
			return caller{}, "Bad credentials"
		}
		if !t.Expires.IsZero() && !s.opts.Now().Before(t.Expires) {
			return caller{}, "Bad credentials"
		}
		u := s.users[t.userID]
		return caller{user: u, token: t}, ""
	case "basic":
		if !s.opts.Enterprise {
			return caller{}, "Bad credentials"
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		login, pass, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			return caller{}, "Bad credentials"
		}
		id, known := s.logins[key(login)]
		if !known || s.users[id].Password == "" || s.users[id].Password != pass {
			return caller{}, "Bad credentials"
		}
		return caller{user: s.users[id]}, ""
	}
	return caller{}, "Bad credentials"
}

// tokenHeaders writes X-OAuth-Scopes (present, maybe empty, for classic
// and OAuth tokens; absent for fine-grained and App tokens, forges.md §3.3)
// and GitHub-Authentication-Token-Expiration for expiring tokens (§3.1).
func (s *Server) tokenHeaders(w http.ResponseWriter, c caller) {
	if c.token == nil {
		return
	}
	if c.token.Kind == Classic || c.token.Kind == OAuth {
		w.Header().Set("X-Oauth-Scopes", strings.Join(normalize(c.token.Scopes), ", "))
	}
	if !c.token.Expires.IsZero() {
		w.Header().Set("Github-Authentication-Token-Expiration", c.token.Expires.UTC().Format("2006-01-02 15:04:05")+" UTC")
	}
}

// writeError writes GitHub's error document: message, documentation_url
// and status as a string (forges.md §3.2).
func writeError(w http.ResponseWriter, status int, msg, doc string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) record(r *http.Request, endpoint, repository string) Fault {
	var hash string
	if _, v, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		hash = tokenHash(strings.TrimSpace(v))
	}
	s.log.Add(Request{
		Method: r.Method, Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Endpoint: endpoint, Repository: repository, Header: r.Header.Clone(), TokenHash: hash,
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.faults[endpoint]; ok && endpoint != "" {
		return f
	}
	return s.faults[""]
}
