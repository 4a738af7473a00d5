package bridge

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds the X-Forwarded-For entries read from the right.
const maxForwardedHops = 16

// clientResolver finds the address a request comes from: the peer, or, when
// the peer is a trusted proxy, the rightmost X-Forwarded-For entry that is
// not itself a trusted proxy.
type clientResolver struct {
	trusted    []netip.Prefix
	ipv6Prefix int
}

// client returns the client's address, and its bucket: the address itself
// for IPv4, its IPv6Prefix network for IPv6. ok is false when the peer
// address cannot be read (a unix socket); such requests share one bucket.
func (c clientResolver) client(r *http.Request) (addr netip.Addr, ok bool) {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !c.isTrusted(peer) {
		return peer, true
	}
	return c.forwardedFor(peer, r.Header.Values("X-Forwarded-For")), true
}

// forwardedFor walks the X-Forwarded-For values from the right (the entries
// the trusted proxies appended) and stops at the first one that is not a
// trusted proxy. An unparsable entry ends the walk: what lies left of it
// was written by the client and proves nothing, so the last trusted hop is
// the client.
func (c clientResolver) forwardedFor(peer netip.Addr, values []string) netip.Addr {
	client := peer
	hops := 0
	for i := len(values) - 1; i >= 0; i-- {
		parts := strings.Split(values[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			hops++
			if hops > maxForwardedHops {
				return client
			}
			a, ok := parseHostAddr(strings.TrimSpace(parts[j]))
			if !ok {
				return client
			}
			client = a
			if !c.isTrusted(a) {
				return a
			}
		}
	}
	return client
}

func (c clientResolver) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// bucket is the key material of a's address bucket.
func (c clientResolver) bucket(a netip.Addr) string {
	if a.Is4() || c.ipv6Prefix >= 128 {
		return a.String()
	}
	p, err := a.Prefix(c.ipv6Prefix)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// parseHostAddr reads "1.2.3.4", "1.2.3.4:5", "::1", "[::1]:5"; zones are
// dropped and IPv4-mapped IPv6 addresses become IPv4.
func parseHostAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
