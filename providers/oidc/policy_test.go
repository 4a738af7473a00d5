package oidc_test

// Claim fixtures of every preset, signed at test time by a fake issuer,
// verified by the provider and decided through a policy (package acl) with
// the provider's own PolicyFacts, so the policy lints run too.

import (
	"slices"
	"testing"

	"github.com/regbridge/regbridge/acl"
	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/oidc"
)

// githubPolicy is the policy docs/oidc.md ships for GitHub Actions.
const githubPolicy = `
version: 1
rules:
  - id: github-release
    who: [github]
    when:
      claims:
        repository_owner_id: "1234567"
        event_name: {in: [push, workflow_dispatch]}
        "regbridge:untrusted_trigger": false
        ref: {glob: "refs/tags/v*"}
    grant:
      - {repository: "ci/${claims.repository|path|lower}", actions: [pull, push]}
  - id: github-main
    who: [github]
    when:
      claims:
        repository_owner_id: "1234567"
        event_name: push
        "regbridge:untrusted_trigger": false
        ref: refs/heads/main
        environment: {exists: false}
    grant:
      - {repository: "ci/${claims.repository|path|lower}", actions: [pull, push]}
  - id: github-deploy
    who: [github]
    when:
      claims:
        repository_owner_id: "1234567"
        repository_id: "987654"
        event_name: push
        "regbridge:untrusted_trigger": false
        environment: prod
        ref: refs/heads/main
    grant:
      - {repository: "deploy/api", actions: [pull, push]}
  - id: github-read
    who: [github]
    when:
      claims: {repository_owner_id: "1234567"}
    grant:
      - {repository: "ci/stellaops/**", actions: [pull]}
  - id: no-push-from-self-hosted
    effect: deny
    who: [github]
    when:
      claims: {runner_environment: self-hosted}
    deny:
      - {repository: "**", actions: [push, delete]}
`

// gitlabPolicy is the policy docs/oidc.md ships for GitLab CI.
const gitlabPolicy = `
version: 1
rules:
  - id: gitlab-protected
    who: [gitlab]
    when:
      claims:
        namespace_id: "72"
        job_project_id: "20"
        pipeline_source: {in: [push, web, schedule]}
        "regbridge:untrusted_trigger": false
        ref_protected: "true"
        ref_path: {in: [refs/heads/main, refs/tags/v1.0]}
    grant:
      - {repository: "ci/${claims.project_path|path|lower}", actions: [pull, push]}
  - id: gitlab-read
    who: [gitlab]
    when:
      claims: {namespace_id: "72"}
    grant:
      - {repository: "ci/stellaops/**", actions: [pull]}
`

const kubernetesPolicy = `
version: 1
rules:
  - id: builder
    who: [cluster]
    when:
      claims:
        "kubernetes.io/namespace": build
        "kubernetes.io/serviceaccount/uid": sa-uid-1
    grant:
      - {repository: "k8s/build/**", actions: [pull, push]}
`

const othersPolicy = `
version: 1
rules:
  - id: buildkite-main
    who: [buildkite]
    when:
      claims:
        organization_id: 0b6f3c3e-1b1a-4a39-9f38-51ab3a1f8f51
        build_source: {in: [webhook, ui]}
        "regbridge:untrusted_trigger": false
        build_branch: main
    grant:
      - {repository: "bk/${claims.pipeline_slug}", actions: [pull, push]}
  - id: circleci-main
    who: [circleci]
    when:
      claims:
        "oidc.circleci.com/project-id": p-uuid
        "oidc.circleci.com/vcs-origin": github.com/stellaops/api
        "oidc.circleci.com/vcs-ref": refs/heads/main
        "regbridge:untrusted_trigger": false
    grant:
      - {repository: "circle/api", actions: [pull, push]}
  - id: forgejo-main
    who: [forgejo]
    when:
      claims:
        repository_owner_id: "5"
        event_name: push
        "regbridge:untrusted_trigger": false
        ref: refs/heads/main
    grant:
      - {repository: "fj/${claims.repository|path|lower}", actions: [pull, push]}
`

// decideCase is a token and the grants the policy must give it.
type decideCase struct {
	name   string
	claims func(*env) map[string]any
	mutate func(map[string]any)
	ask    []string
	want   []string
}

