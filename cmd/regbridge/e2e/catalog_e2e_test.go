package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestTheCatalogAndSearchThroughNginxShowEachCallerWhatItMayPull runs the
// nginx recipe of docs/search.md in front of a real registry and regbridge:
// alice, bob, admin and an anonymous caller list and search, and each sees
// exactly the repositories e2ePolicy gives it pull on.
func TestTheCatalogAndSearchThroughNginxShowEachCallerWhatItMayPull(t *testing.T) {
	for _, v := range []RegistryVersion{reg31Bundle, reg30Bundle, reg28Bundle} {
		t.Run(v.Label, func(t *testing.T) {
			needTool(t, toolNginx)
			needTool(t, toolCrane)
			regPort := freePort(t)
			svc := Service{Name: "catalog.test", Issuer: "regbridge-e2e-catalog", Header: headerX5C,
				RegistryURL: "http://127.0.0.1:" + itoa(regPort)}
			pw := e2eUsers(t)
			bridge := startBridge(t, BridgeOptions{Services: []Service{svc}, Users: pw,
				Groups: map[string][]string{"publishers": {"admin"}}, Policy: e2ePolicy})
			reg := startRegistryAt(t, v, bridge, svc, regPort)
			host := startNginx(t, reg.Port, bridge.Port, svc.Name)

			// Pushed through nginx: everything but the catalog reaches the
			// registry.
			push := func(user, repo string) {
				c := newClient(t, toolCrane)
				c.MustLogin(t, host, user, pw[user])
				layer := writeLayerTar(t, c.WorkDir(), "f", repo+" "+randomPassword(t))
				c.MustRun(t, "", "append", "-f", layer, "-t", host+"/"+repo+":1")
			}
			push("admin", "public/base")
			push("admin", "public/tools")
			push("alice", "alice/app")
			push("alice", "alice/star/x")
			push("bob", "bob/app")
			push("bob", "bob/tool")

			// The registry itself, asked with a full catalog token, lists
			// everything: the filtering is regbridge's.
			all := []string{"alice/app", "alice/star/x", "bob/app", "bob/tool", "public/base", "public/tools"}
			tok := bridge.MustToken(t, svc.Name, "admin", pw["admin"], "registry:catalog:*")
			if got := catalogNames(t, "http://"+reg.Host+"/v2/_catalog", "Bearer "+tok); !slices.Equal(got, all) {
				t.Fatalf("the registry's own catalog = %v, want %v", got, all)
			}

			want := map[string][]string{
				"":      {"public/base", "public/tools"},
				"alice": {"alice/app", "alice/star/x", "public/base", "public/tools"},
				"bob":   {"bob/app", "bob/tool", "public/base", "public/tools"},
				"admin": {"public/base", "public/tools"},
			}
			for _, user := range sortedKeys(want) {
				auth := ""
				if user != "" {
					auth = basicAuth(user, pw[user])
				}
				got := catalogNames(t, "http://"+host+"/v2/_catalog", auth)
				if !slices.Equal(got, want[user]) {
					t.Errorf("catalog through nginx as %q = %v, want %v", user, got, want[user])
				}
				if walked := walkCatalog(t, "http://"+host, auth); !slices.Equal(walked, want[user]) {
					t.Errorf("n=1 walk as %q = %v, want %v", user, walked, want[user])
				}
				var hits []string
				for _, n := range want[user] {
					if strings.Contains(n, "app") {
						hits = append(hits, n)
					}
				}
				if got := searchNames(t, "http://"+host+"/v1/search?q=app", auth); !slices.Equal(got, hits) {
					t.Errorf("search q=app as %q = %v, want %v", user, got, hits)
				}
				t.Logf("%s sees %v", map[bool]string{true: "anonymous", false: user}[user == ""], got)
			}

			// A wrong password is refused, never shown the anonymous view.
			status, body := httpGet(t, "http://"+host+"/v2/_catalog", basicAuth("alice", "wrong-"+pw["alice"]))
			if status != http.StatusUnauthorized || strings.Contains(body, "public/") {
				t.Errorf("wrong password: %d %s", status, body)
			}

			// crane catalog through the proxy: the registry's challenge, a
			// catalog token from regbridge, then regbridge's filtered list.
			for _, user := range []string{"alice", "bob", ""} {
				c := newClient(t, toolCrane)
				if user != "" {
					c.MustLogin(t, host, user, pw[user])
				}
				out := strings.Fields(c.MustRun(t, "", "catalog", host))
				if !slices.Equal(out, want[user]) {
					t.Errorf("crane catalog as %q = %v, want %v", user, out, want[user])
				}
			}
			if strings.Contains(bridge.Log(t), pw["alice"]) {
				t.Error("regbridge logged a password")
			}
		})
	}
}

func basicAuth(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func httpGet(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	resp, _, body := httpGetFull(t, url, auth)
	return resp, body
}

func httpGetFull(t *testing.T, url, auth string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func catalogNames(t *testing.T, url, auth string) []string {
	t.Helper()
	status, _, body := httpGetFull(t, url, auth)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	var out struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return out.Repositories
}

// walkCatalog follows the Link chain from /v2/_catalog?n=1.
func walkCatalog(t *testing.T, base, auth string) []string {
	t.Helper()
	var all []string
	next := "/v2/_catalog?n=1"
	for i := 0; next != ""; i++ {
		if i > 20 {
			t.Fatal("the Link chain does not end")
		}
		status, h, body := httpGetFull(t, base+next, auth)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, status, body)
		}
		var out struct {
			Repositories []string `json:"repositories"`
		}
		json.Unmarshal([]byte(body), &out)
		if len(out.Repositories) > 1 {
			t.Fatalf("n=1 page holds %v", out.Repositories)
		}
		all = append(all, out.Repositories...)
		next = ""
		if link := h.Get("Link"); link != "" {
			target, _, _ := strings.Cut(link, ">")
			next = strings.TrimPrefix(target, "<")
		}
	}
	return all
}

func searchNames(t *testing.T, url, auth string) []string {
	t.Helper()
	status, body := httpGet(t, url, auth)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	var out struct {
		NumResults int `json:"num_results"`
		Results    []struct {
			Name string `json:"name"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range out.Results {
		names = append(names, r.Name)
	}
	if out.NumResults != len(names) {
		t.Fatalf("num_results %d for %d results", out.NumResults, len(names))
	}
	return names
}
