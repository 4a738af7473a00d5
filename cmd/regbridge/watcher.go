package main

import (
	"crypto/sha256"
	"os"
	"slices"
)

// watcher notices changes of the config file, the policy file and the
// files the providers read (htpasswd, robots, groups, secrets), by content
// hash. Polling needs no platform support and sees changes made through
// symlink swaps (Kubernetes ConfigMaps) as well as in-place writes.
type watcher struct {
	configFile, policyFile string
	configSum, policySum   [32]byte
	// pendingConfig is the config content last seen by changed.
	pendingConfig [32]byte
	// files are the provider files of the active state, with the sums it
	// was built from; pending holds the sums last seen by changed.
	files   map[string][32]byte
	pending map[string][32]byte
}

func newWatcher(configFile, policyFile string, providerFiles ...string) *watcher {
	w := &watcher{configFile: configFile}
	w.accept(policyFile, providerFiles)
	return w
}

func sum(path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// changed returns the name of a file whose content changed since the last
// accepted (or refused) load, or "".
func (w *watcher) changed() string {
	c := sum(w.configFile)
	if c != w.pendingConfig {
		w.pendingConfig = c
		return w.configFile
	}
	p := sum(w.policyFile)
	if p != w.policySum {
		w.policySum = p
		return w.policyFile
	}
	names := make([]string, 0, len(w.pending))
	for f := range w.pending {
		names = append(names, f)
	}
	slices.Sort(names)
	for _, f := range names {
		if s := sum(f); s != w.pending[f] {
			w.pending[f] = s
			return f
		}
	}
	return ""
}

// inputsUnchanged reports whether the config file and every provider file
// still have the content of the active state, so the credential cache can
// be kept: a changed htpasswd must not leave a removed account's cached
// identity working.
func (w *watcher) inputsUnchanged() bool {
	if sum(w.configFile) != w.configSum {
		return false
	}
	for f, s := range w.files {
		if sum(f) != s {
			return false
		}
	}
	return true
}

// accept records the files of a state that was swapped in.
func (w *watcher) accept(policyFile string, providerFiles []string) {
	w.configSum = sum(w.configFile)
	w.pendingConfig = w.configSum
	w.policyFile = policyFile
	w.policySum = sum(policyFile)
	w.files, w.pending = map[string][32]byte{}, map[string][32]byte{}
	for _, f := range providerFiles {
		w.files[f] = sum(f)
		w.pending[f] = w.files[f]
	}
}
