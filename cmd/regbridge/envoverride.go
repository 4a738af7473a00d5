package main

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts every environment override.
const EnvPrefix = "REGBRIDGE_"

// applyEnv overrides configuration values from the environment before the
// configuration is decoded, so overridden values are checked like any other:
//
//	REGBRIDGE_LISTEN, REGBRIDGE_CACHE_TTL            top-level and nested keys
//	REGBRIDGE_SERVICES_0_ISSUER                      list entries by index
//	REGBRIDGE_PROVIDERS_<ID>_<KEY>                   provider entries by id
//
// Values starting with '[' or '{' are read as YAML flow collections.
// It returns the names of the variables it used.
func applyEnv(root *yaml.Node, t reflect.Type, env map[string]string) []string {
	var used []string
	applyStruct(root, t, strings.TrimSuffix(EnvPrefix, "_"), env, &used)
	applyProviders(root, env, &used)
	sort.Strings(used)
	return used
}

func applyStruct(m *yaml.Node, t reflect.Type, prefix string, env map[string]string, used *[]string) {
	for name, ft := range yamlFields(t) {
		key := prefix + "_" + strings.ToUpper(name)
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == nodeType || name == "providers":
			continue
		case ft.Kind() == reflect.Struct && ft != durationType:
			if child := mapValue(m, name); child != nil {
				applyStruct(child, ft, key, env, used)
			} else if hasPrefix(env, key+"_") {
				child := &yaml.Node{Kind: yaml.MappingNode}
				setValue(m, name, child)
				applyStruct(child, ft, key, env, used)
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			if v, ok := env[key]; ok {
				setValue(m, name, envNode(v))
				*used = append(*used, key)
				continue
			}
			if seq := mapValue(m, name); seq != nil && seq.Kind == yaml.SequenceNode {
				for i, el := range seq.Content {
					applyStruct(el, ft.Elem(), key+"_"+strconv.Itoa(i), env, used)
				}
			}
		default:
			if v, ok := env[key]; ok {
				setValue(m, name, envNode(v))
				*used = append(*used, key)
			}
		}
	}
}

// applyProviders sets REGBRIDGE_PROVIDERS_<ID>_<KEY> on the provider entry
// whose id, upper-cased with '-' and '.' as '_', is <ID>.
func applyProviders(root *yaml.Node, env map[string]string, used *[]string) {
	seq := mapValue(root, "providers")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return
	}
	for _, entry := range seq.Content {
		idNode := mapValue(entry, "id")
		if idNode == nil {
			continue
		}
		id := strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(idNode.Value))
		prefix := EnvPrefix + "PROVIDERS_" + id + "_"
		for k, v := range env {
			rest, ok := strings.CutPrefix(k, prefix)
			if !ok || rest == "" || rest == "ID" || rest == "TYPE" {
				continue
			}
			setValue(entry, strings.ToLower(rest), envNode(v))
			*used = append(*used, k)
		}
	}
}

func hasPrefix(env map[string]string, p string) bool {
	for k := range env {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func envNode(v string) *yaml.Node {
	if strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(v), &doc); err == nil && len(doc.Content) == 1 {
			clearLines(doc.Content[0])
			return doc.Content[0]
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: v}
}

func clearLines(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearLines(c)
	}
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

// mapKey returns the key node of key in mapping m, or nil.
func mapKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}
