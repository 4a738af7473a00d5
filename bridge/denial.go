package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
)

// notGranted is what req asked for and dec did not grant: per requested
// scope, the actions left out.
func notGranted(req, granted []acl.Scope) []acl.Scope {
	if allGranted(req, granted) {
		return nil
	}
	var out []acl.Scope
	for _, r := range req {
		var have []string
		for _, g := range granted {
			if g.Type == r.Type && g.Name == r.Name {
				have = append(have, g.Actions...)
			}
		}
		var missing []string
		for _, a := range r.Actions {
			if !slices.Contains(have, a) {
				missing = append(missing, a)
			}
		}
		if len(missing) > 0 {
			out = append(out, acl.Scope{Type: r.Type, Name: r.Name, Actions: missing})
		}
	}
	return out
}

// allGranted reports whether granted holds every action of req, without
// allocating: the answer on almost every request.
func allGranted(req, granted []acl.Scope) bool {
	for _, r := range req {
		for _, a := range r.Actions {
			found := false
			for _, g := range granted {
				if g.Type == r.Type && g.Name == r.Name && slices.Contains(g.Actions, a) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// denialReasons says, per scope of missing, why the policy left it out:
// the rules whose items name the resource but whose conditions failed,
// the deny rules that removed it, or that no rule names it. It is for the
// operator log only: it quotes rule ids and conditions.
func denialReasons(pol *acl.Policy, id providers.Identity, service string, missing []acl.Scope) []string {
	ex := pol.Explain(id, service, missing)
	out := make([]string, 0, len(ex.Scopes))
	for _, se := range ex.Scopes {
		var why []string
		for _, re := range se.Rules {
			switch {
			case !re.Matched:
			case re.Effect == "deny" && re.Applies:
				why = append(why, fmt.Sprintf("denied by rule %s (line %d)", re.Rule, re.Line))
			case !re.Applies:
				why = append(why, fmt.Sprintf("rule %s (line %d): %s", re.Rule, re.Line, strings.Join(re.Failed, "; ")))
			default:
				why = append(why, fmt.Sprintf("rule %s (line %d) grants only %s", re.Rule, re.Line, strings.Join(re.Actions, ",")))
			}
		}
		if se.Note != "" {
			why = append(why, se.Note)
		}
		if len(why) == 0 {
			why = append(why, "no rule's items name it")
		}
		out = append(out, se.Requested+": "+strings.Join(why, " | "))
	}
	return out
}

// logNotGranted writes one info line for a token request that did not get
// everything it asked for, naming the rules and failed conditions under the
// request id the client saw, so an operator can answer "why was I denied?".
// Nothing is logged when everything was granted.
func (s *Server) logNotGranted(ctx context.Context, st *State, id providers.Identity, service string, req []acl.Scope, dec acl.Decision, ev *Event) {
	missing := notGranted(req, dec.Granted)
	if len(missing) == 0 && len(dec.Dropped) == 0 {
		return
	}
	who := "anonymous"
	if !id.Anonymous {
		who = id.Provider + ":" + id.Subject
	}
	attrs := []any{"request_id", ev.RequestID, "service", service, "identity", who,
		"not_granted", scopeStrings(missing)}
	if len(missing) > 0 {
		attrs = append(attrs, "why", denialReasons(st.policy, id, service, missing))
	}
	if len(dec.Dropped) > 0 {
		attrs = append(attrs, "dropped", dec.Dropped)
	}
	s.log.Log(ctx, slog.LevelInfo, "scope not granted", attrs...)
}
