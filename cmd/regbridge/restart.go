package main

import (
	"reflect"
	"slices"
	"strings"
)

// reloadedSettings are the top-level settings a reload applies. Every
// other setting is read once at start; a reload that changes one names it
// as needing a restart.
var reloadedSettings = []string{"services", "keys", "providers", "policy", "cache"}

// restartRequired names the top-level settings that differ between the
// running configuration and next and that only a restart applies.
func restartRequired(running, next *Config) []string {
	var out []string
	rv, nv := reflect.ValueOf(*running), reflect.ValueOf(*next)
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := yamlName(f)
		if name == "" || slices.Contains(reloadedSettings, name) {
			continue
		}
		if !reflect.DeepEqual(rv.Field(i).Interface(), nv.Field(i).Interface()) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// yamlName is the key of a struct field in YAML, "" for "-".
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}
