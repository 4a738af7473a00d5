package main

import (
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestVersionOfPrefersLdflagsThenModuleThenRevision(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}
	dirty := append([]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, rev...)
	for _, tc := range []struct {
		name, ldflags string
		info          *debug.BuildInfo
		want          string
	}{
		{"an ldflags version wins", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"go install @version records the module version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, "v0.4.0"},
		{"a checkout build records the revision", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, "dev-0123456789ab"},
		{"uncommitted changes are marked", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirty}, "dev-0123456789ab+dirty"},
		{"nothing recorded is dev", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info is dev", "dev", nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionOf(tc.ldflags, tc.info, tc.info != nil); got != tc.want {
				t.Fatalf("versionOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersionCommandAndFlagPrintTheSameLine(t *testing.T) {
	cmd, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	flag, err := run(t, "--version")
	if err != nil {
		t.Fatal(err)
	}
	if cmd != flag || !strings.HasPrefix(cmd, "regbridge version ") {
		t.Fatalf("version printed %q, --version printed %q", cmd, flag)
	}
}

func TestQuickStartListensOnLoopbackUnlessToldOtherwise(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		want      string
		wantRealm string
	}{
		{"the default is loopback", nil, nil, "127.0.0.1:5001", "http://localhost:5001/token"},
		{"REGBRIDGE_LISTEN is honoured", nil, map[string]string{"REGBRIDGE_LISTEN": ":6001"}, ":6001", "http://localhost:6001/token"},
		{"--listen beats the environment", []string{"--listen", "127.0.0.1:7001"}, map[string]string{"REGBRIDGE_LISTEN": ":6001"}, "127.0.0.1:7001", "http://localhost:7001/token"},
		{"REGBRIDGE_PUBLIC_URL sets the realm", nil, map[string]string{"REGBRIDGE_PUBLIC_URL": "https://auth.example.com"}, "127.0.0.1:5001", "https://auth.example.com/token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg *Config
			var out strings.Builder
			app := newApp()
			sc := serveCommand()
			sc.Action = func(c *cli.Context) error {
				var err error
				cfg, err = quickStartConfig(c, tc.env, &out)
				return err
			}
			app.Commands = []*cli.Command{sc}
			args := append([]string{"regbridge", "serve", "--data-dir", filepath.Join(t.TempDir(), "data")}, tc.args...)
			if err := app.Run(args); err != nil {
				t.Fatal(err)
			}
			if cfg.Listen != tc.want || cfg.realm() != tc.wantRealm {
				t.Fatalf("listen %q realm %q, want %q and %q", cfg.Listen, cfg.realm(), tc.want, tc.wantRealm)
			}
			if !strings.Contains(out.String(), "Listening on "+tc.want) {
				t.Fatalf("the quick-start does not say where it listens:\n%s", out.String())
			}
		})
	}
}
