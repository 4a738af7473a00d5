package oidc_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/regbridge/regbridge/providers/oidc"
	"github.com/regbridge/regbridge/providers/oidc/oidctest"
)

func jsonNumber(s string) json.Number { return json.Number(s) }

// presetEnv is an env for preset, with the fake issuer at the path that
// issuer family uses.
func presetEnv(t *testing.T, preset string) *env {
	t.Helper()
	var opts oidctest.Options
	if preset == oidc.PresetForgejoActions {
		opts.Path = "/api/actions"
	}
	return newEnv(t, opts, func(c *oidc.Config) { c.Preset = preset })
}

func TestPresetsMapClaimsToImmutableSubjectsAndTrustFlags(t *testing.T) {
	cases := []struct {
		name, preset  string
		claims        func(*env) map[string]any
		subject, user string
		untrusted     bool
	}{
		{"GitHub push to main", oidc.PresetGitHubActions, func(e *env) map[string]any { return githubClaims(e, "push", "refs/heads/main") }, ghRepoID, ghRepo, false},
		{"GitHub tag push", oidc.PresetGitHubActions, func(e *env) map[string]any { return githubClaims(e, "push", "refs/tags/v1.2.0") }, ghRepoID, ghRepo, false},
		{"GitHub pull_request", oidc.PresetGitHubActions, githubPullRequest, ghRepoID, ghRepo, true},
		{"GitHub pull_request_target on main", oidc.PresetGitHubActions, githubPullRequestTarget, ghRepoID, ghRepo, true},
		{"GitHub environment job", oidc.PresetGitHubActions, githubEnvironment, ghRepoID, ghRepo, false},
		{"GitHub workflow_run", oidc.PresetGitHubActions, func(e *env) map[string]any { return githubClaims(e, "workflow_run", "refs/heads/main") }, ghRepoID, ghRepo, true},
		{"GitLab protected branch push", oidc.PresetGitLabCI, func(e *env) map[string]any { return gitlabClaims(e, "push", "branch", "main", true) }, glProjectID, "stellaops/api", false},
		{"GitLab tag", oidc.PresetGitLabCI, func(e *env) map[string]any { return gitlabClaims(e, "push", "tag", "v1.0", true) }, glProjectID, "stellaops/api", false},
		{"GitLab same-project merge request", oidc.PresetGitLabCI, func(e *env) map[string]any {
			c := gitlabClaims(e, "merge_request_event", "branch", "feature", false)
			c["source_project_id"] = glProjectID
			return c
		}, glProjectID, "stellaops/api", false},
		{"GitLab fork merge request before 18.2.2", oidc.PresetGitLabCI, gitlabForkMRLegacy, glProjectID, "stellaops/api", true},
		{"GitLab fork merge request after 18.2.2", oidc.PresetGitLabCI, gitlabForkMR, glProjectID, "mallory/api", true},
		{"Kubernetes service account", oidc.PresetKubernetes, func(e *env) map[string]any { return kubernetesClaims(e, "build", "builder", "sa-uid-1") }, "sa-uid-1", "system:serviceaccount:build:builder", false},
		{"Forgejo push", oidc.PresetForgejoActions, func(e *env) map[string]any { return forgejoClaims(e, "push", "refs/heads/main") }, "55", "stellaops/api", false},
		{"Forgejo pull_request_target", oidc.PresetForgejoActions, func(e *env) map[string]any { return forgejoClaims(e, "pull_request_target", "refs/heads/main") }, "55", "stellaops/api", true},
		{"Buildkite branch build", oidc.PresetBuildkite, func(e *env) map[string]any { return buildkiteClaims(e, "main") }, "a4b3a9a4-31a2-4d53-9d55-1e0e27b7b0a2", "api", false},
		{"Buildkite fork branch build", oidc.PresetBuildkite, func(e *env) map[string]any { return buildkiteClaims(e, "mallory:main") }, "a4b3a9a4-31a2-4d53-9d55-1e0e27b7b0a2", "api", true},
		{"CircleCI pipeline", oidc.PresetCircleCI, func(e *env) map[string]any { return circleciClaims(e, false) }, "p-uuid", "p-uuid", false},
		{"CircleCI SSH rerun", oidc.PresetCircleCI, func(e *env) map[string]any { return circleciClaims(e, true) }, "p-uuid", "p-uuid", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := presetEnv(t, tc.preset)
			id := e.mustAccept(t, e.is.Mint(tc.claims(e)))
			if id.Subject != tc.subject || id.Username != tc.user {
				t.Errorf("subject, username = %q, %q; want %q, %q", id.Subject, id.Username, tc.subject, tc.user)
			}
			if got := id.Claims[oidc.ClaimUntrustedTrigger]; got != tc.untrusted {
				t.Errorf("%s = %v, want %v", oidc.ClaimUntrustedTrigger, got, tc.untrusted)
			}
			if id.Expiry.IsZero() {
				t.Errorf("expiry not set")
			}
		})
	}
}