func runPolicy(t *testing.T, providerID, preset, policy string, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := presetEnv(t, preset)
			facts := map[string]providers.PolicyFacts{providerID: e.p.PolicyFacts()}
			for _, other := range []string{"github", "gitlab", "cluster", "buildkite", "circleci", "forgejo"} {
				if other != providerID {
					facts[other] = providers.PolicyFacts{Type: "oidc"}
				}
			}
			pol, err := acl.Parse([]byte(policy), preset+".yaml", acl.Options{Providers: facts, Services: []string{aud}})
			if err != nil {
				t.Fatalf("policy: %v", err)
			}
			c := tc.claims(e)
			if tc.mutate != nil {
				tc.mutate(c)
			}
			id := e.mustAccept(t, e.is.Mint(c))
			id.Provider = providerID
			ask, err := acl.ParseScopes(tc.ask)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range pol.Decide(id, aud, ask).Granted {
				got = append(got, s.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("granted %q, want %q", got, tc.want)
			}
		})
	}
}

func push(e *env) map[string]any { return githubClaims(e, "push", "refs/heads/main") }

func TestPolicyGitHubActionsFixtures(t *testing.T) {
	own := []string{"repository:ci/stellaops/api:pull,push"}
	pullOnly := []string{"repository:ci/stellaops/api:pull"}
	runPolicy(t, "github", oidc.PresetGitHubActions, githubPolicy, []decideCase{
		{"push to main may push its own repository", push, nil, own, own},
		{"tag push may push its own repository", func(e *env) map[string]any { return githubClaims(e, "push", "refs/tags/v1.2.0") }, nil, own, own},
		{"pull_request only pulls", githubPullRequest, nil, own, pullOnly},
		{"pull_request_target with ref main only pulls", githubPullRequestTarget, nil, own, pullOnly},
		{"pull_request_target on a tag ref only pulls", func(e *env) map[string]any { return githubClaims(e, "pull_request_target", "refs/tags/v1.2.0") }, nil, own, pullOnly},
		{"environment job does not push through the branch rule", githubEnvironment, nil, own, pullOnly},
		{"environment job pushes its deployment repository", githubEnvironment, nil, []string{"repository:deploy/api:push"}, []string{"repository:deploy/api:push"}},
		{"another owner with the same names gets nothing", push, func(c map[string]any) { c["repository_owner_id"] = "999" }, own, nil},
		{"immutable sub of another owner gets nothing", push, func(c map[string]any) {
			c["repository_owner_id"], c["sub"] = "999", "repo:stellaops@999/api@1:ref:refs/heads/main"
		}, own, nil},
		{"owner id as a JSON number is canonicalized", push, func(c map[string]any) { c["repository_owner_id"] = jsonNumber("1234567") }, own, own},
		{"owner id with a leading zero is another owner", push, func(c map[string]any) { c["repository_owner_id"] = "01234567" }, own, nil},
		{"self-hosted runner never pushes", push, func(c map[string]any) { c["runner_environment"] = "self-hosted" }, own, pullOnly},
		{"a branch build other than main only pulls", func(e *env) map[string]any { return githubClaims(e, "push", "refs/heads/main-evil") }, nil, own, pullOnly},
		{"a dot-dot repository name is dropped, not widened", push, func(c map[string]any) { c["repository"] = "stellaops/../admin" }, []string{"repository:ci/admin:push"}, nil},
		{"another repository of the owner is not pushed", push, nil, []string{"repository:ci/stellaops/other:push,pull"}, []string{"repository:ci/stellaops/other:pull"}},
	})
}

func TestPolicyGitLabCIFixtures(t *testing.T) {
	own := []string{"repository:ci/stellaops/api:pull,push"}
	pullOnly := []string{"repository:ci/stellaops/api:pull"}
	branch := func(e *env) map[string]any { return gitlabClaims(e, "push", "branch", "main", true) }
	runPolicy(t, "gitlab", oidc.PresetGitLabCI, gitlabPolicy, []decideCase{
		{"protected branch push may push", branch, nil, own, own},
		{"protected tag may push", func(e *env) map[string]any { return gitlabClaims(e, "push", "tag", "v1.0", true) }, nil, own, own},
		{"a branch named like the tag does not match the tag rule", func(e *env) map[string]any { return gitlabClaims(e, "push", "branch", "v1.0", true) }, nil, own, pullOnly},
		{"unprotected branch only pulls", func(e *env) map[string]any { return gitlabClaims(e, "push", "branch", "main", false) }, nil, own, pullOnly},
		{"fork merge request before 18.2.2 only pulls", gitlabForkMRLegacy, nil, own, pullOnly},
		{"fork merge request after 18.2.2 gets nothing", gitlabForkMR, nil, own, nil},
		{"job in another project does not push", branch, func(c map[string]any) { c["job_project_id"] = "999" }, own, pullOnly},
		{"another namespace with the same path gets nothing", branch, func(c map[string]any) { c["namespace_id"] = "999" }, own, nil},
		{"ref_protected as TRUE is not true", branch, func(c map[string]any) { c["ref_protected"] = "TRUE" }, own, pullOnly},
		{"ref_protected as an array is not true", branch, func(c map[string]any) { c["ref_protected"] = []any{"true"} }, own, pullOnly},
	})
}

