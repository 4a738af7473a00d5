package authority

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/regbridge/regbridge/providers"
)

// maxCertHeaderBytes caps a forwarded client certificate.
const maxCertHeaderBytes = 16 << 10

// clientCertificate returns the DER of the client certificate of this
// request: from the configured header when the peer is a trusted proxy
// (and only then), otherwise from the TLS connection. A certificate header
// from any other peer is a forgery attempt and refused.
func (p *Provider) clientCertificate(req providers.RequestInfo) ([]byte, error) {
	name := p.cfg.MTLS.ClientCertHeader
	var forwarded []string
	if name != "" {
		forwarded = headerValues(req.Header, name)
	}
	if p.fromTrustedProxy(req.RemoteAddr) {
		if len(forwarded) != 1 {
			return nil, errors.New("trusted proxy sent no single client certificate header")
		}
		return parseForwardedCert(forwarded[0])
	}
	if len(forwarded) > 0 {
		return nil, errors.New("client certificate header from an untrusted peer")
	}
	if len(req.PeerCertificates) == 0 {
		return nil, errors.New("no client certificate on the connection")
	}
	return req.PeerCertificates[0].Raw, nil
}

func (p *Provider) fromTrustedProxy(remote string) bool {
	if len(p.proxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, pr := range p.proxies {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// parseForwardedCert reads an RFC 9440 Client-Cert value (`:base64(DER):`)
// or a URL-encoded PEM certificate.
func parseForwardedCert(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if len(v) > maxCertHeaderBytes {
		return nil, errors.New("client certificate header too large")
	}
	if len(v) >= 2 && v[0] == ':' && v[len(v)-1] == ':' {
		return base64.StdEncoding.DecodeString(v[1 : len(v)-1])
	}
	s, err := url.QueryUnescape(v)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("client certificate header is neither RFC 9440 nor PEM")
	}
	return block.Bytes, nil
}
