// Package signing holds regbridge's token keys and everything done with
// them: loading and generating keys with their certificates, the libtrust
// key ID and the JWKS, the two JWS header forms registries accept (x5c and
// kid), minting registry tokens, and sealing refresh tokens (Sealer).
//
// It knows nothing of HTTP, policies or providers: bridge decides what a
// token grants and asks a Minter to sign it; the key commands of
// cmd/regbridge make and inspect keys through it.
package signing
