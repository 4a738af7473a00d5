package e2e

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// RegistryVersion selects the registry binary and how it trusts regbridge.
type RegistryVersion struct {
	Label string // for test names
	tool  tool
	// JWKS makes a jwks-only registry (auth.token.jwks = `regbridge jwks`,
	// no rootcertbundle); it needs a service with header kid. v3 only.
	JWKS bool
}

// The registry configurations every scenario runs against.
var (
	reg28Bundle = RegistryVersion{Label: "distribution 2.8.2 with a certificate bundle", tool: toolRegistry28}
	reg30Bundle = RegistryVersion{Label: "distribution 3.0.0 with a certificate bundle", tool: toolRegistry30}
	reg31Bundle = RegistryVersion{Label: "distribution 3.1.2 with a certificate bundle", tool: toolRegistry3}
	reg31JWKS   = RegistryVersion{Label: "distribution 3.1.2 with a JWKS and kid headers", tool: toolRegistry3, JWKS: true}
)

// registryBaseConfig holds placeholders only; every value is overridden by
// REGISTRY_* variables (the same file works for 2.8 and 3.x).
const registryBaseConfig = `version: 0.1
log: {level: info}
storage: {filesystem: {rootdirectory: placeholder}, delete: {enabled: true}}
http: {addr: placeholder}
auth: {token: {realm: placeholder, service: placeholder, issuer: placeholder, rootcertbundle: placeholder}}
`

// Registry is a running distribution registry.
type Registry struct {
	Version RegistryVersion
	Service Service
	Port    int
	Host    string // localhost:PORT, the only form clients should use
	Dir     string
	proc    *proc
}

// startRegistry starts a registry of the given version with token auth
// pointing at bridge for service svc, on a free loopback port, and waits
// until GET /v2/ answers 401.
func startRegistry(t *testing.T, v RegistryVersion, bridge *Bridge, svc Service) *Registry {
	t.Helper()
	return startRegistryAt(t, v, bridge, svc, 0)
}

// startRegistryAt is startRegistry on a given port (0: a free one). A fixed
// port is for configurations that must name the registry's address before
// it starts (sourcehut's registry_domain); take it from freePort.
func startRegistryAt(t *testing.T, v RegistryVersion, bridge *Bridge, svc Service, port int) *Registry {
	t.Helper()
	bin := needTool(t, v.tool)
	dir := t.TempDir()
	r := &Registry{Version: v, Service: svc, Dir: dir}
	base := filepath.Join(dir, "base.yml")
	writeFile(t, base, registryBaseConfig)

	env := append(baseEnv(dir),
		"REGISTRY_HTTP_SECRET=e2e-"+randomPassword(t),
		"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="+filepath.Join(dir, "data"),
		"REGISTRY_AUTH_TOKEN_REALM="+bridge.Realm,
		"REGISTRY_AUTH_TOKEN_SERVICE="+svc.Name,
		"REGISTRY_AUTH_TOKEN_ISSUER="+svc.Issuer,
		// v3 exports traces through OTLP unless told not to.
		"OTEL_TRACES_EXPORTER=none",
	)
	if v.JWKS {
		env = append(env,
			"REGISTRY_AUTH_TOKEN_JWKS="+bridge.JWKSFile(t),
			// Empty, not absent: the placeholder path would make v3 panic.
			"REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE=",
		)
	} else {
		env = append(env, "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE="+bridge.Cert)
	}
	r.start(t, bin, base, port, func(port int) []string {
		return append(env, "REGISTRY_HTTP_ADDR=127.0.0.1:"+itoa(port))
	})
	return r
}

// startRegistryFromStanza starts a registry whose auth section is exactly
// what `regbridge registry-config` prints for svc (with --jwks for a
// jwks-only registry), with no REGISTRY_AUTH_* overrides.
func startRegistryFromStanza(t *testing.T, v RegistryVersion, bridge *Bridge, svc Service) *Registry {
	t.Helper()
	bin := needTool(t, v.tool)
	dir := t.TempDir()
	r := &Registry{Version: v, Service: svc, Dir: dir}
	args := []string{"registry-config", "--config", bridge.Config, "--service", svc.Name}
	if v.JWKS {
		args = append(args, "--jwks", filepath.Join(dir, "jwks.json"))
	}
	stanza := bridge.cli(t, args...)
	cfg := "version: 0.1\n" +
		"log: {level: info}\n" +
		"storage: {filesystem: {rootdirectory: " + filepath.Join(dir, "data") + "}, delete: {enabled: true}}\n" +
		"http: {secret: e2e-" + randomPassword(t) + "}\n" +
		stanza
	path := filepath.Join(dir, "config.yml")
	writeFile(t, path, cfg)
	t.Logf("registry configuration with the printed stanza:\n%s", cfg)
	r.start(t, bin, path, 0, func(port int) []string {
		// Only the listen address comes from the environment.
		return append(baseEnv(dir), "OTEL_TRACES_EXPORTER=none", "REGISTRY_HTTP_ADDR=127.0.0.1:"+itoa(port))
	})
	return r
}

// start runs `BIN serve CONFIG` on port, or a free port when it is 0 (env
// gives the environment for a port), and waits until GET /v2/ answers 401.
func (r *Registry) start(t *testing.T, bin, config string, port int, env func(port int) []string) {
	t.Helper()
	r.proc, r.Port = startServerAt(t, "registry", r.Dir, port, func(port int) serverSpec {
		return serverSpec{
			env:      env(port),
			bin:      bin,
			args:     []string{"serve", config},
			readyURL: "http://127.0.0.1:" + itoa(port) + "/v2/",
			ready:    http.StatusUnauthorized,
			timeout:  30 * time.Second,
		}
	})
	r.Host = "localhost:" + itoa(r.Port)
}

// Log returns the registry's log so far.
func (r *Registry) Log(t *testing.T) string { return r.proc.logText(t) }

// Ref returns localhost:PORT/repo[:tag|@digest].
func (r *Registry) Ref(repoAndRef string) string { return r.Host + "/" + repoAndRef }
