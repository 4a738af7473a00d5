package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/regbridge/regbridge/providers"
)

// joinProblems merges the problems of errs into one configError that
// keeps cfg as the partial configuration, or returns nil when there are
// none.
func joinProblems(cfg *Config, errs ...error) error {
	var p []string
	for _, err := range errs {
		var ce *configError
		switch {
		case err == nil:
		case errors.As(err, &ce):
			p = append(p, ce.problems...)
		default:
			p = append(p, err.Error())
		}
	}
	if len(p) == 0 {
		return nil
	}
	return &configError{problems: p, partial: cfg}
}

// recordLines remembers the line of every key of the file, by dotted path
// ("keys", "keys.1.private_key"), for messages about values found wrong
// after decoding.
func (c *Config) recordLines(root *yaml.Node) {
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := prefix + n.Content[i].Value
				if n.Content[i].Line > 0 {
					c.lines[k] = n.Content[i].Line
				}
				walk(n.Content[i+1], k+".")
			}
		case yaml.SequenceNode:
			for i, el := range n.Content {
				k := prefix + strconv.Itoa(i)
				if el.Line > 0 {
					c.lines[k] = el.Line
				}
				walk(el, k+".")
			}
		}
	}
	walk(root, "")
}

// atPath is at for a dotted path, falling back to the nearest recorded
// parent ("keys.1.private_key", then "keys.1", then "keys").
func (c *Config) atPath(path, format string, args ...any) string {
	for p := path; p != ""; {
		if l := c.lines[p]; l > 0 {
			return fmt.Sprintf("%s:%d: %s", c.file, l, fmt.Sprintf(format, args...))
		}
		i := len(p) - 1
		for i >= 0 && p[i] != '.' {
			i--
		}
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return fmt.Sprintf("%s: %s", c.file, fmt.Sprintf(format, args...))
}

// missingKeyProblem says how to create a key file that does not exist, on
// the line of its entry; it is "" when the files of key i exist.
func (c *Config) missingKeyProblem(i int) string {
	k := c.Keys[i]
	for _, f := range []struct{ key, path string }{{"private_key", k.PrivateKey}, {"certificate", k.Certificate}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
			cert := k.Certificate
			if _, err := os.Stat(cert); cert == "" || err == nil {
				cert = strings.TrimSuffix(k.PrivateKey, filepath.Ext(k.PrivateKey)) + ".crt"
			}
			return c.atPath(fmt.Sprintf("keys.%d.%s", i, f.key), "keys[%d].%s: %s does not exist; create the key and its certificate with `regbridge keygen --key %s --cert %s`, or correct the path", i, f.key, f.path, k.PrivateKey, cert)
		}
	}
	return ""
}

// missingPolicyProblem says how to write the policy file when it does not
// exist; it is "" when it does (or none is named).
func (c *Config) missingPolicyProblem() string {
	if c.Policy == "" {
		return ""
	}
	if _, err := os.Stat(c.Policy); !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return c.at("policy", "policy: %s does not exist; write one (README, The policy; docs/policy.md)", c.Policy)
}

// checkPartial adds to a configuration that did not load what loading the
// files it names (keys, providers, policy, TLS) finds, so that check
// reports every problem in one run. Problems already reported are not
// repeated.
func checkPartial(err error, policy string) error {
	var ce *configError
	if !errors.As(err, &ce) || ce.partial == nil {
		return err
	}
	cfg := ce.partial
	if policy != "" {
		cfg.Policy = policy
	}
	seen := map[string]bool{}
	var out []string
	add := func(e error) {
		var more *configError
		if e == nil || !errors.As(e, &more) {
			if e != nil {
				out = append(out, e.Error())
			}
			return
		}
		for _, p := range more.problems {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	add(err)
	_, _, perr := prepare(cfg, providers.Deps{}, nil)
	add(perr)
	add(listenerProblems(cfg))
	return &configError{problems: out}
}
