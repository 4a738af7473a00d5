package main

import (
	"bytes"
	"debug/buildinfo"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const helmChart = "../../deploy/helm/regbridge"

// The helm binary comes from the end-to-end tool cache that
// .ci/install-tools fills, and is handled like the e2e suite's tools: no
// REGBRIDGE_E2E_TOOLS skips, a missing or unpinned helm skips unless
// REGBRIDGE_E2E_REQUIRED=1 makes it a failure.
const (
	helmModule  = "helm.sh/helm/v4"
	helmVersion = "v4.3.2"
)

func needHelm(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("REGBRIDGE_E2E_TOOLS")
	if dir == "" {
		t.Skip("skipping the Helm chart test: REGBRIDGE_E2E_TOOLS is not set (run .ci/install-tools, then set it to ~/.cache/regbridge/e2e-tools/bin)")
	}
	path := filepath.Join(dir, "helm")
	err := helmPinned(path)
	if err != nil {
		if os.Getenv("REGBRIDGE_E2E_REQUIRED") == "1" {
			t.Fatalf("%v (REGBRIDGE_E2E_REQUIRED=1; run .ci/install-tools)", err)
		}
		t.Skipf("skipping: %v (run .ci/install-tools)", err)
	}
	return path
}

func helmPinned(path string) error {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("helm not usable at %s: %v", path, err)
	}
	if bi.Main.Path != helmModule || bi.Main.Version != helmVersion {
		return fmt.Errorf("%s is %s %s, want %s %s", path, bi.Main.Path, bi.Main.Version, helmModule, helmVersion)
	}
	return nil
}

// helmKeyArgs are --set-file flags with a fresh signing key.
func helmKeyArgs(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
	if out, err := run(t, "keygen", "--key", key, "--cert", cert); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	return []string{"--set-file", "signingKey.privateKey=" + key, "--set-file", "signingKey.certificate=" + cert}
}

// helmTemplate renders the chart; the objects are keyed by kind/name.
func helmTemplate(t *testing.T, helm string, args ...string) (map[string]map[string]any, error) {
	t.Helper()
	cmd := exec.Command(helm, append([]string{"template", "rb", helmChart}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template: %v: %s", err, stderr.String())
	}
	objs := map[string]map[string]any{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o map[string]any
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("rendered manifests: %v\n%s", err, out)
		}
		if o == nil {
			continue
		}
		objs[fmt.Sprint(o["kind"])+"/"+fmt.Sprint(dig(o, "metadata", "name"))] = o
	}
	return objs, nil
}

