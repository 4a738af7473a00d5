package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// loginRecord is one person's login to one registry: the refresh token and
// where to redeem it. It is a long-lived secret.
type loginRecord struct {
	Registry      string   `json:"registry"`
	Issuer        string   `json:"issuer"`
	ClientID      string   `json:"client_id"`
	Scopes        []string `json:"scopes"`
	TokenEndpoint string   `json:"token_endpoint"`
	RefreshToken  string   `json:"refresh_token"`
}

// jsonStrict decodes exactly one JSON value into v (unknown members are
// ignored; trailing data is an error).
func jsonStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// loginFile is the path of host's login record.
func (h *helper) loginFile(host string) (string, error) {
	dir, err := h.logins()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(host))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".json"), nil
}

// privateDir creates dir (0700) or checks that it is a real directory, and
// takes group and other permissions away from it.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("helper: login store: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("helper: login store: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("helper: login store: %s is not a directory", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("helper: login store: %w", err)
		}
	}
	return nil
}

// saveLogin writes rec to a new 0600 file in the 0700 store directory and
// renames it into place, so that no reader ever sees a partial file and the
// secret is never readable by others, not even for a moment.
func (h *helper) saveLogin(rec loginRecord) error {
	path, err := h.loginFile(rec.Registry)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := privateDir(dir); err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".login-*")
	if err != nil {
		return fmt.Errorf("helper: login store: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("helper: login store: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("helper: login store: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("helper: login store: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("helper: login store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("helper: login store: %w", err)
	}
	return nil
}

// loadLogin reads host's record; ok is false when there is none. A record
// that others may read is refused: its secret may have leaked.
func (h *helper) loadLogin(host string) (rec loginRecord, ok bool, err error) {
	path, err := h.loginFile(host)
	if err != nil {
		return rec, false, err
	}
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("helper: login store: %w", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 {
		return rec, false, fmt.Errorf("helper: login store: %s is not a private regular file (mode %s); remove it and log in again", path, st.Mode())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return rec, false, fmt.Errorf("helper: login store: %w", err)
	}
	if err := jsonStrict(b, &rec); err != nil || rec.RefreshToken == "" || rec.Registry != host {
		return rec, false, fmt.Errorf("helper: login store: %s is not a login record for %s; log in again", path, host)
	}
	return rec, true, nil
}

func (h *helper) hasLogin(host string) (bool, error) {
	_, ok, err := h.loadLogin(host)
	return ok, err
}

// logout removes host's record; none is not an error.
func (h *helper) logout(host string) error {
	path, err := h.loginFile(host)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("helper: logout: %w", err)
	}
	return nil
}

// lockLogin serialises refreshes of host's record across processes (a
// refresh token used twice is revoked by IdPs that rotate them). A lock
// older than staleLock is taken over.
func (h *helper) lockLogin(host string) (unlock func(), err error) {
	path, err := h.loginFile(host)
	if err != nil {
		return nil, err
	}
	lock := path + ".lock"
	const staleLock = 30 * time.Second
	deadline := h.now().Add(callTimeout)
	for {
		f, err := os.OpenFile(lock, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("helper: login lock: %w", err)
		}
		if st, serr := os.Stat(lock); serr == nil && h.now().Sub(st.ModTime()) > staleLock {
			os.Remove(lock)
			continue
		}
		if h.now().After(deadline) {
			return nil, fmt.Errorf("helper: login lock: %s is held by another process", lock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
