package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
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
// ID token expired crane, oras, regctl, buildah, skopeo, helm and ctr push
// with it to distribution 2.8.2, 3.0.0 and 3.1.2; with refresh tokens off
// the same flow fails as before, and so does the own login of regctl,
// buildah and helm, which stores the ID token as a password. The refresh token is refused by the registry
// itself and as a password. A proxy in front of /token records which grant
// each client sent, and the audit log whether it redeemed a refresh token;
// the test logs the resulting client matrix.
func TestE2ERefreshTokensOutliveTheIDToken(t *testing.T) {
	needE2E(t)
	needTool(t, toolDocker)
	is := oidctest.New(t, oidctest.Options{})
	provider := func(refresh string) string {
		return `{id: ci, type: oidc, issuer: "` + is.Issuer() + `", audiences: [` + refreshAudience + `], usernames: [ci]` + refresh + `}`
	}
	svc28 := Service{Name: "registry28-refresh.test", Issuer: "regbridge-e2e-refresh", Header: headerX5C}
	svc30 := Service{Name: "registry30-refresh.test", Issuer: "regbridge-e2e-refresh", Header: headerX5C}
	svc31 := Service{Name: "registry31-refresh.test", Issuer: "regbridge-e2e-refresh", Header: headerX5C}
	svcOff := Service{Name: "registry31-norefresh.test", Issuer: "regbridge-e2e-norefresh", Header: headerX5C}
	on := startBridge(t, BridgeOptions{Services: []Service{svc28, svc30, svc31}, Policy: refreshPolicy,
		ExtraProviders: []string{provider(", refresh: {enabled: true, refresh_ttl: 1h, idle_timeout: 30m}")}})
	off := startBridge(t, BridgeOptions{Services: []Service{svcOff}, Policy: refreshPolicy, ExtraProviders: []string{provider("")}})
	onRec, rec := recordTokens(t, on)
	offRec, recOff := recordTokens(t, off)
	regs := []*Registry{startRegistry(t, reg28Bundle, onRec, svc28), startRegistry(t, reg30Bundle, onRec, svc30),
		startRegistry(t, reg31Bundle, onRec, svc31)}
	reg31 := regs[2]
	regOff := startRegistry(t, reg31Bundle, offRec, svcOff)
	var matrix []matrixRow
	// observe runs step and adds a matrix row with the token requests and
	// audit refresh outcomes it caused at bridge b.
	observe := func(t *testing.T, row matrixRow, b *Bridge, r *tokenRecorder, step func(t *testing.T)) {
		t.Helper()
		m, a := r.mark(), len(b.Audit(t))
		step(t)
		row.requests, row.audit = r.since(m), refreshOutcomes(b.Audit(t), a)
		if t.Failed() {
			row.result = "fail"
		}
		matrix = append(matrix, row)
	}
	t.Cleanup(func() { logMatrix(t, matrix) })

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
	dockers := []*Client{login(regs[0]), login(regs[1]), login(regs[2])}
	dockerOff := login(regOff)
	// Each new client's own login stores the ID token as a password.
	ownLogins := map[string]*Client{}
	for _, tl := range []tool{toolRegctl, toolBuildah, toolHelm} {
		c := newClient(t, tl)
		lastMint = time.Now()
		c.MustLogin(t, reg31.Host, "ci", mint())
		ownLogins[tl.name] = c
	}

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
		if code, body := on.Token(t, svc31.Name, "ci", rts[2], "repository:team/app:pull"); code != http.StatusUnauthorized ||
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
			if code, body := redeem(t, on, rts[2], svc31.Name, "repository:team/app:pull"); code != http.StatusOK {
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
	// usesRefresh checks that a client's requests after mark m were
	// refresh grants only, each redeemed.
	usesRefresh := func(t *testing.T, m, a int) {
		t.Helper()
		if g := rec.grantsSince(m); len(g) != 1 || !g["refresh_token"] {
			t.Errorf("token requests %v, want POST grant_type=refresh_token only", rec.since(m))
		}
		if got := refreshOutcomes(on.Audit(t), a); len(got) != 1 || got[0] != "redeemed" {
			t.Errorf("audit refresh outcomes %v, want redeemed only", got)
		}
	}
	on3 := "on (refresh_ttl 1h)"
	for i, reg := range regs {
		t.Run("after the ID token expired crane pushes to "+reg.Version.Label+" with the identity token", func(t *testing.T) {
			observe(t, newRow("crane", reg.Version.Label, on3, "pass"), on, rec, func(t *testing.T) {
				m, a := rec.mark(), len(on.Audit(t))
				c := clientWithDockerConfig(t, toolCrane, dockers[i])
				ref := reg.Ref("team/crane:1")
				c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", "refresh "+randomPassword(t)), "-t", ref)
				c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "elsewhere"), "-t", reg.Ref("other/app:1"))
				usesRefresh(t, m, a)
			})
		})
		t.Run("after the ID token expired oras pushes to "+reg.Version.Label+" with the identity token", func(t *testing.T) {
			observe(t, newRow("oras", reg.Version.Label, on3, "pass"), on, rec, func(t *testing.T) {
				m, a := rec.mark(), len(on.Audit(t))
				c := clientWithDockerConfig(t, toolOras, dockers[i])
				orasPushAndPullBack(t, c, reg.Ref("team/oras:1"), "oras refresh "+randomPassword(t))
				usesRefresh(t, m, a)
			})
		})
		for _, tl := range refreshClients {
			t.Run("after the ID token expired "+tl.name+" pushes to "+reg.Version.Label+" with the identity token", func(t *testing.T) {
				observe(t, newRow(tl.name, reg.Version.Label, on3, "pass"), on, rec, func(t *testing.T) {
					m, a := rec.mark(), len(on.Audit(t))
					refreshPushAndPullBack(t, tl, dockers[i], reg)
					usesRefresh(t, m, a)
				})
			})
		}
	}
	for _, tl := range []tool{toolRegctl, toolBuildah, toolHelm} {
		t.Run("after the ID token expired "+tl.name+"'s own login is refused: it stored the ID token as a password", func(t *testing.T) {
			observe(t, newRow(tl.name+" (own login)", reg31.Version.Label, on3, "refused as expected"), on, rec, func(t *testing.T) {
				m := rec.mark()
				refusedPush(t, tl, ownLogins[tl.name], nil, reg31, "", nil)
				if rec.grantsSince(m)["refresh_token"] {
					t.Errorf("token requests %v: a refresh grant without a refresh token", rec.since(m))
				}
			})
		})
	}
	seedAuth := []string{"--refresh", rts[2]}
	for _, tl := range append([]tool{toolCrane, toolOras}, refreshClients...) {
		t.Run("with refresh tokens off "+tl.name+" is refused once the ID token expired", func(t *testing.T) {
			observe(t, newRow(tl.name, regOff.Version.Label, "off", "refused as expected"), off, recOff, func(t *testing.T) {
				m := recOff.mark()
				switch tl.name {
				case toolCrane.name:
					c := clientWithDockerConfig(t, toolCrane, dockerOff)
					c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", "late"), "-t", regOff.Ref("team/crane:1"))
				case toolOras.name:
					c := clientWithDockerConfig(t, toolOras, dockerOff)
					writeFile(t, filepath.Join(c.WorkDir(), "note.txt"), "late")
					c.MustFail(t, refusedWords, "", "push", regOff.Ref("team/oras:1"), "note.txt")
				default:
					c, auth := clientFromDockerEntry(t, tl, dockerOff, regOff)
					refusedPush(t, tl, c, auth, regOff, reg31.Ref("team/crane:1"), seedAuth)
				}
				if recOff.grantsSince(m)["refresh_token"] {
					t.Errorf("token requests %v: a refresh grant without a refresh token", recOff.since(m))
				}
			})
		})
	}
	t.Run("with refresh tokens off the bridge says the credential expired", func(t *testing.T) {
		// Within the provider's clock skew the bridge refuses the cached
		// identity ("credential expired"); after it the provider refuses
		// the ID token itself ("token expired at").
		if log := off.Log(t); !strings.Contains(log, "credential expired") && !strings.Contains(log, "token expired at") {
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
