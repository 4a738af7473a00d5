package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// docFile is a fenced block of a docs page that names its file on its first
// line ("# file: policy.yaml").
type docFile struct{ name, body string }

var docFileBlock = regexp.MustCompile("(?s)```[a-z]*\n# file: ([\\w./-]+)\n(.*?)```")

func docFiles(page string) []docFile {
	var out []docFile
	for _, m := range docFileBlock.FindAllStringSubmatch(page, -1) {
		out = append(out, docFile{m[1], "# file: " + m[1] + "\n" + m[2]})
	}
	return out
}

// TestTheDocsExampleFilesPassCheckAsWritten writes every page's `# file:`
// blocks into one directory per page, creates the signing keys and TLS
// certificates a configuration names, and runs check on each complete
// configuration (one with services and keys). A complete configuration
// must be such a block, so that it is checked.
func TestTheDocsExampleFilesPassCheckAsWritten(t *testing.T) {
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs pages: %v", err)
	}
	checked := map[string]bool{}
	for _, page := range pages {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
			var top map[string]any
			if yaml.Unmarshal([]byte(m[1]), &top) == nil && top["services"] != nil && top["keys"] != nil && !strings.HasPrefix(m[1], "# file: ") {
				t.Errorf("%s: a complete configuration without a `# file: NAME` first line is not checked:\n%s", page, m[1])
			}
		}
		files := docFiles(string(raw))
		if len(files) == 0 {
			continue
		}
		t.Run(filepath.Base(page), func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				p := filepath.Join(dir, f.name)
				os.MkdirAll(filepath.Dir(p), 0o700)
				if err := os.WriteFile(p, []byte(f.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range files {
				var cfg struct {
					Services []any
					Keys     []struct {
						PrivateKey  string `yaml:"private_key"`
						Certificate string `yaml:"certificate"`
					}
					TLS struct {
						PrivateKey  string `yaml:"private_key"`
						Certificate string `yaml:"certificate"`
					}
				}
				if !strings.HasSuffix(f.name, ".yaml") || yaml.Unmarshal([]byte(f.body), &cfg) != nil || len(cfg.Services) == 0 || len(cfg.Keys) == 0 {
					continue
				}
				pairs := [][2]string{{cfg.TLS.PrivateKey, cfg.TLS.Certificate}}
				for _, k := range cfg.Keys {
					pairs = append(pairs, [2]string{k.PrivateKey, k.Certificate})
				}
				for _, kp := range pairs {
					if kp[0] == "" || filepath.IsAbs(kp[0]) {
						continue
					}
					key := filepath.Join(dir, kp[0])
					if _, err := os.Stat(key); err == nil {
						continue
					}
					args := []string{"keygen", "--key", key, "--cert", filepath.Join(dir, kp[1])}
					if out, err := run(t, args...); err != nil {
						t.Fatalf("keygen for %s: %v\n%s", f.name, err, out)
					}
				}
				out, err := run(t, "check", "--config", filepath.Join(dir, f.name))
				if err != nil || !strings.HasPrefix(out, "ok: ") {
					t.Errorf("%s: %s fails check as written:\n%v\n%s", page, f.name, err, out)
				}
				checked[filepath.Base(page)] = true
			}
		})
	}
	for _, want := range []string{"static.md", "tls-and-proxies.md"} {
		if !checked[want] {
			t.Errorf("docs/%s has no complete configuration in `# file:` blocks; checked: %v", want, checked)
		}
	}
}
