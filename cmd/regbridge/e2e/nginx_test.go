package e2e

import (
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// nginxRecipe returns the nginx block of docs/search.md, as documented.
func nginxRecipe(t *testing.T) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "docs", "search.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/search.md has no ```nginx block")
	}
	return string(m[1])
}

// replaceExactly replaces old, which must occur exactly the given number of
// times in s.
func replaceExactly(t *testing.T, s, old, new string, times int) string {
	t.Helper()
	if n := strings.Count(s, old); n != times {
		t.Fatalf("the nginx recipe holds %q %d times, want %d", old, n, times)
	}
	return strings.ReplaceAll(s, old, new)
}

// startNginx runs Debian's nginx with the recipe of docs/search.md in front
// of registryPort and bridgePort, for service, as the test user, with every
// file under a temporary prefix, listening on loopback only. It returns the
// host clients use (localhost:PORT).
func startNginx(t *testing.T, registryPort, bridgePort int, service string) string {
	t.Helper()
	bin := needTool(t, toolNginx)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	recipe := nginxRecipe(t)
	recipe = replaceExactly(t, recipe, "server 127.0.0.1:5000;", "server 127.0.0.1:"+itoa(registryPort)+";", 1)
	recipe = replaceExactly(t, recipe, "server 127.0.0.1:5001;", "server 127.0.0.1:"+itoa(bridgePort)+";", 1)
	// The TLS lines are the only ones not kept: the test listens in plain
	// HTTP on loopback.
	tls := regexp.MustCompile(`(?m)^\s*ssl_certificate(_key)? [^\n]*\n`)
	if n := len(tls.FindAllString(recipe, -1)); n != 2 {
		t.Fatalf("the nginx recipe has %d ssl_certificate lines, want 2", n)
	}
	recipe = tls.ReplaceAllString(recipe, "")
	recipe = replaceExactly(t, recipe, "registry.example.com", service, 3)
	userLine := ""
	if os.Geteuid() == 0 {
		// The master runs as the test user; so do the workers.
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			t.Fatal(err)
		}
		userLine = "user " + u.Username + " " + g.Name + ";\n"
	}
	conf := filepath.Join(dir, "nginx.conf")
	_, port := startServer(t, "nginx", dir, func(port int) serverSpec {
		site := replaceExactly(t, recipe, "listen 443 ssl;", "listen 127.0.0.1:"+itoa(port)+";", 1)
		tmp := filepath.Join(dir, "tmp")
		writeFile(t, conf, userLine+
			"worker_processes 1;\n"+
			"pid "+filepath.Join(dir, "nginx.pid")+";\n"+
			"error_log "+filepath.Join(dir, "error.log")+" info;\n"+
			"events { worker_connections 64; }\n"+
			"http {\n"+
			"  access_log "+filepath.Join(dir, "access.log")+";\n"+
			"  client_body_temp_path "+tmp+"/body;\n"+
			"  proxy_temp_path "+tmp+"/proxy;\n"+
			"  fastcgi_temp_path "+tmp+"/fastcgi;\n"+
			"  uwsgi_temp_path "+tmp+"/uwsgi;\n"+
			"  scgi_temp_path "+tmp+"/scgi;\n"+
			site+
			"}\n")
		return serverSpec{
			env:      baseEnv(dir),
			bin:      bin,
			args:     []string{"-p", dir + "/", "-e", filepath.Join(dir, "error.log"), "-c", conf, "-g", "daemon off;"},
			readyURL: "http://127.0.0.1:" + itoa(port) + "/v2/",
			ready:    http.StatusUnauthorized,
			timeout:  15 * time.Second,
		}
	})
	return "localhost:" + itoa(port)
}
