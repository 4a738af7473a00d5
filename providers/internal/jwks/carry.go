package jwks

import "github.com/regbridge/regbridge/providers"

// A key set learnt from an issuer is held across reloads under the document
// its keys are read from, and only the configurations that read the same
// document start with its keys:
//
//   - an explicit JWKS URL: every provider naming that URL, whatever its
//     issuer, audience, claim mapping, algorithms or timeouts;
//   - discovery: every provider of that exact issuer string without an
//     explicit JWKS URL;
//   - a provider that names explicitly the JWKS URL its issuer's discovery
//     gave starts with the keys read from that URL, until its own fetch
//     replaces them.
//
// Every other change (another issuer under discovery, another JWKS URL, a
// switch from an explicit URL to discovery, which may name another
// document, inline keys) starts with no keys: keys from another document
// may be keys the operator meant to stop trusting.

// stateKey names the document a key set is read from.
func stateKey(issuer, uri string) string {
	if uri != "" {
		return "jwks\nurl\n" + uri
	}
	return "jwks\ndiscovery\n" + issuer
}

// seedFor returns the state a new key set of issuer reading uri (empty for
// discovery) starts with when none is held under its key: the keys the
// issuer's discovery read from uri, if held, else nothing.
func seedFor(shared providers.KeySets, issuer, uri string) *state {
	st := &state{sem: make(chan struct{}, 1)}
	if uri == "" {
		return st
	}
	v, ok := shared.Peek(stateKey(issuer, ""))
	if !ok {
		return st
	}
	disc, ok := v.(*state)
	if !ok {
		return st
	}
	disc.mu.Lock()
	defer disc.mu.Unlock()
	if disc.loaded && disc.from == uri {
		st.keys, st.loaded, st.fetched, st.from, st.fromDisk = disc.keys, true, disc.fetched, disc.from, disc.fromDisk
	}
	return st
}
