package bridge

import (
	"fmt"
	"net/url"
	"strings"
)

// formParams are the parameters of a query string or form body, in order.
// A token request carries a handful, so a list searched in order costs less
// than url.Values: no map, no slice per key.
type formParams []formParam

type formParam struct{ key, value string }

// maxScannedParams is how many parameters parseParams reads itself; a
// longer input goes through url.ParseQuery, which also enforces Go's limit
// on the number of parameters.
const maxScannedParams = 64

// parseParams parses raw exactly as url.ParseQuery does, with the same
// values and the same error, appending to buf.
func parseParams(raw string, buf formParams) (formParams, error) {
	if strings.Count(raw, "&") >= maxScannedParams {
		v, err := url.ParseQuery(raw)
		for k, vals := range v {
			for _, x := range vals {
				buf = append(buf, formParam{k, x})
			}
		}
		return buf, err
	}
	var err error
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if strings.Contains(pair, ";") {
			err = fmt.Errorf("invalid semicolon separator in query")
			continue
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(key)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		value, err1 = url.QueryUnescape(value)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		buf = append(buf, formParam{key, value})
	}
	return buf, err
}

// values returns every value of key, in order.
func (p formParams) values(key string) []string {
	var out []string
	for _, kv := range p {
		if kv.key == key {
			out = append(out, kv.value)
		}
	}
	return out
}

// single returns the one value of key, or "" when absent; two different
// values are an error.
func single(p formParams, key string) (string, error) {
	first, seen := "", false
	for _, kv := range p {
		if kv.key != key {
			continue
		}
		if !seen {
			first, seen = kv.value, true
		} else if kv.value != first {
			return "", badRequest("parameter %q given more than once with different values", key)
		}
	}
	return first, nil
}
