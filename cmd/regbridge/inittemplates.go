package main

import (
	"fmt"
	"sort"
	"strings"
)

// initSettings are the answers `regbridge init` writes its files from.
type initSettings struct {
	Provider  string // one of initProviders
	Service   string // the registry's auth.token.service
	PublicURL string // the realm's base URL
	Listen    string
	User      string // the one static account
	BaseURL   string // forge web URL (gitea, github, gitlab) or OIDC issuer (oidc-gitlab-ci)
	OwnerID   string // immutable id the CI rule pins (oidc-github-actions, oidc-gitlab-ci)
}

// initProvider is what one --provider choice adds to the static accounts
// every init writes: a providers entry, policy rules and inline tests.
type initProvider struct {
	about       string // one line for --help and errors
	baseURL     string // default --base-url ("" with needsBase: required)
	needsBase   bool
	needsOwner  string // what --owner-id is, when required
	entry       func(s initSettings) string
	rules       func(s initSettings) string
	tests       func(s initSettings) string
	docsPointer string
}

// initProviders are the choices of `regbridge init --provider`.
var initProviders = map[string]initProvider{
	"static": {
		about:       "local users and robots only (htpasswd files)",
		docsPointer: "docs/static.md",
	},
	"gitea": {
		about:     "Gitea or Forgejo accounts; registry access follows repository permissions",
		needsBase: true,
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # Gitea or Forgejo accounts: docker login -u LOGIN -p FORGE_TOKEN. The token
  # needs read:user, read:organization, read:repository and write:package.
  - {id: gitea, type: gitea, base_url: %q}
`, s.BaseURL)
		},
		rules:       forgeRules("gitea", "owner-repo"),
		tests:       forgeTests("gitea"),
		docsPointer: "docs/forges.md",
	},
	"github": {
		about:   "GitHub accounts; registry access follows repository permissions",
		baseURL: "https://github.com",
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # GitHub accounts: docker login -u LOGIN -p GITHUB_TOKEN (a classic token
  # with read:org and write:packages). GitHub Enterprise: its web URL.
  - {id: github, type: github, base_url: %q}
`, s.BaseURL)
		},
		rules:       forgeRules("github", "owner-repo"),
		tests:       forgeTests("github"),
		docsPointer: "docs/forges.md",
	},
	"gitlab": {
		about:   "GitLab accounts; registry access follows project permissions",
		baseURL: "https://gitlab.com",
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # GitLab accounts: docker login -u LOGIN -p GITLAB_TOKEN (read_api and
  # read_registry or write_registry).
  - {id: gitlab, type: gitlab, base_url: %q}
`, s.BaseURL)
		},
		rules:       forgeRules("gitlab", "same-path"),
		tests:       forgeTests("gitlab"),
		docsPointer: "docs/forges.md",
	},
	"oidc-github-actions": {
		about:      "GitHub Actions jobs with their OIDC ID token",
		needsOwner: "the numeric id of the GitHub organisation or user whose workflows push (gh api orgs/ORG --jq .id)",
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # GitHub Actions jobs: docker login -u github -p "$ID_TOKEN", the job's ID
  # token requested with audience=%s (README: GitHub Actions).
  - {id: github, type: oidc, preset: github-actions, audiences: [%s]}
`, s.Service, s.Service)
		},
		rules: func(s initSettings) string {
			return fmt.Sprintf(`  # Tag builds of the organisation's workflows push ci/OWNER/REPO. The owner is
  # pinned by its immutable numeric id; a fork's pull_request_target is an
  # untrusted trigger and never pushes.
  - id: github-actions-release
    who: [github]
    when:
      claims:
        repository_owner_id: %q
        event_name: {in: [push, workflow_dispatch]}
        "regbridge:untrusted_trigger": false
        ref: {glob: "refs/tags/v*"}
    grant:
      - {repository: "ci/${claims.repository|path|lower}", actions: [pull, push]}
`, s.OwnerID)
		},
		tests: func(s initSettings) string {
			return fmt.Sprintf(`  - name: a tag build of the organisation pushes its own repository
    identity: {provider: github, claims: {repository: acme/app, repository_owner_id: %[1]q, event_name: push, "regbridge:untrusted_trigger": false, ref: refs/tags/v1.0.0}}
    request: ["repository:ci/acme/app:pull,push"]
    expect: ["repository:ci/acme/app:pull,push"]
  - name: a branch build does not push
    identity: {provider: github, claims: {repository: acme/app, repository_owner_id: %[1]q, event_name: push, "regbridge:untrusted_trigger": false, ref: refs/heads/main}}
    request: ["repository:ci/acme/app:push"]
    expect: []
  - name: another owner's workflow does not push
    identity: {provider: github, claims: {repository: evil/app, repository_owner_id: "%[1]s0", event_name: push, "regbridge:untrusted_trigger": false, ref: refs/tags/v1.0.0}}
    request: ["repository:ci/evil/app:push"]
    expect: []
`, s.OwnerID)
		},
		docsPointer: "docs/oidc.md",
	},
	"oidc-gitlab-ci": {
		about:      "GitLab CI jobs with their OIDC ID token",
		baseURL:    "https://gitlab.com",
		needsOwner: "the numeric id of the GitLab group whose pipelines push (the group page, or GET /api/v4/groups/GROUP)",
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # GitLab CI jobs: docker login -u gitlab -p "$REGISTRY_ID_TOKEN", an id_tokens
  # entry with aud: %s (README: GitLab CI). issuer: the GitLab instance.
  - {id: gitlab, type: oidc, preset: gitlab-ci, issuer: %q, audiences: [%s]}
`, s.Service, s.BaseURL, s.Service)
		},
		rules: func(s initSettings) string {
			return fmt.Sprintf(`  # Pipelines of the group on a protected main branch push ci/GROUP/PROJECT.
  # The group is pinned by its immutable numeric id.
  - id: gitlab-ci-main
    who: [gitlab]
    when:
      claims:
        namespace_id: %q
        pipeline_source: {in: [push, web, schedule]}
        "regbridge:untrusted_trigger": false
        ref_protected: "true"
        ref_path: refs/heads/main
    grant:
      - {repository: "ci/${claims.project_path|path|lower}", actions: [pull, push]}
`, s.OwnerID)
		},
		tests: func(s initSettings) string {
			return fmt.Sprintf(`  - name: a protected main pipeline of the group pushes its own repository
    identity: {provider: gitlab, claims: {namespace_id: %[1]q, project_path: acme/app, pipeline_source: push, "regbridge:untrusted_trigger": false, ref_protected: "true", ref_path: refs/heads/main}}
    request: ["repository:ci/acme/app:pull,push"]
    expect: ["repository:ci/acme/app:pull,push"]
  - name: a merge request pipeline does not push
    identity: {provider: gitlab, claims: {namespace_id: %[1]q, project_path: acme/app, pipeline_source: merge_request_event, "regbridge:untrusted_trigger": true, ref_protected: "false", ref_path: refs/heads/main}}
    request: ["repository:ci/acme/app:push"]
    expect: []
`, s.OwnerID)
		},
		docsPointer: "docs/oidc.md",
	},
	"sourcehut": {
		about:   "builds.sr.ht jobs with their OAuth token",
		baseURL: "https://meta.sr.ht",
		entry: func(s initSettings) string {
			return fmt.Sprintf(`  # builds.sr.ht jobs: docker login -u sourcehut -p "$OAUTH2_TOKEN", the job's
  # manifest asking for oauth: %s/REGISTRY:RW (docs/sourcehut.md).
  - {id: sourcehut, type: sourcehut, meta_url: %q, registry_domain: %s, usernames: ["sourcehut"]}
`, s.Service, s.BaseURL, s.Service)
		},
		rules: func(s initSettings) string {
			return fmt.Sprintf(`  # A sourcehut user pushes to their own namespace when the job's token
  # carries the registry grant.
  - id: sourcehut-own-namespace
    who: [sourcehut]
    when:
      grants: {any_of: ["%s/REGISTRY:RW"]}
    grant:
      - {repository: "${username}/**", actions: [pull, push, delete]}
`, s.Service)
		},
		tests: func(s initSettings) string {
			return fmt.Sprintf(`  - name: a sourcehut job with the registry grant pushes to its namespace
    identity: {provider: sourcehut, username: jdoe, grants: ["%[1]s/REGISTRY:RW"]}
    request: ["repository:jdoe/site:pull,push"]
    expect: ["repository:jdoe/site:pull,push"]
  - name: a token without the registry grant gets nothing of its own
    identity: {provider: sourcehut, username: jdoe, grants: ["git.sr.ht/REPOSITORIES:RW"]}
    request: ["repository:jdoe/site:push"]
    expect: []
`, s.Service)
		},
		docsPointer: "docs/sourcehut.md",
	},
}

// forgeRules mirrors the forge's repository permissions onto the registry.
func forgeRules(id, mode string) func(initSettings) string {
	return func(initSettings) string {
		return fmt.Sprintf(`  # Registry repositories follow the forge's: read → pull, write → push,
  # admin → delete (acme/app and acme/app/worker follow the forge's acme/app).
  - id: %[1]s-repositories
    who: [%[1]s]
    grant:
      - {repository: "**", actions: [pull, push, delete], forge: %[2]s}
`, id, mode)
	}
}

func forgeTests(id string) func(initSettings) string {
	return func(initSettings) string {
		return fmt.Sprintf(`  - name: a forge user with write on the repository pushes
    identity: {provider: %[1]s, subject: "3", username: bob, repositories: {acme/app: write}}
    request: ["repository:acme/app:pull,push"]
    expect: ["repository:acme/app:pull,push"]
  - name: a forge user with read only pulls
    identity: {provider: %[1]s, subject: "4", username: carol, repositories: {acme/app: read}}
    request: ["repository:acme/app:pull,push"]
    expect: ["repository:acme/app:pull"]
`, id)
	}
}

// initProviderNames lists the --provider choices, sorted.
func initProviderNames() []string {
	names := make([]string, 0, len(initProviders))
	for n := range initProviders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// initConfigYAML is the commented regbridge.yaml of s.
func initConfigYAML(s initSettings, p initProvider) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# regbridge.yaml, written by `+"`regbridge init --provider %s`"+`.
# Check it:  regbridge check --config regbridge.yaml
# Serve it:  regbridge serve --config regbridge.yaml
# Registry:  regbridge registry-config --config regbridge.yaml  (the auth: stanza)
# Every key is described in the README (Configuration); relative paths are
# relative to this file; any value can be overridden from the environment
# (REGBRIDGE_LISTEN, REGBRIDGE_PUBLIC_URL, ...).

# Where the server listens. 127.0.0.1: this machine only; ":5001" accepts
# other hosts (behind a TLS proxy: docs/tls-and-proxies.md).
listen: %q
# How clients reach this server: the realm the registry sends them to. Put it
# on a DNS name: crane and oras refuse a realm on a loopback or private IP.
public_url: %q
services:
  - name: %s   # the registry's auth.token.service; tokens' aud
    issuer: regbridge   # the registry's auth.token.issuer
    token_ttl: 5m       # registry tokens live this long
keys:
  # The first key signs; the registry trusts its certificate. Rotation: list a
  # new key second, give the registry both certificates, then move it first.
  - {private_key: keys/signing-key.pem, certificate: keys/signing-cert.pem}
providers:
  # Local people and robots (bcrypt htpasswd files) and their groups; formats
  # in docs/static.md. Add a person: htpasswd -B htpasswd NAME
  - {id: users, type: static, htpasswd: htpasswd, robots: robots, groups: groups}
`, s.Provider, s.Listen, s.PublicURL, s.Service)
	if p.entry != nil {
		b.WriteString(p.entry(s))
	}
	b.WriteString(`# Credential cache: how long a checked credential is reused.
cache: {size: 100000, ttl: 60s, negative_ttl: 10s}
# Who may pull and push what (docs/policy.md). Edit it, then run check: its
# inline tests must pass before serve loads it (a reload keeps the old one).
policy: policy.yaml
log: {level: info, format: text}
`)
	return b.String()
}

