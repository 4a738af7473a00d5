package acl

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/regbridge/regbridge/providers"
)

// Options tells the loader about the deployment, for lints and validation.
// A nil Providers map skips the checks that need provider facts (unknown
// provider ids, claims, shared and CI issuers); a nil Services slice skips
// the service-name check. `regbridge check` with a full config sets both.
type Options struct {
	// Providers maps each configured provider id to what its identities
	// can carry.
	Providers map[string]providers.PolicyFacts
	// Services are the configured service names; a rule naming another
	// service is an error.
	Services []string
}

// maxPolicyBytes caps the size of a policy file.
const maxPolicyBytes = 16 << 20

// Policy is a loaded, validated and tested policy. It is immutable and safe
// for concurrent use.
type Policy struct {
	source string
	rules  []*rule
	tests  []*inlineTest
	index  *index
	// defaultService is the service inline tests use when they name none.
	defaultService string
	// hasForge is true when an item mirrors forge permissions.
	hasForge bool
}

// Action bits.
const (
	bitPull uint8 = 1 << iota
	bitPush
	bitDelete
	bitStar
	bitAll = bitPull | bitPush | bitDelete | bitStar
)

// actionBit is the bit of one action ("*" is every bit); false for an
// action the registry does not know.
func actionBit(a string) (uint8, bool) {
	switch a {
	case ActionPull:
		return bitPull, true
	case ActionPush:
		return bitPush, true
	case ActionDelete:
		return bitDelete, true
	case ActionAll:
		return bitAll, true
	}
	return 0, false
}

// rule is one compiled policy rule.
type rule struct {
	id        string
	line      int
	deny      bool
	anyone    bool
	authed    bool
	providers []string
	services  []string // nil: every service
	when      *cond    // nil: no conditions
	entries   []*entry
	forbidden bool
	reason    string
	ttl       time.Duration
	allowLint []string
}

// entry is one grant (or deny) item of a rule.
type entry struct {
	rule    *rule
	line    int
	catalog bool
	repo    *pattern
	actions uint8
	// forge, when set, intersects actions with the forge's permission on
	// the forge repository the mode names.
	forge forgeMode
}

// Load reads and validates a policy file, runs its lints and inline tests.
// The error lists every problem (type *LoadError) with file:line and a fix.
func Load(path string, opts Options) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("acl: load: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPolicyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("acl: load: %w", err)
	}
	if len(data) > maxPolicyBytes {
		return nil, &LoadError{Problems: []Problem{{File: path, Line: 0, Code: "too-large",
			Message: fmt.Sprintf("policy file is larger than %d bytes", maxPolicyBytes), Fix: "split the policy or remove unused rules"}}}
	}
	return Parse(data, path, opts)
}

// Parse validates a policy held in memory. filename is used in problems and
// returned by Source.
func Parse(data []byte, filename string, opts Options) (*Policy, error) {
	ps := &problems{file: filename}
	p := parseFile(data, ps, opts)
	if err := ps.err(); err != nil {
		return nil, err
	}
	p.source = filename
	if len(opts.Services) > 0 {
		p.defaultService = opts.Services[0]
	}
	p.index = buildIndex(p.rules)
	for _, r := range p.rules {
		for _, e := range r.entries {
			p.hasForge = p.hasForge || e.forge != forgeOff
		}
	}
	for _, f := range p.RunTests() {
		ps.add(f.Line, "test-failed", "fix the rules or the test's expectation", "inline test %q: %s", f.Name, f.Message)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// quickStartPolicy is the built-in policy of the no-config quick-start.
const quickStartPolicy = `version: 1
rules:
  - id: quickstart-anonymous-pull
    description: anyone may pull every repository
    who: anyone
    grant:
      - {repository: "**", actions: [pull]}
tests:
  - name: anyone may pull
    request: ["repository:library/alpine:pull"]
    expect: ["repository:library/alpine:pull"]
  - name: nobody may push
    request: ["repository:library/alpine:pull,push"]
    expect: ["repository:library/alpine:pull"]
`

// QuickStart is the built-in policy of the no-config quick-start: anyone may
// pull every repository, nobody may push or delete.
func QuickStart() *Policy {
	p, err := Parse([]byte(quickStartPolicy), "", Options{})
	if err != nil {
		panic("acl: built-in quick-start policy does not load: " + err.Error())
	}
	return p
}

// Source returns the file name the policy was loaded from ("" for
// QuickStart).
func (p *Policy) Source() string { return p.source }

// RuleCount returns the number of rules.
func (p *Policy) RuleCount() int { return len(p.rules) }

// TestCount returns the number of inline tests.
func (p *Policy) TestCount() int { return len(p.tests) }
