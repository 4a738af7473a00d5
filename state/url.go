package state

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Endpoint is a parsed redis:// or rediss:// URL.
type Endpoint struct {
	// Addr is host:port (port 6379 when the URL has none).
	Addr string
	// Host is the host name, for TLS server name checks.
	Host string
	// TLS is set for rediss://.
	TLS bool
	// Username and Password come from the URL's user information.
	Username string
	Password string
	// DB is the database number from the URL path (default 0).
	DB int
}

// Redacted returns the URL form of e without the password, for logs.
func (e Endpoint) Redacted() string {
	scheme := "redis"
	if e.TLS {
		scheme = "rediss"
	}
	user := ""
	switch {
	case e.Username != "" && e.Password != "":
		user = url.User(e.Username).String() + ":REDACTED@"
	case e.Username != "":
		user = url.User(e.Username).String() + "@"
	case e.Password != "":
		user = ":REDACTED@"
	}
	return fmt.Sprintf("%s://%s%s/%d", scheme, user, e.Addr, e.DB)
}

func (e Endpoint) tlsConfig() *tls.Config {
	if !e.TLS {
		return nil
	}
	return &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}
}

// maxDB bounds the database number; Redis has 16 by default and the
// `databases` setting rarely goes far past that.
const maxDB = 1 << 16

// ParseURL parses a redis:// or rediss:// URL of the form
// redis[s]://[[user]:password@]host[:port][/db]. It does no I/O. Its errors
// never contain the URL, which may hold a password. Query parameters are
// refused: timeouts and the key prefix are configuration keys of their own.
func ParseURL(raw string) (Endpoint, error) {
	var e Endpoint
	if raw == "" {
		return e, errors.New("state: url: required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return e, errors.New("state: url: not a valid URL")
	}
	switch u.Scheme {
	case "redis":
	case "rediss":
		e.TLS = true
	default:
		return e, errors.New("state: url: the scheme must be redis:// or rediss://")
	}
	if u.Opaque != "" {
		return e, errors.New("state: url: must be of the form redis://host:port/db")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return e, errors.New("state: url: query parameters are not accepted (use timeout and key_prefix)")
	}
	if u.Fragment != "" {
		return e, errors.New("state: url: a fragment is not accepted")
	}
	e.Host = u.Hostname()
	if e.Host == "" {
		return e, errors.New("state: url: a host is required")
	}
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return e, errors.New("state: url: empty port")
		}
		port = "6379"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return e, errors.New("state: url: the port must be a number from 1 to 65535")
	}
	e.Addr = net.JoinHostPort(e.Host, port)
	if u.User != nil {
		e.Username = u.User.Username()
		e.Password, _ = u.User.Password()
	}
	switch p := strings.TrimPrefix(u.Path, "/"); {
	case p == "":
	case strings.Contains(p, "/"):
		return e, errors.New("state: url: the path must be a database number")
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n >= maxDB || strconv.Itoa(n) != p {
			return e, errors.New("state: url: the path must be a database number")
		}
		e.DB = n
	}
	return e, nil
}
