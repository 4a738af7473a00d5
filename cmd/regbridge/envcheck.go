package main

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// envNotConfig are REGBRIDGE_ variables that are not configuration keys:
// the --config flag's variable and the test harness's own.
var envNotConfig = []string{"REGBRIDGE_CONFIG", "REGBRIDGE_REDIS_SERVER", "REGBRIDGE_TOOLS_DIR"}

// envNotConfigPrefixes likewise, by prefix.
var envNotConfigPrefixes = []string{"REGBRIDGE_E2E_"}

// unknownEnv returns a problem for every REGBRIDGE_ variable in env that
// applyEnv did not use, naming the nearest real key, so that a typo such as
// REGBRIDGE_CAHCE_TTL is an error rather than a silently ignored setting.
func unknownEnv(root *yaml.Node, t reflect.Type, env map[string]string, used []string) []string {
	var unknown []string
	for k := range env {
		if !strings.HasPrefix(k, EnvPrefix) || slices.Contains(used, k) || slices.Contains(envNotConfig, k) {
			continue
		}
		if slices.ContainsFunc(envNotConfigPrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	keys := envKeys(root, t, strings.TrimSuffix(EnvPrefix, "_"))
	var p []string
	for _, k := range unknown {
		msg := fmt.Sprintf("environment: %s is not a configuration key", k)
		if near := nearest(k, keys); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		p = append(p, msg)
	}
	return p
}

// envKeys lists the variables applyEnv would use for root: every key of
// t, list entries by the indexes root has (or 0), and provider entries by
// the ids root has.
func envKeys(m *yaml.Node, t reflect.Type, prefix string) []string {
	var out []string
	for name, ft := range yamlFields(t) {
		key := prefix + "_" + strings.ToUpper(name)
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case name == "providers" && ft.Kind() == reflect.Slice:
			seq := mapValue(m, name)
			if seq == nil {
				out = append(out, key+"_<ID>_<KEY>")
				continue
			}
			for _, entry := range seq.Content {
				if id := mapValue(entry, "id"); id != nil {
					pid := strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(id.Value))
					for i := 0; i+1 < len(entry.Content); i += 2 {
						if k := entry.Content[i].Value; k != "id" && k != "type" {
							out = append(out, key+"_"+pid+"_"+strings.ToUpper(k))
						}
					}
				}
			}
		case ft == nodeType:
		case ft.Kind() == reflect.Struct && ft != durationType:
			out = append(out, envKeys(mapValue(m, name), ft, key)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, key)
			n := 1
			if seq := mapValue(m, name); seq != nil && seq.Kind == yaml.SequenceNode && len(seq.Content) > 0 {
				n = len(seq.Content)
			}
			for i := range n {
				var el *yaml.Node
				if seq := mapValue(m, name); seq != nil && i < len(seq.Content) {
					el = seq.Content[i]
				}
				out = append(out, envKeys(el, ft.Elem(), key+"_"+strconv.Itoa(i))...)
			}
		default:
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// nearest is the key of keys closest to k by edit distance, or "" when
// none is close enough to be a likely typo.
func nearest(k string, keys []string) string {
	best, bestD := "", len(k)/2+1
	for _, c := range keys {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
