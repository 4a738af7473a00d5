package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/state"
)

const stateBase = `services: [{name: r, issuer: i}]
keys: [{private_key: k.pem}]
policy: p.yaml
`

func TestStateConfigIsDecodedStrictly(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want StateConfig
	}{
		{"no state keeps the replay sets in memory", "", StateConfig{}},
		{"an empty state keeps them in memory", "state:\n", StateConfig{}},
		{"a plain URL string is the url", "state: redis://127.0.0.1:6379/0\n", StateConfig{URL: "redis://127.0.0.1:6379/0"}},
		{"the mapping form carries every option", "state:\n  url: rediss://redis:6380/2\n  password_file: secrets/redis\n  key_prefix: \"prod:replay:\"\n  timeout: 250ms\n",
			StateConfig{URL: "rediss://redis:6380/2", PasswordFile: "/etc/regbridge/secrets/redis", KeyPrefix: "prod:replay:", Timeout: 250 * time.Millisecond}},
		{"an absolute password_file is kept", "state: {url: redis://r/0, password_file: /run/secrets/redis}\n", StateConfig{URL: "redis://r/0", PasswordFile: "/run/secrets/redis"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(stateBase+tc.src), "/etc/regbridge/regbridge.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.State != tc.want {
				t.Errorf("state %+v, want %+v", cfg.State, tc.want)
			}
		})
	}
}

func TestStateConfigProblemsNameTheKeyAndLine(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"an unknown key is refused with a suggestion", "state: {url: redis://r/0, timout: 1s}\n", []string{`regbridge.yaml:4: unknown key state.timout (did you mean "timeout"?)`}},
		{"a non-Redis scheme is refused", "state: http://r:6379\n", []string{"regbridge.yaml:4: state.url: the scheme must be redis:// or rediss://"}},
		{"options without a url are refused", "state: {key_prefix: x}\n", []string{"regbridge.yaml:4: state.url: required when"}},
		{"a password in two places is refused", "state: {url: \"redis://:pw@r/0\", password_file: pw}\n", []string{"state.password_file: the URL holds a password already"}},
		{"a negative timeout is refused", "state: {url: redis://r/0, timeout: -1s}\n", []string{"state.timeout: -1s is out of range"}},
		{"a timeout over 30s is refused", "state: {url: redis://r/0, timeout: 2m}\n", []string{"state.timeout: 2m0s is out of range"}},
		{"a key prefix with a space is refused", "state: {url: redis://r/0, key_prefix: \"a b\"}\n", []string{"state.key_prefix: must not contain spaces"}},
		{"a sequence is not a state", "state: [redis://r/0]\n", []string{"regbridge.yaml:4:"}},
		{"a number is not a URL", "state: 6379\n", []string{"regbridge.yaml:4: state: want a redis:// URL"}},
		{"every problem is reported together", "state: {url: \"redis://r/x\", timeout: 1h, key_prefix: \"\\t\"}\n",
			[]string{"state.url: the path must be a database number", "state.timeout: 1h0m0s is out of range", "state.key_prefix: must not contain"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig([]byte(stateBase+tc.src), "regbridge.yaml", nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestStateURLErrorsNeverShowTheRedisPassword(t *testing.T) {
	_, err := parseConfig([]byte(stateBase+"state: \"redis://app:hunter2@r/notadb\"\n"), "regbridge.yaml", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err %v: want a refusal without the password", err)
	}
}

func TestStateIsSetFromTheEnvironment(t *testing.T) {
	env := map[string]string{
		"REGBRIDGE_STATE_URL":           "redis://redis.regbridge.svc:6379/0",
		"REGBRIDGE_STATE_PASSWORD_FILE": "redis-password",
		"REGBRIDGE_STATE_TIMEOUT":       "2s",
	}
	cfg, err := parseConfig([]byte(stateBase), "/etc/regbridge/regbridge.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	want := StateConfig{URL: "redis://redis.regbridge.svc:6379/0", PasswordFile: filepath.Join("/etc/regbridge", "redis-password"), Timeout: 2 * time.Second}
	if cfg.State != want {
		t.Errorf("state %+v, want %+v", cfg.State, want)
	}
	// An override of a state key cannot be attached to the plain URL form:
	// it is refused, not dropped.
	_, err = parseConfig([]byte(stateBase+"state: redis://r/0\n"), "regbridge.yaml", map[string]string{"REGBRIDGE_STATE_TIMEOUT": "2s"})
	if err == nil || !strings.Contains(err.Error(), "mapping form") {
		t.Errorf("override on the plain form: %v", err)
	}
}

// k8sObject is the part of a Kubernetes manifest the deployment test reads.
type k8sObject struct {
	Kind     string                `yaml:"kind"`
	Metadata struct{ Name string } `yaml:"metadata"`
	Data     map[string]string     `yaml:"data"`
	Spec     struct {
		Ports []struct {
			Port int `yaml:"port"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				Containers []struct {
					Args []string `yaml:"args"`
					Env  []struct {
						ValueFrom struct {
							SecretKeyRef struct{ Name string } `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
				} `yaml:"containers"`
				Volumes []struct {
					Secret struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readManifests(t *testing.T, path string) []k8sObject {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []k8sObject
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var o k8sObject
		if err := dec.Decode(&o); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, o)
	}
}

func TestKubernetesReplicasShareTheRedisOfRedisYAML(t *testing.T) {
	redisObjs := readManifests(t, "../../deploy/kubernetes/redis.yaml")
	appObjs := readManifests(t, "../../deploy/kubernetes/regbridge.yaml")
	var cfg *Config
	var appSecrets []string
	for _, o := range appObjs {
		switch o.Kind {
		case "ConfigMap":
			c, err := parseConfig([]byte(o.Data["regbridge.yaml"]), "/etc/regbridge/regbridge.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg = c
		case "Deployment":
			for _, v := range o.Spec.Template.Spec.Volumes {
				appSecrets = append(appSecrets, v.Secret.SecretName)
			}
		}
	}
	if cfg == nil || !cfg.State.enabled() {
		t.Fatal("the ConfigMap sets no state.url: replay sets would be per replica")
	}
	ep, err := state.ParseURL(cfg.State.URL)
	if err != nil {
		t.Fatal(err)
	}
	var service, deployment bool
	for _, o := range redisObjs {
		switch o.Kind {
		case "Service":
			service = o.Metadata.Name+":"+strconv.Itoa(o.Spec.Ports[0].Port) == ep.Addr
		case "Deployment":
			deployment = true
			c := o.Spec.Template.Spec.Containers[0]
			args := strings.Join(c.Args, " ")
			if !strings.Contains(args, "--maxmemory-policy noeviction") {
				t.Errorf("Redis args %q: eviction would forget live replay keys", args)
			}
			if !strings.Contains(args, "--requirepass") || len(c.Env) == 0 || !slices.Contains(appSecrets, c.Env[0].ValueFrom.SecretKeyRef.Name) {
				t.Errorf("Redis password does not come from a Secret that regbridge mounts (args %q, regbridge secrets %q)", args, appSecrets)
			}
		}
	}
	if !service || !deployment {
		t.Errorf("redis.yaml: Service named and numbered as %s: %v; Deployment: %v", ep.Addr, service, deployment)
	}
	if cfg.State.PasswordFile == "" {
		t.Error("state.password_file is not set: regbridge would not authenticate to Redis")
	}
}