// initPolicyYAML is the policy of s, with inline tests for every rule.
func initPolicyYAML(s initSettings, p initProvider) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# policy.yaml, written by `+"`regbridge init --provider %s`"+`.
# Rules grant; a scope no rule grants is refused. The reference and worked
# examples are in docs/policy.md; `+"`regbridge explain`"+` shows a decision.
version: 1
rules:
  - id: public-pull
    who: anyone
    grant:
      - {repository: "public/**", actions: [pull]}

  # Each local user and robot pushes to their own namespace.
  - id: own-namespace
    who: [users]
    grant:
      - {repository: "${username}/**", actions: [pull, push, delete]}

  # Members of the admins group (file: groups) may do anything.
  - id: admins
    who: [users]
    when: {groups: [admins]}
    grant:
      - {repository: "**", actions: [pull, push, delete]}
      - {registry: catalog, actions: ["*"]}
`, s.Provider)
	if p.rules != nil {
		b.WriteString("\n" + p.rules(s))
	}
	fmt.Fprintf(&b, `
tests:
  - name: anyone pulls public images
    request: ["repository:public/base:pull,push"]
    expect: ["repository:public/base:pull"]
  - name: a user pushes to their own namespace only
    identity: {provider: users, subject: dev, username: dev}
    request: ["repository:dev/app:pull,push", "repository:other/app:push"]
    expect: ["repository:dev/app:pull,push"]
  - name: an admin pushes anywhere
    identity: {provider: users, subject: %[1]s, username: %[1]s, groups: [admins]}
    request: ["repository:team/app:push"]
    expect: ["repository:team/app:push"]
`, s.User)
	if p.tests != nil {
		b.WriteString(p.tests(s))
	}
	return b.String()
}
