package static

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Account is one htpasswd entry.
type Account struct {
	Name string
	Hash []byte
}

// userNameRE is what a user or robot name may look like: it is used in
// repository names through ${username}, so it stays in the registry's
// component alphabet, case-insensitively.
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ParseHtpasswd reads "name:bcrypt-hash" lines. Blank lines and lines
// starting with '#' are skipped. Every problem is reported with its line.
func ParseHtpasswd(r io.Reader, filename string) ([]Account, error) {
	var out []Account
	var errs []error
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: want name:hash", filename, n))
		case !userNameRE.MatchString(name):
			errs = append(errs, fmt.Errorf("%s:%d: user name %q must match %s", filename, n, name, userNameRE))
		case !isBcrypt(hash):
			errs = append(errs, fmt.Errorf("%s:%d: user %q: only bcrypt hashes ($2a$, $2b$, $2y$) are accepted; create one with `htpasswd -B`", filename, n, name))
		case seen[name] != 0:
			errs = append(errs, fmt.Errorf("%s:%d: user %q already defined on line %d", filename, n, name, seen[name]))
		default:
			seen[name] = n
			out = append(out, Account{Name: name, Hash: []byte(hash)})
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", filename, err))
	}
	return out, errors.Join(errs...)
}

func isBcrypt(h string) bool {
	if len(h) != 60 {
		return false
	}
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// ParseGroups reads "group: member member ..." lines (members separated by
// spaces or commas). It returns member -> groups.
func ParseGroups(r io.Reader, filename string) (map[string][]string, error) {
	out := map[string][]string{}
	var errs []error
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		group, members, ok := strings.Cut(line, ":")
		group = strings.TrimSpace(group)
		if !ok || !userNameRE.MatchString(group) {
			errs = append(errs, fmt.Errorf("%s:%d: want \"group: member member ...\" with a group name matching %s", filename, n+1, userNameRE))
			continue
		}
		for _, m := range strings.FieldsFunc(members, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
			out[m] = append(out[m], group)
		}
	}
	return out, errors.Join(errs...)
}
