package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// deviceClientID is the zitadel OP's public device-flow client; its ID
// tokens carry it as the audience.
const deviceClientID = "regbridge-cli"

// TestE2EDeviceFlowLoginThroughTheCredentialHelper is issue 11's
// end-to-end acceptance for people: a regbridge in front of distribution
// 3.1.2 publishes, at /.well-known/regbridge-configuration, the zitadel
// example OP's public client regbridge-cli; `docker-credential-regbridge
// login` runs the device authorization grant against the OP while the test
// plays the person at the OP's device pages; then crane and oras, with
// credHelpers naming the helper, push and pull through it, each get
// minting a fresh ID token from the stored refresh token that regbridge's
// oidc provider accepts; the docker CLI takes the helper's credentials
// (without a daemon it can go no further); and the helper answers
// "credentials not found" for a registry it is not configured for.
func TestE2EDeviceFlowLoginThroughTheCredentialHelper(t *testing.T) {
	needE2E(t)
	op := startZitadelOP(t)
	svc := Service{Name: "registry31-device.test", Issuer: "regbridge-e2e-device", Header: headerX5C}
	bridge := startBridge(t, BridgeOptions{
		Services:       []Service{svc},
		Policy:         oidcPolicy,
		ExtraProviders: []string{`{id: zitadel, type: oidc, issuer: "` + op.Issuer + `", audiences: [` + deviceClientID + `]}`},
		DiscoveryServices: []string{`{service: ` + svc.Name + `, issuers: [{issuer: "` + op.Issuer + `", audiences: [` + deviceClientID + `]}], ` +
			`device_flow: {issuer: "` + op.Issuer + `", client_id: ` + deviceClientID + `, scopes: [openid, offline_access]}}`},
	})
	reg := startRegistry(t, reg31Bundle, bridge, svc)
	helper := buildCredHelper(t, "registries:\n  "+reg.Host+": {source: login, plain_http: true}\n")

	start := time.Now()
	login := helper.StartLogin(t, reg.Host)
	prompted := time.Since(start)
	if !strings.HasPrefix(login.VerifURI, strings.TrimSuffix(op.Issuer, "/")) {
		t.Fatalf("the verification URI %s is not the OP's", login.VerifURI)
	}
	confirmDevice(t, op, login.VerifURI, login.UserCode, "allowed")
	confirmed := time.Since(start)
	out, err := login.Wait(t, 45*time.Second)
	if err != nil || !strings.Contains(out, "Logged in to "+reg.Host) {
		t.Fatalf("login: %v:\n%s", err, out)
	}
	t.Logf("device flow: prompt after %s, confirmed after %s, login done after %s",
		prompted.Round(time.Millisecond), confirmed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	t.Run("the stored login is 0600 in a 0700 directory", func(t *testing.T) {
		st, err := os.Stat(helper.LoginDir())
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("login store: %v, mode %v, want 0700", err, st.Mode().Perm())
		}
		entries, _ := os.ReadDir(helper.LoginDir())
		if len(entries) != 1 {
			t.Fatalf("login store holds %v, want one login", entries)
		}
		fi, err := entries[0].Info()
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("login file: %v, mode %v, want 0600", err, fi.Mode().Perm())
		}
	})

	var minted []string
	t.Run("get mints an ID token for regbridge-cli that regbridge accepts", func(t *testing.T) {
		r := helper.Run(t, reg.Host, "get")
		var c struct{ ServerURL, Username, Secret string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &c) != nil || c.Secret == "" {
			t.Fatalf("get: want credentials, got:\n%s", r)
		}
		claims := jwtClaims(t, c.Secret)
		if claims["iss"] != op.Issuer || claims["sub"] != "id1" || !slices.Contains(audOf(claims), deviceClientID) {
			t.Errorf("the minted ID token has iss %v, sub %v, aud %v; want %s, id1, %s",
				claims["iss"], claims["sub"], audOf(claims), op.Issuer, deviceClientID)
		}
		tok := bridge.MustToken(t, svc.Name, c.Username, c.Secret, "repository:team/app:pull,push")
		if sub := jwtClaims(t, tok)["sub"]; sub != "id1" {
			t.Errorf("registry token sub = %v, want id1", sub)
		}
		minted = append(minted, c.Secret)
	})

	t.Run("crane pushes and pulls through the helper", func(t *testing.T) {
		c := newClient(t, toolCrane)
		c.Env = []string{helper.PathEnv()}
		writeFile(t, filepath.Join(c.Home, "docker", "config.json"), helperCredHelpersConfig(reg.Host))
		content := "device crane " + randomPassword(t)
		ref := reg.Ref("team/app:crane")
		t0 := time.Now()
		c.MustRun(t, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "app", content), "-t", ref)
		exported := filepath.Join(c.WorkDir(), "export.tar")
		c.MustRun(t, "", "export", ref, exported)
		t.Logf("crane push and pull through the helper: %s", time.Since(t0).Round(time.Millisecond))
		if got := fileInTar(t, exported, "app"); got != content {
			t.Errorf("pulled back %q, want %q", got, content)
		}
		c.MustFail(t, refusedWords, "", "append", "-f", writeLayerTar(t, c.WorkDir(), "x", "elsewhere"), "-t", reg.Ref("other/app:1"))
	})

	t.Run("oras pushes and pulls through the helper", func(t *testing.T) {
		c := newClient(t, toolOras)
		c.Env = []string{helper.PathEnv()}
		// Client.Run passes this file as --registry-config.
		writeFile(t, filepath.Join(c.Home, "oras.json"), helperCredHelpersConfig(reg.Host))
		t0 := time.Now()
		orasPushAndPullBack(t, c, reg.Ref("team/app:oras"), "device oras "+randomPassword(t))
		t.Logf("oras push and pull through the helper: %s", time.Since(t0).Round(time.Millisecond))
	})

	t.Run("docker asks the helper for the registry's credentials", func(t *testing.T) {
		c := newClient(t, toolDocker)
		c.Env = []string{helper.PathEnv()}
		writeFile(t, filepath.Join(c.Home, "docker", "config.json"), helperCredHelpersConfig(reg.Host))
		r := c.Run(t, "", "login", reg.Host)
		if r.code == 0 && strings.Contains(r.stdout, "Login Succeeded") {
			return // a daemon verified the helper's credentials
		}
		// docker prints the username of the credentials it got from the
		// credential store, here the helper's get.
		if !strings.Contains(r.stderr, "existing credentials... [Username: regbridge]") {
			t.Fatalf("docker did not take the helper's credentials:\n%s", r)
		}
		if strings.Contains(r.stderr, "Cannot connect to the Docker daemon") {
			t.Skip("skipping the rest: docker 28 verifies stored credentials (and pulls and pushes) only through a daemon, " +
				"and there is none here; it did read the helper's credentials")
		}
		t.Fatalf("docker login with the helper's credentials failed:\n%s", r)
	})

	t.Run("every get mints a fresh ID token and rotates the refresh token", func(t *testing.T) {
		before := helper.StoredRefreshToken(t)
		r := helper.Run(t, reg.Host, "get")
		var c struct{ Secret string }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &c) != nil {
			t.Fatalf("get:\n%s", r)
		}
		if slices.Contains(minted, c.Secret) {
			t.Error("get handed out an ID token it had handed out before")
		}
		if code, body := bridge.Token(t, svc.Name, "regbridge", c.Secret, "repository:team/app:pull"); code != 200 {
			t.Errorf("GET /token with the fresh ID token: %d %s", code, body)
		}
		if after := helper.StoredRefreshToken(t); after == before {
			t.Error("the stored refresh token was not replaced by the rotated one")
		}
		minted = append(minted, c.Secret)
	})

	t.Run("a registry the helper is not configured for gets credentials not found", func(t *testing.T) {
		for _, host := range []string{"localhost:1", "registry.example.com", "https://" + reg.Host + ".example/"} {
			r := helper.Run(t, host, "get")
			if r.code != 1 || strings.TrimSpace(r.stdout) != "credentials not found in native keychain" {
				t.Errorf("get %s: want credentials not found, got:\n%s", host, r)
			}
		}
	})

	t.Run("logout forgets the login", func(t *testing.T) {
		if r := helper.Run(t, "", "logout", reg.Host); r.code != 0 {
			t.Fatalf("logout:\n%s", r)
		}
		r := helper.Run(t, reg.Host, "get")
		if r.code != 1 || strings.TrimSpace(r.stdout) != "credentials not found in native keychain" {
			t.Errorf("get after logout: want credentials not found, got:\n%s", r)
		}
	})

	t.Run("the regbridge log holds no ID token", func(t *testing.T) {
		log := bridge.Log(t)
		for _, tok := range minted {
			if strings.Contains(log, tok[strings.LastIndex(tok, ".")+1:]) {
				t.Error("an ID token signature appears in the regbridge log")
			}
		}
	})
}
