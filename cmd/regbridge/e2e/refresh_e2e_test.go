package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

// refreshAudience is the bridge's audience for the fake CI issuer.
const refreshAudience = "regbridge-e2e-refresh"

// refreshIDTokenLife is just above the 60 s shortest registry token: the
// ID token is valid at login and expired a minute later.
const refreshIDTokenLife = 65 * time.Second

const refreshPolicy = `version: 1
rules:
  - id: ci-team
    who: [ci]
    when:
      claims: {sub: subject-1}
    grant:
      - {repository: "team/**", actions: [pull, push]}
`

// TestE2ERefreshTokensOutliveTheIDToken is issue 17's acceptance: an ID
// token living 65 s, docker login stores an identitytoken, and after the
// ID token expired crane and oras push with it to distribution 2.8.2 and
// 3.1.2; with refresh tokens off the same flow fails as before. The
// refresh token is refused by the registry itself and as a password.
func TestE2ERefreshTokensOutliveTheIDToken(t *testing.T) {
	needE2E(t)
	needTool(t, toolDocker)
	is := oidctest.New(t, oidctest.Options{})
	provider := func(refresh string) string {
		return `{id: ci, type: oidc, issuer: "` + is.Issuer() + `", audiences: [` + refreshAudience + `], usernames: [ci]` + refresh + `}`
	}
	svc28 := Service{Name: "registry28-refresh.test", Issuer: "regbridge-e2e-refresh", Header: headerX5C}
	svc31 := Service{Name: "registry31-refresh.test", Issuer: "regbridge-e2e-refresh", Header: headerX5C}
	svcOff := Service{Name: "registry31-norefresh.test", Issuer: "regbridge-e2e-norefresh", Header: headerX5C}
	on := startBridge(t, BridgeOptions{Services: []Service{svc28, svc31}, Policy: refreshPolicy,
		ExtraProviders: []string{provider(", refresh: {enabled: true, refresh_ttl: 1h, idle_timeout: 30m}")}})
	off := startBridge(t, BridgeOptions{Services: []Service{svcOff}, Policy: refreshPolicy, ExtraProviders: []string{provider("")}})
	regs := []*Registry{startRegistry(t, reg28Bundle, on, svc28), startRegistry(t, reg31Bundle, on, svc31)}
	regOff := startRegistry(t, reg31Bundle, off, svcOff)

	mint := func() string { return is.Mint(is.Claims(refreshAudience, time.Now(), refreshIDTokenLife)) }
	var lastMint time.Time
	login := func(reg *Registry) *Client {
		c := newClient(t, toolDocker)
		lastMint = time.Now()
		if r := c.Login(t, reg.Host, "ci", mint()); r.code != 0 {
			t.Fatalf("docker login to %s:\n%s", reg.Host, r)
		}
		return c
	}
	dockers := []*Client{login(regs[0]), login(regs[1])}
	dockerOff := login(regOff)

	rts := make([]string, len(regs))
	for i, reg := range regs {
		fields := dockerEntry(t, dockers[i], reg.Host)
		rt, _ := fields["identitytoken"].(string)
		if rt == "" {
			t.Fatalf("docker stored no identitytoken for %s: %v", reg.Host, sortedKeys(fields))
		}
		rts[i] = rt
	}
	if _, ok := dockerEntry(t, dockerOff, regOff.Host)["identitytoken"]; ok {
		t.Fatal("a bridge with refresh tokens off gave docker an identitytoken")
	}

	// Every check that does not need the ID token to have expired runs
	// while it does.
	t.Run("the registry refuses the refresh token as a bearer token", func(t *testing.T) {
		for i, reg := range regs {
			req, _ := http.NewRequest(http.MethodGet, "http://"+reg.Host+"/v2/", nil)
			req.Header.Set("Authorization", "Bearer "+rts[i])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s answered %d to a refresh token as a registry token, want 401", reg.Version.Label, resp.StatusCode)
			}
		}
	})
	t.Run("the bridge refuses the refresh token as a password", func(t *testing.T) {
		if code, body := on.Token(t, svc31.Name, "ci", rts[1], "repository:team/app:pull"); code != http.StatusUnauthorized ||
			!strings.Contains(string(body), "neither a password nor a registry token") {
			t.Errorf("GET /token with the refresh token as password: %d %s", code, body)
		}
	})
	t.Run("the refresh token is refused for another service", func(t *testing.T) {
		if code, body := redeem(t, on, rts[0], svc31.Name, "repository:team/app:pull"); code != http.StatusUnauthorized {
			t.Errorf("redeemed for another service: %d %s", code, body)
		}
	})
	t.Run("a made-up refresh token gets 401 and no token", func(t *testing.T) {
		code, body := redeem(t, on, "rt-made-up", svc31.Name, "repository:team/app:pull")
		if code != http.StatusUnauthorized || strings.Contains(string(body), `"token":"ey`) {
			t.Errorf("%d %s", code, body)
		}
	})
	t.Run("a redemption and a fresh login are timed and both succeed", func(t *testing.T) {
		const n = 100
		start := time.Now()
		for range n {
			if code, body := on.Token(t, svc31.Name, "ci", mint(), "repository:team/app:pull"); code != http.StatusOK {
				t.Fatalf("login: %d %s", code, body)
			}
		}
		login := time.Since(start) / n
		start = time.Now()
		for range n {
			if code, body := redeem(t, on, rts[1], svc31.Name, "repository:team/app:pull"); code != http.StatusOK {
				t.Fatalf("redeem: %d %s", code, body)
			}
		}
		red := time.Since(start) / n
		t.Logf("one fresh login (new ID token: discovery cached, RS256 verify, decide, sign): %v; one redemption (open JWE, state, decide, sign): %v", login, red)
	})

	if wait := time.Until(lastMint.Add(refreshIDTokenLife + 2*time.Second)); wait > 0 {
		t.Logf("waiting %v for the ID tokens to expire", wait.Round(time.Second))
		time.Sleep(wait)
	}
	for i, reg := range regs {
		t.Run("after the ID token expired crane pushes to "+reg.Version.Label+" with the identity token", func(t *testing.T) {
			c := clientWithDockerConfig(t, toolCrane, dockers[i])
			ref := reg.Ref("team/crane:1")
			c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", "refresh "+randomPassword(t)), "-t", ref)
			c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "elsewhere"), "-t", reg.Ref("other/app:1"))
		})
		t.Run("after the ID token expired oras pushes to "+reg.Version.Label+" with the identity token", func(t *testing.T) {
			c := clientWithDockerConfig(t, toolOras, dockers[i])
			orasPushAndPullBack(t, c, reg.Ref("team/oras:1"), "oras refresh "+randomPassword(t))
		})
	}
	t.Run("with refresh tokens off crane is refused once the ID token expired", func(t *testing.T) {
		c := clientWithDockerConfig(t, toolCrane, dockerOff)
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", "late"), "-t", regOff.Ref("team/crane:1"))
		if !strings.Contains(off.Log(t), "credential expired") {
			t.Error("the bridge log does not say the credential expired")
		}
	})
	t.Run("the regbridge log holds no refresh token", func(t *testing.T) {
		log := on.Log(t)
		for _, rt := range rts {
			for _, part := range strings.Split(rt, ".") {
				if len(part) > 8 && strings.Contains(log, part) {
					t.Fatal("a part of a refresh token appears in the regbridge log")
				}
			}
		}
		if !strings.Contains(log, `"refresh":"redeemed"`) || !strings.Contains(log, `"refresh":"issued"`) {
			t.Error("the audit log does not record issue and redemption")
		}
	})
}

// redeem is the refresh grant crane sends.
func redeem(t *testing.T, b *Bridge, rt, service, scope string) (int, []byte) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "service": {service},
		"client_id": {"go-containerregistry"}, "scope": {scope}}
	resp, err := http.PostForm("http://127.0.0.1:"+itoa(b.Port)+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body json.RawMessage
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// dockerEntry is docker's config.json entry for host.
func dockerEntry(t *testing.T, c *Client, host string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.Home, "docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]map[string]any `json:"auths"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Auths[host]
}

// clientWithDockerConfig is a fresh client reading the config.json docker
// wrote (oras through its --registry-config, which has the same format).
func clientWithDockerConfig(t *testing.T, tl tool, docker *Client) *Client {
	t.Helper()
	c := newClient(t, tl)
	raw, err := os.ReadFile(filepath.Join(docker.Home, "docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(c.Home, "docker", "config.json"), string(raw))
	writeFile(t, filepath.Join(c.Home, "oras.json"), string(raw))
	return c
}