func TestPresetMissingEventIsUntrustedAndMissingRequiredClaimIsRefused(t *testing.T) {
	e := presetEnv(t, oidc.PresetGitHubActions)
	c := githubClaims(e, "push", "refs/heads/main")
	delete(c, "repository_owner_id")
	e.mustRefuse(t, e.is.Mint(c))

	g := presetEnv(t, oidc.PresetGitLabCI)
	c = gitlabClaims(g, "push", "branch", "main", true)
	c["job_project_id"] = "999" // the job runs somewhere else
	if id := g.mustAccept(t, g.is.Mint(c)); id.Claims[oidc.ClaimUntrustedTrigger] != true {
		t.Errorf("job_project_id != project_id: untrusted = %v, want true", id.Claims[oidc.ClaimUntrustedTrigger])
	}
}

func TestTokenCannotSetReservedNormalizedClaims(t *testing.T) {
	e := presetEnv(t, oidc.PresetGitHubActions)
	c := githubPullRequestTarget(e)
	c[oidc.ClaimUntrustedTrigger] = false
	c["regbridge:other"] = "x"
	id := e.mustAccept(t, e.is.Mint(c))
	if id.Claims[oidc.ClaimUntrustedTrigger] != true {
		t.Errorf("token overrode %s", oidc.ClaimUntrustedTrigger)
	}
	if _, ok := id.Claims["regbridge:other"]; ok {
		t.Errorf("reserved claim from the token kept")
	}
}

func TestKubernetesClaimsAreFlattenedForThePolicy(t *testing.T) {
	e := presetEnv(t, oidc.PresetKubernetes)
	id := e.mustAccept(t, e.is.Mint(kubernetesClaims(e, "build", "builder", "sa-uid-1")))
	for k, want := range map[string]string{
		oidc.ClaimK8sNamespace: "build", oidc.ClaimK8sServiceAccount: "builder",
		oidc.ClaimK8sServiceAccountUID: "sa-uid-1", oidc.ClaimK8sPod: "builder-7d9f", oidc.ClaimK8sPodUID: "pod-sa-uid-1",
	} {
		if got := id.Claims[k]; got != want {
			t.Errorf("claim %s = %v, want %s", k, got, want)
		}
	}
}

func TestPolicyFactsPerPreset(t *testing.T) {
	cases := []struct {
		preset, issuer string
		shared, ci     bool
		immutable      string
	}{
		{oidc.PresetGitHubActions, "", true, true, "repository_owner_id"},
		{oidc.PresetGitLabCI, "https://gitlab.com", true, true, "namespace_id"},
		{oidc.PresetGitLabCI, "https://gitlab.example.com", false, true, "namespace_id"},
		{oidc.PresetForgejoActions, "https://codeberg.org/api/actions", true, true, "repository_owner_id"},
		{oidc.PresetBuildkite, "", true, true, "organization_id"},
		{oidc.PresetCircleCI, "https://oidc.circleci.com/org/o-uuid", false, true, "oidc.circleci.com/project-id"},
		{oidc.PresetKubernetes, "https://kubernetes.default.svc", false, false, oidc.ClaimK8sServiceAccountUID},
	}
	for _, tc := range cases {
		t.Run(tc.preset+" "+tc.issuer, func(t *testing.T) {
			p, err := oidc.New("x", oidc.Config{Preset: tc.preset, Issuer: tc.issuer, Audiences: []string{aud}}, noDeps())
			if err != nil {
				t.Fatal(err)
			}
			f := p.PolicyFacts()
			if f.Type != "oidc" || f.Preset != tc.preset || f.SharedIssuer != tc.shared || f.CI != tc.ci {
				t.Errorf("facts = %+v", f)
			}
			if !slices.Contains(f.ImmutableClaims, tc.immutable) {
				t.Errorf("ImmutableClaims = %q, want %q among them", f.ImmutableClaims, tc.immutable)
			}
			if tc.ci && !slices.Contains(f.TriggerClaims, oidc.ClaimUntrustedTrigger) {
				t.Errorf("TriggerClaims = %q lacks %s", f.TriggerClaims, oidc.ClaimUntrustedTrigger)
			}
			if !slices.Contains(f.Claims, oidc.ClaimUntrustedTrigger) || !slices.Contains(f.Claims, tc.immutable) {
				t.Errorf("Claims = %q lack the normalized or immutable claims", f.Claims)
			}
			if r := p.Route(); len(r.Issuers) != 1 || r.Issuers[0] != p.Issuer() {
				t.Errorf("Route().Issuers = %q", r.Issuers)
			}
		})
	}
	p, err := oidc.New("x", oidc.Config{Issuer: "https://sso.example.com/realms/ci", Audiences: []string{aud}}, noDeps())
	if err != nil {
		t.Fatal(err)
	}
	if f := p.PolicyFacts(); f.Claims != nil || f.CI || f.SharedIssuer {
		t.Errorf("generic facts = %+v, want any claims, not CI, not shared", f)
	}
}