func TestPolicyGitLabMissingGroupsSatisfyDenyRules(t *testing.T) {
	const policy = gitlabPolicy + `
  - id: no-contractors
    effect: deny
    who: [gitlab]
    when:
      claims: {groups_direct: {any_of: [contractors]}}
    deny:
      - {repository: "**", actions: [push, delete]}
`
	own := []string{"repository:ci/stellaops/api:pull,push"}
	branch := func(e *env) map[string]any { return gitlabClaims(e, "push", "branch", "main", true) }
	runPolicy(t, "gitlab", oidc.PresetGitLabCI, policy, []decideCase{
		{"groups_direct listing other groups pushes", branch, func(c map[string]any) { c["groups_direct"] = []any{"stellaops"} }, own, own},
		{"groups_direct listing contractors only pulls", branch, func(c map[string]any) { c["groups_direct"] = []any{"contractors"} }, own, []string{"repository:ci/stellaops/api:pull"}},
		{"groups_direct omitted (over 200 groups) only pulls", branch, nil, own, []string{"repository:ci/stellaops/api:pull"}},
	})
}

func TestPolicyKubernetesServiceAccountFixtures(t *testing.T) {
	want := []string{"repository:k8s/build/app:pull,push"}
	runPolicy(t, "cluster", oidc.PresetKubernetes, kubernetesPolicy, []decideCase{
		{"the pinned service account may push", func(e *env) map[string]any { return kubernetesClaims(e, "build", "builder", "sa-uid-1") }, nil, want, want},
		{"a recreated service account with the same name gets nothing", func(e *env) map[string]any { return kubernetesClaims(e, "build", "builder", "sa-uid-2") }, nil, want, nil},
		{"another namespace gets nothing", func(e *env) map[string]any { return kubernetesClaims(e, "default", "builder", "sa-uid-1") }, nil, want, nil},
	})
}

func TestPolicyBuildkiteCircleCIForgejoFixtures(t *testing.T) {
	bk := []string{"repository:bk/api:pull,push"}
	runPolicy(t, "buildkite", oidc.PresetBuildkite, othersPolicy, []decideCase{
		{"Buildkite main build may push", func(e *env) map[string]any { return buildkiteClaims(e, "main") }, nil, bk, bk},
		{"Buildkite org with the same slug gets nothing", func(e *env) map[string]any { return buildkiteClaims(e, "main") }, func(c map[string]any) {
			c["organization_id"] = "ffffffff-1b1a-4a39-9f38-51ab3a1f8f51"
		}, bk, nil},
		{"Buildkite fork branch gets nothing", func(e *env) map[string]any { return buildkiteClaims(e, "mallory:main") }, nil, bk, nil},
	})
	cc := []string{"repository:circle/api:pull,push"}
	runPolicy(t, "circleci", oidc.PresetCircleCI, othersPolicy, []decideCase{
		{"CircleCI main pipeline may push", func(e *env) map[string]any { return circleciClaims(e, false) }, nil, cc, cc},
		{"CircleCI SSH rerun gets nothing", func(e *env) map[string]any { return circleciClaims(e, true) }, nil, cc, nil},
		{"CircleCI project building another origin gets nothing", func(e *env) map[string]any { return circleciClaims(e, false) }, func(c map[string]any) {
			c["oidc.circleci.com/vcs-origin"] = "github.com/attacker/repo"
			c["oidc.circleci.com/vcs-ref"] = "x/vcs-origin/github.com/stellaops/api/vcs-ref/refs/heads/main"
		}, cc, nil},
	})
	fj := []string{"repository:fj/stellaops/api:pull,push"}
	runPolicy(t, "forgejo", oidc.PresetForgejoActions, othersPolicy, []decideCase{
		{"Forgejo push to main may push", func(e *env) map[string]any { return forgejoClaims(e, "push", "refs/heads/main") }, nil, fj, fj},
		{"Forgejo pull_request_target on main gets nothing", func(e *env) map[string]any { return forgejoClaims(e, "pull_request_target", "refs/heads/main") }, nil, fj, nil},
	})
}
