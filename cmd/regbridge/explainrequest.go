package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/bridge"
	"github.com/regbridge/regbridge/providers"
)

// maxAuditLine bounds one audit line read back; records are far smaller,
// and a longer line (a fragment glued to garbage) is skipped, not fatal.
const maxAuditLine = 1 << 20

// requestExplanation is what `explain --request-id` prints: the decision
// the audit log recorded, and the same scopes decided again for the same
// identity under the policy in force now, when that identity can be built
// offline.
type requestExplanation struct {
	Recorded bridge.AuditLine `json:"recorded"`
	// Now is nil when the identity cannot be rebuilt; NotDecided says why.
	Now        *acl.Explanation `json:"now,omitempty"`
	NotDecided string           `json:"not_decided_again,omitempty"`
}

// runExplainRequest answers `explain --request-id ID`: the id a refused
// client sees in its error message names one audit record.
func runExplainRequest(c *cli.Context) error {
	id := c.String("request-id")
	if !validRequestID(id) {
		return fmt.Errorf("--request-id %q: a request id is the 16 hex digits a refused client's error message shows as (request id …)", id)
	}
	if c.Args().Len() > 0 {
		return errors.New("--request-id: the scopes come from the audit record; name no SCOPE")
	}
	for _, f := range []string{"provider", "subject", "username", "repository", "service"} {
		if c.IsSet(f) {
			return fmt.Errorf("--%s: with --request-id the identity and service come from the audit record", f)
		}
	}
	pol, b, err := loadForOffline(c)
	if err != nil {
		return err
	}
	path, err := auditPath(c, b)
	if err != nil {
		return err
	}
	rec, n, err := findAuditRecord(path, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("request id %s is not in %s (%d records read); for an older request name the rotated file with --audit", id, path, n)
	}
	out := requestExplanation{Recorded: *rec}
	if ident, why, err := recordedIdentity(c, b, rec); err != nil {
		return err
	} else if why != "" {
		out.NotDecided = why
	} else {
		ex := pol.Explain(ident, rec.Service, recordedScopes(rec))
		out.Now = &ex
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprint(c.App.Writer, out.String())
	return nil
}

// validRequestID accepts what bridge mints (16 lowercase hex digits) and
// nothing that could be mistaken for a pattern.
func validRequestID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, r := range id {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// auditPath is --audit, or the configured audit file.
func auditPath(c *cli.Context, b *built) (string, error) {
	if p := c.String("audit"); p != "" {
		return p, nil
	}
	if b == nil {
		return "", errors.New("--request-id: give --config (whose observability.audit is a file) or --audit FILE")
	}
	switch p := b.cfg.Observe.Audit; p {
	case "":
		return "", errors.New("--request-id: the configuration writes no audit log (observability.audit); name one with --audit FILE")
	case "stdout", "stderr":
		return "", fmt.Errorf("--request-id: the audit log goes to %s; save it to a file and name it with --audit FILE", p)
	default:
		return p, nil
	}
}

// findAuditRecord reads the audit file at path (gzip-compressed when its
// name ends in .gz, as logrotate's compress leaves it) for the record of
// request id. It returns nil and the number of records read when none has
// it. Lines that are not records (a fragment after a full disk) are skipped.
func findAuditRecord(path, id string) (*bridge.AuditLine, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, 0, fmt.Errorf("audit log %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	return scanAudit(r, id)
}

// scanAudit is findAuditRecord's reading loop over one stream.
func scanAudit(r io.Reader, id string) (*bridge.AuditLine, int, error) {
	needle := []byte(`"request_id":"` + id + `"`)
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for {
		line, err := readAuditLine(br)
		if len(line) > 0 {
			n++
			if bytes.Contains(line, needle) {
				var rec bridge.AuditLine
				if json.Unmarshal(line, &rec) == nil && rec.RequestID == id {
					return &rec, n, nil
				}
			}
		}
		if err == io.EOF {
			return nil, n, nil
		}
		if err != nil {
			return nil, n, fmt.Errorf("audit log: %w", err)
		}
	}
}

// readAuditLine returns the next line without its newline; a line longer
// than maxAuditLine comes back empty (skipped).
func readAuditLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= maxAuditLine {
			line = append(line, chunk...)
		} else {
			line = line[:0:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), err
	}
}

// recordedIdentity is the identity of rec as a decision sees it, when it
// can be built offline: anonymous, or an account of a provider holding its
// accounts (static). For a token provider the audit log keeps the subject
// only, so --groups, --grants and --claims supply the rest; without them
// why says what is missing.
func recordedIdentity(c *cli.Context, b *built, rec *bridge.AuditLine) (id providers.Identity, why string, err error) {
	if rec.Anonymous {
		return providers.Identity{Anonymous: true}, "", nil
	}
	if rec.Provider == "" || rec.Subject == "" {
		return id, "the request was refused before it had an identity (reason " + rec.Reason + ")", nil
	}
	if b != nil {
		for _, r := range b.providers {
			if r.ID != rec.Provider {
				continue
			}
			if ad, ok := r.Provider.(providers.AccountDescriber); ok {
				name := strings.TrimPrefix(rec.Subject, "robot:")
				acct, ok := ad.AccountIdentity(name)
				if !ok {
					return id, fmt.Sprintf("provider %q has no account %q any more", rec.Provider, name), nil
				}
				acct.Provider = rec.Provider
				return acct, "", nil
			}
		}
	}
	if !c.IsSet("groups") && !c.IsSet("grants") && !c.IsSet("claims") {
		return id, fmt.Sprintf("the audit log keeps the subject of provider %q, not its groups or claims; give them with --groups, --grants or --claims to decide again", rec.Provider), nil
	}
	id = providers.Identity{Provider: rec.Provider, Subject: rec.Subject,
		Groups: splitList(c.StringSlice("groups")), Grants: c.StringSlice("grants")}
	id.Claims, err = claimsFlag(c)
	return id, "", err
}

// recordedScopes parses the record's requested scopes; they were written
// by the server in canonical form, so one that does not parse is skipped.
func recordedScopes(rec *bridge.AuditLine) []acl.Scope {
	var out []acl.Scope
	for _, s := range rec.Requested {
		if sc, err := acl.ParseScopes([]string{s}); err == nil {
			out = append(out, sc...)
		}
	}
	return out
}

// String is the text form: the recorded decision, then today's.
func (e requestExplanation) String() string {
	var sb strings.Builder
	r := e.Recorded
	who := "anonymous"
	if !r.Anonymous {
		who = r.Provider + ":" + r.Subject
		if r.Provider == "" {
			who = "no identity"
		}
	}
	fmt.Fprintf(&sb, "request %s at %s (%s, service %q, from %s)\n", r.RequestID, r.Time, r.Endpoint, r.Service, r.ClientAddr)
	fmt.Fprintf(&sb, "  identity:  %s\n", who)
	fmt.Fprintf(&sb, "  requested: %s\n", listOrNone(r.Requested))
	fmt.Fprintf(&sb, "  granted:   %s\n", listOrNone(r.Granted))
	fmt.Fprintf(&sb, "  rules:     %s\n", listOrNone(r.Rules))
	if len(r.Dropped) > 0 {
		fmt.Fprintf(&sb, "  dropped:   %s\n", strings.Join(r.Dropped, "; "))
	}
	outcome := fmt.Sprintf("%s (%d)", r.Outcome, r.Status)
	if r.Reason != "" {
		outcome += ", reason " + r.Reason
	}
	fmt.Fprintf(&sb, "  outcome:   %s\n", outcome)
	if e.Now == nil {
		fmt.Fprintf(&sb, "\nNot decided again: %s.\n", e.NotDecided)
		return sb.String()
	}
	sb.WriteString("\nThe same request under the policy in force now:\n")
	sb.WriteString(e.Now.String())
	return sb.String()
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, " ")
}
