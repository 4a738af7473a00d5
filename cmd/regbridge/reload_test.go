package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const reloadUsersConfig = `services: [{name: registry.example.com, issuer: regbridge}]
keys: [{private_key: key.pem, certificate: cert.pem}]
policy: policy.yaml
providers:
  - {id: users, type: static, htpasswd: htpasswd, groups: groups}
`

const reloadUsersPolicy = `version: 1
rules:
  - id: team
    who: [users]
    when: {groups: [team]}
    grant: [{repository: "team/**", actions: [pull]}]
`

func TestAReloadNamesEveryChangedSettingThatNeedsARestart(t *testing.T) {
	_, rt, dir := startBridge(t, map[string]string{
		"config.yaml": reloadUsersConfig,
		"policy.yaml": reloadUsersPolicy,
		"htpasswd":    "alice:" + bcryptHash(t, "pw") + "\n",
		"groups":      "team: alice\n",
	}, time.Now)
	var logs bytes.Buffer
	rt.log = slog.New(slog.NewTextHandler(&logs, nil))
	changed := reloadUsersConfig + "token_reuse: {enabled: true}\nlisten: \"127.0.0.1:0\"\ncache: {ttl: 30s}\n"
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(changed), 0o600)
	rt.reload("SIGHUP")
	out := logs.String()
	if !strings.Contains(out, "restart_required=\"[listen token_reuse]\"") {
		t.Errorf("the reload does not name listen and token_reuse as needing a restart:\n%s", out)
	}
	if !strings.Contains(out, "the next restart") {
		t.Errorf("no warning that a restart is needed:\n%s", out)
	}
}

func TestEveryTopLevelSettingEitherReloadsOrIsNamedAsNeedingARestart(t *testing.T) {
	typ := reflect.TypeOf(Config{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := yamlName(f)
		if !f.IsExported() || name == "" || slices.Contains(reloadedSettings, name) {
			continue
		}
		a, b := &Config{}, &Config{}
		v := reflect.ValueOf(b).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString("x")
		case reflect.Int64:
			v.SetInt(7)
		case reflect.Struct:
			// Set the first settable scalar member.
		members:
			for j := range v.NumField() {
				if m := v.Field(j); m.CanSet() {
					switch m.Kind() {
					case reflect.String:
						m.SetString("x")
					case reflect.Bool:
						m.SetBool(true)
					case reflect.Int, reflect.Int64:
						m.SetInt(7)
					case reflect.Pointer:
						m.Set(reflect.New(m.Type().Elem()))
					case reflect.Slice:
						m.Set(reflect.MakeSlice(m.Type(), 1, 1))
					default:
						continue
					}
					break members
				}
			}
		default:
			t.Fatalf("setting %s of kind %s: extend this test", name, v.Kind())
		}
		if got := restartRequired(a, b); !slices.Equal(got, []string{name}) {
			t.Errorf("changing %s: restart_required = %v", name, got)
		}
	}
}

func TestAChangedProviderFileIsWatchedAndReloadedLikeTheConfig(t *testing.T) {
	ts, rt, dir := startBridge(t, map[string]string{
		"config.yaml": reloadUsersConfig,
		"policy.yaml": reloadUsersPolicy,
		"htpasswd":    "alice:" + bcryptHash(t, "old-pw") + "\n",
		"groups":      "team: alice\n",
	}, time.Now)
	url := ts.URL + "/token?service=registry.example.com&scope=repository:team/app:pull"
	granted := func(user, pw string) string {
		code, body := tokenStatus(t, url, user, pw)
		if code != 200 {
			return "refused"
		}
		return accessString(decodeClaims(t, body["token"].(string)))
	}
	if g := granted("alice", "old-pw"); g != "repository:team/app:pull" {
		t.Fatalf("before: %q", g)
	}
	htpasswd, groups := filepath.Join(dir, "htpasswd"), filepath.Join(dir, "groups")
	os.WriteFile(htpasswd, []byte("alice:"+bcryptHash(t, "new-pw")+"\nbob:"+bcryptHash(t, "bob-pw")+"\n"), 0o600)
	if c := rt.watch.changed(); c != htpasswd {
		t.Fatalf("the watcher saw %q, want the htpasswd file", c)
	}
	rt.reload("change of " + htpasswd)
	if g := granted("alice", "old-pw"); g != "refused" {
		t.Errorf("alice's old password still works after the htpasswd changed (%q): the cache outlived the file", g)
	}
	if g := granted("bob", "bob-pw"); g != "" {
		t.Errorf("bob, added to htpasswd, got %q; want a token without team access", g)
	}
	os.WriteFile(groups, []byte("team: alice bob\n"), 0o600)
	if c := rt.watch.changed(); c != groups {
		t.Fatalf("the watcher saw %q, want the groups file", c)
	}
	rt.reload("change of " + groups)
	if g := granted("bob", "bob-pw"); g != "repository:team/app:pull" {
		t.Errorf("bob, added to the team in the groups file, got %q", g)
	}
	if c := rt.watch.changed(); c != "" {
		t.Errorf("after the reload the watcher still reports %q", c)
	}
}
