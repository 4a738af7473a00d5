package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeContainerLines are the commands of the README's container block,
// continuation lines joined, split into words (the block uses no quoting).
func readmeContainerLines(t *testing.T) [][]string {
	t.Helper()
	readme := readRepoFile(t, "README.md")
	i := strings.Index(readme, "\n## Container image")
	if i < 0 {
		t.Fatal("README has no Container image section")
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(readme[i:])
	if m == nil {
		t.Fatal("README: no sh block in the Container image section")
	}
	var lines [][]string
	for _, l := range strings.Split(strings.ReplaceAll(m[1], "\\\n", " "), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines = append(lines, f)
		}
	}
	return lines
}

// TestE2EContainerTheREADMECommandsRunAsWritten builds the image, writes a
// configuration with init and runs podman with the README's flags (its own
// tag, container name and host port, so it runs next to anything else on
// 5001), then gets an anonymous pull token and the init user's push token
// from the container: the mounted 0600 key and htpasswd are readable by the
// image's user, and the port is published on loopback only.
func TestE2EContainerTheREADMECommandsRunAsWritten(t *testing.T) {
	podman := needTool(t, toolPodman)
	needTool(t, toolBuildah)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	lines := readmeContainerLines(t)
	want := []string{"deploy/build-image.sh", "regbridge", "podman"}
	if len(lines) != len(want) {
		t.Fatalf("the README's container block has %d commands, want %v: update this test with it", len(lines), want)
	}
	for i, w := range want {
		if lines[i][0] != w {
			t.Fatalf("README container command %d is %q, want %s: update this test with it", i+1, strings.Join(lines[i], " "), w)
		}
	}
	dir := t.TempDir()
	suffix := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	tag, name, port := "localhost/regbridge:"+suffix, "regbridge-"+suffix, freePort(t)
	// A private image store (vfs: no overlay mounts needed) that buildah and
	// podman both read through CONTAINERS_STORAGE_CONF, so the commands run
	// unchanged and the machine's store is neither used nor changed.
	store := t.TempDir()
	storageConf := filepath.Join(store, "storage.conf")
	writeFile(t, storageConf, fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(store, "graph"), filepath.Join(store, "run")))
	env := append(os.Environ(), "CONTAINERS_STORAGE_CONF="+storageConf)
	execCommand := func(ctx context.Context, argv ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		return cmd
	}
	exec := func(timeout time.Duration, argv ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := execCommand(ctx, argv...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
		return string(out)
	}

	// 1. deploy/build-image.sh localhost/regbridge:latest
	script, err := filepath.Abs(filepath.Join(repoRoot, lines[0][0]))
	if err != nil {
		t.Fatal(err)
	}
	build := append([]string{"bash", script}, replaceWord(lines[0][1:], "localhost/regbridge:latest", tag)...)
	exec(10*time.Minute, build...)
	t.Cleanup(func() { execCommand(context.Background(), podman, "rmi", "-f", tag).Run() })

	// 2. regbridge init --dir config --listen :5001
	out := exec(time.Minute, append([]string{regbridgeBin}, lines[1][1:]...)...)
	pw := regexp.MustCompile(`(?m)^user (\S+), password: (\S+)$`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("init printed no password:\n%s", out)
	}

	// 3. podman run --rm -p 127.0.0.1:5001:5001 -v ./config:/etc/regbridge:ro,U --ulimit … IMAGE
	run := lines[2]
	if !contains(run, "127.0.0.1:5001:5001") || !contains(run, "./config:/etc/regbridge:ro,U") || !contains(run, "localhost/regbridge:latest") {
		t.Fatalf("the README's podman command changed; update this test: %s", strings.Join(run, " "))
	}
	run = replaceWord(run, "127.0.0.1:5001:5001", fmt.Sprintf("127.0.0.1:%d:5001", port))
	run = replaceWord(run, "localhost/regbridge:latest", tag)
	run = append([]string{podman, run[1], "-d", "--name", name}, run[2:]...)
	exec(2*time.Minute, run...)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := execCommand(context.Background(), podman, "logs", name).CombinedOutput()
			t.Logf("container log:\n%s", logs)
		}
		execCommand(context.Background(), podman, "rm", "-f", name).Run()
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			logs, _ := execCommand(context.Background(), podman, "logs", name).CombinedOutput()
			t.Fatalf("the container is not ready after 30s (%v):\n%s", err, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if inspect := exec(time.Minute, podman, "port", name); !strings.Contains(inspect, "127.0.0.1:") || strings.Contains(inspect, "0.0.0.0:") {
		t.Fatalf("the port is not published on loopback only: %s", inspect)
	}

	granted := func(auth, scope string) string {
		t.Helper()
		status, body := httpGet(t, base+"/token?service=registry.example.com&scope="+scope, auth)
		if status != http.StatusOK {
			t.Fatalf("token for %s: %d %s", scope, status, body)
		}
		var tok struct{ Token string }
		if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Token == "" {
			t.Fatalf("token response: %v %s", err, body)
		}
		return strings.Join(tokenActions(t, tok.Token), ",")
	}
	if got := granted("", "repository:public/app:pull"); got != "repository:public/app:pull" {
		t.Errorf("anonymous pull of public/app: granted %q", got)
	}
	if got := granted(basicAuth(pw[1], pw[2]), "repository:team/app:pull,push"); got != "repository:team/app:pull,push" {
		t.Errorf("the init user's push: granted %q", got)
	}
}

func replaceWord(words []string, old, new string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		if w == old {
			w = new
		}
		out[i] = w
	}
	return out
}

func contains(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// tokenActions is the access of a registry token as TYPE:NAME:ACTIONS.
func tokenActions(t *testing.T, token string) []string {
	t.Helper()
	raw, _ := json.Marshal(jwtClaims(t, token)["access"])
	var access []struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	if err := json.Unmarshal(raw, &access); err != nil {
		t.Fatalf("token access: %v", err)
	}
	var out []string
	for _, a := range access {
		out = append(out, a.Type+":"+a.Name+":"+strings.Join(a.Actions, ","))
	}
	return out
}
