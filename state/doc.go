// Package state holds the stores that regbridge replicas share.
//
// Redis is a providers.ReplayStore backed by a Redis server, so that a DPoP
// proof or a single-use ID token accepted by one replica is refused by every
// other. Each Remember is one atomic `SET key 1 NX PXAT <until ms>`: the key
// is fresh exactly when the SET wrote it. Keys are the SHA-256 of the key
// material under a configurable prefix, so raw tokens and proofs never reach
// Redis.
//
// The store fails closed: when Redis cannot be reached, times out or answers
// with an error, Remember returns a *providers.UnavailableError (a 503 with
// Retry-After at the bridge) and never reports a key as fresh.
//
// Provider packages stay free of this package: the command wires a store
// into providers.Deps.
package state