// dig walks maps by key and lists by index.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestTheHelmChartLints(t *testing.T) {
	helm := needHelm(t)
	out, err := exec.Command(helm, append([]string{"lint", "--strict", helmChart}, helmKeyArgs(t)...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

// TestTheHelmChartRendersANonRootReadOnlyDeploymentWhoseConfigurationPassesCheck
// renders the chart with static users from `files`, writes the ConfigMap and
// Secrets where the pod mounts them (under a temporary root) and runs check.
func TestTheHelmChartRendersANonRootReadOnlyDeploymentWhoseConfigurationPassesCheck(t *testing.T) {
	helm := needHelm(t)
	values := filepath.Join(t.TempDir(), "values.yaml")
	os.WriteFile(values, []byte(`config:
  public_url: "https://auth.example.com"
  services: [{name: registry.example.com, issuer: regbridge}]
  providers:
    - {id: users, type: static, htpasswd: /etc/regbridge-files/htpasswd}
policy: |
  version: 1
  rules:
    - id: own
      who: [users]
      grant: [{repository: "${username}/**", actions: [pull, push]}]
  tests:
    - name: alice pushes her own
      identity: {provider: users, username: alice}
      request: ["repository:alice/app:push"]
      expect: ["repository:alice/app:push"]
files:
  htpasswd: "alice:$2y$05$5Bgb8Kx8Z3fp6c0vJ9i3RO7bW8Sxp1wYy0nmV8mG1FJjK5i9xQ3Ge\n"
`), 0o600)
	objs, err := helmTemplate(t, helm, append(helmKeyArgs(t), "-f", values)...)
	if err != nil {
		t.Fatal(err)
	}
	dep := objs["Deployment/rb-regbridge"]
	if dep == nil {
		t.Fatalf("no Deployment rb-regbridge among %v", keys(objs))
	}
	pod := dig(dep, "spec", "template", "spec")
	ctr := dig(pod, "containers", 0)
	for _, tc := range []struct {
		what string
		got  any
		want any
	}{
		{"readiness path", dig(ctr, "readinessProbe", "httpGet", "path"), "/readyz"},
		{"liveness path", dig(ctr, "livenessProbe", "httpGet", "path"), "/healthz"},
		{"runAsNonRoot", dig(pod, "securityContext", "runAsNonRoot"), true},
		{"runAsUser", dig(pod, "securityContext", "runAsUser"), 65532},
		{"readOnlyRootFilesystem", dig(ctr, "securityContext", "readOnlyRootFilesystem"), true},
		{"allowPrivilegeEscalation", dig(ctr, "securityContext", "allowPrivilegeEscalation"), false},
		{"dropped capabilities", dig(ctr, "securityContext", "capabilities", "drop", 0), "ALL"},
		{"seccomp", dig(pod, "securityContext", "seccompProfile", "type"), "RuntimeDefault"},
		{"replicas", dig(dep, "spec", "replicas"), 2},
		{"grace period (5s drain + 30s in flight + 5s)", dig(pod, "terminationGracePeriodSeconds"), 40},
		{"Service target", dig(objs["Service/rb-regbridge"], "spec", "ports", 0, "targetPort"), "http"},
		{"PodDisruptionBudget", dig(objs["PodDisruptionBudget/rb-regbridge"], "spec", "minAvailable"), 1},
	} {
		if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, tc.got, tc.want)
		}
	}

	// The pod's files, under root: the ConfigMap at /etc/regbridge, the
	// Secrets at the paths the volumes mount them.
	root := t.TempDir()
	mounts := map[string]string{}
	for i := 0; dig(ctr, "volumeMounts", i) != nil; i++ {
		m := dig(ctr, "volumeMounts", i)
		mounts[fmt.Sprint(dig(m, "name"))] = fmt.Sprint(dig(m, "mountPath"))
	}
	write := func(mount, name string, body []byte) {
		p := filepath.Join(root, mount, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cm := dig(objs["ConfigMap/rb-regbridge"], "data").(map[string]any)
	for name, body := range cm {
		write(mounts["config"], name, []byte(strings.ReplaceAll(fmt.Sprint(body), "/etc/", root+"/etc/")))
	}
	for secret, mount := range map[string]string{"Secret/rb-regbridge-key": mounts["key"], "Secret/rb-regbridge-files": mounts["files"]} {
		data, _ := dig(objs[secret], "data").(map[string]any)
		if len(data) == 0 || mount == "" {
			t.Fatalf("%s: data %v mounted at %q", secret, data, mount)
		}
		for name, b64 := range data {
			raw, err := base64.StdEncoding.DecodeString(fmt.Sprint(b64))
			if err != nil {
				t.Fatal(err)
			}
			write(mount, name, raw)
		}
	}
	cfg := filepath.Join(root, mounts["config"], "regbridge.yaml")
	if out, err := run(t, "check", "--config", cfg); err != nil || !strings.HasPrefix(out, "ok: ") {
		raw, _ := os.ReadFile(cfg)
		t.Fatalf("check of the rendered configuration: %v\n%s\n%s", err, out, raw)
	}
	if cmdArgs := fmt.Sprint(dig(ctr, "args")); cmdArgs != "[serve --config "+mounts["config"]+"/regbridge.yaml]" {
		t.Errorf("container args %s do not serve the ConfigMap's file", cmdArgs)
	}
}

func TestTheHelmChartGracePeriodFollowsTheDrain(t *testing.T) {
	helm := needHelm(t)
	objs, err := helmTemplate(t, helm, append(helmKeyArgs(t), "--set", "shutdown.drainSeconds=20")...)
	if err != nil {
		t.Fatal(err)
	}
	grace := dig(objs["Deployment/rb-regbridge"], "spec", "template", "spec", "terminationGracePeriodSeconds")
	if g, ok := grace.(int); !ok || g <= 20+int(inFlightWait.Seconds()) {
		t.Errorf("terminationGracePeriodSeconds %v with a 20s drain: the kubelet would kill requests in flight", grace)
	}
	var cfg struct {
		Shutdown struct{ Drain string }
	}
	yaml.Unmarshal([]byte(fmt.Sprint(dig(objs["ConfigMap/rb-regbridge"], "data", "regbridge.yaml"))), &cfg)
	if cfg.Shutdown.Drain != "20s" {
		t.Errorf("the configuration's shutdown.drain is %q, want 20s", cfg.Shutdown.Drain)
	}
}

func TestTheHelmChartUsesAnExistingKeySecretAndOmitsTheOptionalObjects(t *testing.T) {
	helm := needHelm(t)
	objs, err := helmTemplate(t, helm, "--set", "signingKey.existingSecret=my-key", "--set", "podDisruptionBudget.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	for k := range objs {
		if strings.HasPrefix(k, "Secret/") || strings.HasPrefix(k, "PodDisruptionBudget/") {
			t.Errorf("rendered %s", k)
		}
	}
	pod := dig(objs["Deployment/rb-regbridge"], "spec", "template", "spec")
	found := false
	for i := 0; dig(pod, "volumes", i) != nil; i++ {
		found = found || dig(pod, "volumes", i, "secret", "secretName") == "my-key"
	}
	if !found {
		t.Error("no volume mounts the existing Secret my-key")
	}
}

func TestTheHelmChartRefusesToRenderWithoutASigningKey(t *testing.T) {
	helm := needHelm(t)
	if _, err := helmTemplate(t, helm); err == nil || !strings.Contains(err.Error(), "signingKey") {
		t.Fatalf("helm template without a key: %v, want an error naming signingKey", err)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
