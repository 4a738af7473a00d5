package providers

import (
	"crypto/x509"
	"log/slog"
	"net/http"
)

// Secret is a password or token. It redacts itself in fmt and slog output.
type Secret string

// String returns a fixed placeholder, never the secret.
func (Secret) String() string { return "REDACTED" }

// GoString returns a fixed placeholder, never the secret.
func (Secret) GoString() string { return "REDACTED" }

// LogValue returns a fixed placeholder, never the secret.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Reveal returns the secret itself, for the code that must check it.
func (s Secret) Reveal() string { return string(s) }

// Scheme is where a credential came from.
type Scheme string

const (
	// SchemeNone means no credential: the anonymous identity.
	SchemeNone Scheme = ""
	// SchemeBasic is a Basic username and password (docker login), or a
	// username and password of a POST password grant.
	SchemeBasic Scheme = "Basic"
	// SchemeBearer is an `Authorization: Bearer` token.
	SchemeBearer Scheme = "Bearer"
	// SchemeDPoP is an `Authorization: DPoP` token with a DPoP proof header.
	SchemeDPoP Scheme = "DPoP"
	// SchemeExchange is the subject_token of an RFC 8693 token exchange.
	SchemeExchange Scheme = "Exchange"
)

// Credential is what a client presented, with the request facts that
// sender-constrained credentials are checked against.
type Credential struct {
	Scheme Scheme
	// Username is the Basic username: a routing hint for token-as-password
	// providers, the account name for static users.
	Username string
	// Secret is the password or token.
	Secret Secret
	// TokenType is the RFC 8693 subject_token_type of a token exchange.
	TokenType string
	// Request describes the HTTP request the credential arrived with.
	Request RequestInfo
}

// RequestInfo is the part of the HTTP request that sender constraints need.
type RequestInfo struct {
	// Method is the HTTP method (DPoP `htm`).
	Method string
	// URL is the request URL rebuilt from the configured public URL, without
	// query or fragment (DPoP `htu`). Never taken from the Host header.
	URL string
	// RemoteAddr is the peer address of the connection.
	RemoteAddr string
	// Header is a read-only view of the request headers.
	Header http.Header
	// PeerCertificates are the verified TLS client certificates, leaf first.
	PeerCertificates []*x509.Certificate
}

// LogValue renders the credential without its secret.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("scheme", string(c.Scheme)),
		slog.String("username", c.Username),
		slog.String("secret", "REDACTED"),
	)
}
