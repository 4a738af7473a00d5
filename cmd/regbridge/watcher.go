package main

import (
	"crypto/sha256"
	"os"
)

// watcher notices changes of the config and policy files by content hash.
// Polling needs no platform support and sees changes made through symlink
// swaps (Kubernetes ConfigMaps) as well as in-place writes.
type watcher struct {
	configFile, policyFile string
	configSum, policySum   [32]byte
	// pendingConfig is the config content last seen by changed.
	pendingConfig [32]byte
}

func newWatcher(configFile, policyFile string) *watcher {
	w := &watcher{configFile: configFile, policyFile: policyFile}
	w.configSum = sum(configFile)
	w.pendingConfig = w.configSum
	w.policySum = sum(policyFile)
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
	return ""
}

// configUnchanged reports whether the config file still has the content of
// the active state, so the credential cache can be kept.
func (w *watcher) configUnchanged() bool { return sum(w.configFile) == w.configSum }

// accept records the files of a state that was swapped in.
func (w *watcher) accept(policyFile string) {
	w.configSum = sum(w.configFile)
	w.pendingConfig = w.configSum
	w.policyFile = policyFile
	w.policySum = sum(policyFile)
}
