package main

import (
	"runtime/debug"
)

// versionOf is the version a binary reports: the one set with -ldflags
// "-X main.version=…" when there is one, else the module version `go
// install …@vX.Y.Z` records, else the VCS revision `go build` in a checkout
// records (with "+dirty" for uncommitted changes), else "dev".
func versionOf(ldflags string, info *debug.BuildInfo, ok bool) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if !ok || info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+dirty"
	}
	return "dev-" + rev
}

// buildVersion is this binary's version, as versionOf reads it.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	return versionOf(version, info, ok)
}
