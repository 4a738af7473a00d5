package oidc_test

// Claim fixtures shaped like the real tokens of each issuer (federation.md
// §2), signed at test time by a fake issuer.

import (
	"maps"
	"strings"
)

// GitHub fixture tenant: organisation stellaops, repository stellaops/api.
const (
	ghOwner   = "stellaops"
	ghOwnerID = "1234567"
	ghRepo    = "stellaops/api"
	ghRepoID  = "987654"
)

// githubClaims is a GitHub Actions ID token for event on ref.
func githubClaims(e *env, event, ref string) map[string]any {
	c := e.claims()
	refType := "branch"
	if strings.HasPrefix(ref, "refs/tags/") {
		refType = "tag"
	}
	sub := "repo:" + ghRepo + ":ref:" + ref
	if strings.HasPrefix(event, "pull_request") {
		sub = "repo:" + ghRepo + ":pull_request"
	}
	maps.Copy(c, map[string]any{
		"sub": sub, "ref": ref, "ref_type": refType, "ref_protected": "true", "sha": "a1b2c3",
		"repository": ghRepo, "repository_id": ghRepoID, "repository_owner": ghOwner,
		"repository_owner_id": ghOwnerID, "repository_visibility": "private",
		"actor": "octocat", "actor_id": "12", "event_name": event, "head_ref": "", "base_ref": "",
		"workflow": "release", "workflow_ref": ghRepo + "/.github/workflows/release.yml@" + ref,
		"workflow_sha": "a1b2c3", "job_workflow_ref": ghRepo + "/.github/workflows/release.yml@" + ref,
		"job_workflow_sha": "a1b2c3", "runner_environment": "github-hosted",
		"run_id": "42", "run_number": "7", "run_attempt": "1",
	})
	return c
}

// githubPullRequest is a pull_request run: the merge ref, attacker head_ref.
func githubPullRequest(e *env) map[string]any {
	c := githubClaims(e, "pull_request", "refs/pull/42/merge")
	c["head_ref"], c["base_ref"] = "feature", "main"
	return c
}

// githubPullRequestTarget runs in base context: ref main, yet untrusted.
func githubPullRequestTarget(e *env) map[string]any {
	c := githubClaims(e, "pull_request_target", "refs/heads/main")
	c["head_ref"], c["base_ref"] = "evil", "main"
	return c
}

// githubEnvironment is a deployment job: sub names the environment, not a ref.
func githubEnvironment(e *env) map[string]any {
	c := githubClaims(e, "push", "refs/heads/main")
	c["environment"] = "prod"
	c["sub"] = "repo:" + ghRepo + ":environment:prod"
	return c
}

// GitLab fixture tenant: group stellaops (namespace 72), project api (20).
const (
	glNamespaceID = "72"
	glProjectID   = "20"
	glForkID      = "31"
)

// gitlabClaims is a GitLab CI id_token for a pipeline on ref.
func gitlabClaims(e *env, source, refType, ref string, protected bool) map[string]any {
	c := e.claims()
	prefix := "refs/heads/"
	if refType == "tag" {
		prefix = "refs/tags/"
	}
	maps.Copy(c, map[string]any{
		"sub":          "project_path:stellaops/api:ref_type:" + refType + ":ref:" + ref,
		"namespace_id": glNamespaceID, "namespace_path": "stellaops",
		"project_id": glProjectID, "project_path": "stellaops/api",
		"job_project_id": glProjectID, "job_project_path": "stellaops/api",
		"job_namespace_id": glNamespaceID, "job_namespace_path": "stellaops",
		"user_id": "1", "user_login": "dev", "user_email": "dev@example.com", "user_access_level": "developer",
		"pipeline_id": "574", "pipeline_source": source, "job_id": "302",
		"ref": ref, "ref_type": refType, "ref_path": prefix + ref, "ref_protected": map[bool]string{true: "true", false: "false"}[protected],
		"runner_id": jsonNumber("1"), "runner_environment": "gitlab-hosted", "sha": "a1b2c3",
		"project_visibility": "private",
		"ci_config_ref_uri":  "gitlab.example.com/stellaops/api//.gitlab-ci.yml@" + prefix + ref,
		"ci_config_sha":      "a1b2c3",
	})
	return c
}

