package jwks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/upstream"
)

// DefaultMaxStale bounds the age of keys read back from the state directory
// when no bound is configured.
const DefaultMaxStale = 24 * time.Hour

// persisted is the file a key set leaves in the state directory after each
// successful fetch: the keys, the URL they were read from, the jwks_uri the
// issuer's discovery document named, and when they were fetched.
type persisted struct {
	Key        string          `json:"key"`
	From       string          `json:"from"`
	Discovered string          `json:"discovered,omitempty"`
	Fetched    time.Time       `json:"fetched"`
	JWKS       json.RawMessage `json:"jwks"`
}

// persistPath is the file of the key set held under key.
func persistPath(dir, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, "jwks-"+hex.EncodeToString(sum[:12])+".json")
}

// save writes the fetched keys of st to the state directory, replacing the
// previous file at once (a crash leaves the old file or the new one, never
// a part). The caller holds st.sem, so one save of a file runs at a time.
func (s *Set) save(keys []jose.JSONWebKey, from, discovered string, fetched time.Time) error {
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		return err
	}
	b, err := json.Marshal(persisted{Key: s.key, From: from, Discovered: discovered, Fetched: fetched.UTC(), JWKS: set})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.stateDir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.stateDir, ".jwks-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), persistPath(s.stateDir, s.key))
}

// load reads the key set of s back from the state directory: nil when there
// is none, it is for another document, it fails the checks of a fetched
// key set, or it is older than the staleness bound.
func (s *Set) load() (*state, error) {
	b, err := os.ReadFile(persistPath(s.stateDir, s.key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Whoever can write there can make regbridge trust a key.
	if fi, err := os.Stat(s.stateDir); err != nil {
		return nil, err
	} else if fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%s is writable by group or others (want mode 0700)", s.stateDir)
	}
	if len(b) > 2*MaxDocumentBytes {
		return nil, errors.New("file too large")
	}
	var p persisted
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("invalid file: %w", err)
	}
	switch {
	case p.Key != s.key:
		return nil, nil
	case s.uri != "" && p.From != s.uri:
		return nil, nil
	case s.uri == "" && sameOrigin(s.issuer, p.From) != nil:
		return nil, fmt.Errorf("keys read from %q, not on the issuer's origin", p.From)
	}
	if _, err := upstream.CheckURL(p.From, s.insecure); err != nil {
		return nil, err
	}
	age := s.now().Sub(p.Fetched)
	if age > s.maxStale || age < -time.Minute {
		return nil, nil
	}
	keys, err := Parse(p.JWKS)
	if err != nil {
		return nil, err
	}
	st := &state{sem: make(chan struct{}, 1), keys: keys, loaded: true, fromDisk: true, fetched: p.Fetched, from: p.From}
	if s.uri == "" {
		st.discovered = p.Discovered
	}
	return st, nil
}

// expireDisk drops keys read back from the state directory once they are
// older than the staleness bound; keys this process fetched are kept. The
// caller holds st.mu.
func (s *Set) expireDisk(st *state) {
	if st.fromDisk && s.now().Sub(st.fetched) > s.maxStale {
		st.keys, st.loaded, st.fromDisk, st.discovered = nil, false, false, ""
		s.logger.Warn("issuer keys from the state directory dropped: older than max_stale_keys and the issuer still unreachable",
			slog.Duration("max_stale_keys", s.maxStale))
	}
}

// StaleKeys implements providers.StaleKeysReporter: a key set verifying with
// keys read back from the state directory that no fetch has confirmed.
func (st *state) StaleKeys() (providers.StaleKeys, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.fromDisk {
		return providers.StaleKeys{}, false
	}
	return providers.StaleKeys{Source: st.from, Fetched: st.fetched}, true
}
