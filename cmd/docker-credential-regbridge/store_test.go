package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTheRefreshTokenIsNeverWrittenWhereOtherUsersCanReadIt(t *testing.T) {
	w := newWorld(t)
	// A store directory someone created world-readable is tightened.
	if err := os.MkdirAll(w.h.stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(w.h.stateDir, 0o755)
	if err := w.h.saveLogin(loginRecord{Registry: "r.example", RefreshToken: "long-lived"}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(w.h.stateDir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("store directory mode %v, want 0700", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(w.h.stateDir)
	if len(entries) != 1 {
		t.Fatalf("store holds %v, want one file", entries)
	}
	info, _ := entries[0].Info()
	if info.Mode().Perm() != 0o600 {
		t.Errorf("login file mode %v, want 0600", info.Mode().Perm())
	}
	// A record others could read is refused, not used.
	path := filepath.Join(w.h.stateDir, entries[0].Name())
	os.Chmod(path, 0o644)
	if _, _, err := w.h.loadLogin("r.example"); err == nil {
		t.Error("a world-readable login file was accepted")
	}
	os.Chmod(path, 0o600)
	rec, ok, err := w.h.loadLogin("r.example")
	if err != nil || !ok || rec.RefreshToken != "long-lived" {
		t.Errorf("loadLogin = %+v, %v, %v", rec, ok, err)
	}
	if _, ok, _ := w.h.loadLogin("other.example"); ok {
		t.Error("another registry's login was found")
	}
}

func TestTheLoginLockIsExclusiveAndReleased(t *testing.T) {
	w := newWorld(t)
	if err := privateDir(w.h.stateDir); err != nil {
		t.Fatal(err)
	}
	unlock, err := w.h.lockLogin("r.example")
	if err != nil {
		t.Fatal(err)
	}
	path, _ := w.h.loginFile("r.example")
	if _, err := os.Stat(path + ".lock"); err != nil {
		t.Errorf("no lock file while held: %v", err)
	}
	unlock()
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}