// gitlabForkMRLegacy is a fork merge request pipeline before GitLab 18.2.2:
// the token names the parent project and carries no job_project_id.
func gitlabForkMRLegacy(e *env) map[string]any {
	c := gitlabClaims(e, "merge_request_event", "branch", "main", false)
	delete(c, "job_project_id")
	delete(c, "job_project_path")
	delete(c, "job_namespace_id")
	delete(c, "job_namespace_path")
	return c
}

// gitlabForkMR is a fork merge request pipeline after the fix: project_* name
// the fork, job_project_* the parent the job runs in.
func gitlabForkMR(e *env) map[string]any {
	c := gitlabClaims(e, "merge_request_event", "branch", "main", true)
	c["project_id"], c["project_path"] = glForkID, "mallory/api"
	c["namespace_id"], c["namespace_path"] = "99", "mallory"
	c["source_project_id"], c["source_project_path"] = glForkID, "mallory/api"
	return c
}

// kubernetesClaims is a projected service-account token.
func kubernetesClaims(e *env, namespace, sa, uid string) map[string]any {
	c := e.claims()
	c["sub"] = "system:serviceaccount:" + namespace + ":" + sa
	c["aud"] = []any{aud}
	c["kubernetes.io"] = map[string]any{
		"namespace":      namespace,
		"serviceaccount": map[string]any{"name": sa, "uid": uid},
		"pod":            map[string]any{"name": sa + "-7d9f", "uid": "pod-" + uid},
		"node":           map[string]any{"name": "node-1", "uid": "node-uid"},
	}
	return c
}

// forgejoClaims is a Forgejo Actions token (no jti).
func forgejoClaims(e *env, event, ref string) map[string]any {
	c := e.claims()
	delete(c, "jti")
	maps.Copy(c, map[string]any{
		"sub": "repo:stellaops/api:ref:" + ref, "actor": "dev", "base_ref": "", "head_ref": "",
		"event_name": event, "ref": ref, "ref_protected": "true", "ref_type": "branch",
		"repository": "stellaops/api", "repository_owner": "stellaops", "repository_id": "55",
		"repository_owner_id": "5", "run_attempt": "1", "run_id": "9", "run_number": "3", "sha": "a1b2c3",
		"workflow": "build", "workflow_ref": "stellaops/api/.forgejo/workflows/build.yml@" + ref,
	})
	return c
}

// buildkiteClaims is a Buildkite agent token with organization_id requested.
func buildkiteClaims(e *env, branch string) map[string]any {
	c := e.claims()
	delete(c, "jti")
	maps.Copy(c, map[string]any{
		"sub":               "organization:stellaops:pipeline:api:ref:refs/heads/" + branch + ":commit:a1b2c3:step:build",
		"organization_slug": "stellaops", "organization_id": "0b6f3c3e-1b1a-4a39-9f38-51ab3a1f8f51",
		"pipeline_slug": "api", "pipeline_id": "a4b3a9a4-31a2-4d53-9d55-1e0e27b7b0a2",
		"build_number": jsonNumber("12"), "build_branch": branch, "build_commit": "a1b2c3",
		"build_source": "webhook", "step_key": "build", "job_id": "j", "agent_id": "a",
	})
	return c
}

// circleciClaims is a CircleCI v2 token.
func circleciClaims(e *env, sshRerun bool) map[string]any {
	c := e.claims()
	delete(c, "jti")
	maps.Copy(c, map[string]any{
		"sub":                           "org/o-uuid/project/p-uuid/user/u-uuid/vcs-origin/github.com/stellaops/api/vcs-ref/refs/heads/main",
		"oidc.circleci.com/project-id":  "p-uuid",
		"oidc.circleci.com/vcs-origin":  "github.com/stellaops/api",
		"oidc.circleci.com/vcs-ref":     "refs/heads/main",
		"oidc.circleci.com/context-ids": []any{"c-1"},
		"oidc.circleci.com/ssh-rerun":   sshRerun,
	})
	return c
}
