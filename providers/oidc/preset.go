package oidc

import (
	"slices"
	"strings"
	"time"
)

// Preset names.
const (
	PresetGitHubActions  = "github-actions"
	PresetGitLabCI       = "gitlab-ci"
	PresetForgejoActions = "forgejo-actions"
	PresetBuildkite      = "buildkite"
	PresetCircleCI       = "circleci"
	PresetKubernetes     = "kubernetes"
	PresetGeneric        = "generic"
)

// ClaimUntrustedTrigger is the normalized claim every identity carries: true
// when the job was started by something outside the repository's trust
// boundary (fork pull requests, pull_request_target, GitLab merge request
// pipelines from another project, CircleCI SSH reruns, Buildkite fork
// branches), or when the token does not say enough to tell. Policies that
// grant push SHOULD require it to be false.
const ClaimUntrustedTrigger = "regbridge:untrusted_trigger"

// claimKind is the JSON type a required claim must have.
type claimKind int

const (
	kindString claimKind = iota // a non-empty string
	kindID                      // a non-empty string, or an integral number
	kindObject                  // a JSON object
)

type requiredClaim struct {
	name string
	kind claimKind
}

// preset is what regbridge knows about one issuer family's tokens.
type preset struct {
	name   string
	issuer string // canonical issuer, if the family has exactly one
	// defaultAudiencePrefixes are audience forms the platform issues when a
	// job asks for no audience; never acceptable as a bridge audience.
	defaultAudiencePrefixes []string
	maxTokenAge             time.Duration
	// subjectClaims: the first one present becomes Identity.Subject.
	subjectClaims []string
	usernameClaim string
	groupsClaim   string
	required      []requiredClaim
	// untrusted reports whether the trigger of the job is untrusted.
	untrusted func(claims map[string]any) bool
	// derived adds normalized claims computed from the token.
	derived func(claims map[string]any) map[string]any
	// sharedIssuer reports whether unrelated tenants share the issuer.
	sharedIssuer    func(issuer string) bool
	immutableClaims []string
	ci              bool
	triggerClaims   []string
	claims          []string // nil: any claim may appear
}

// standardClaims are the registered JWT claims every preset exposes.
var standardClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", ClaimUntrustedTrigger}

// PresetNames lists the known presets.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func lookupPreset(name string) (preset, bool) {
	p, ok := presets[name]
	return p, ok
}

func shared(string) bool { return true }

func never(string) bool { return false }

func oneOf(issuers ...string) func(string) bool {
	return func(iss string) bool { return slices.Contains(issuers, iss) }
}

// githubUntrustedEvents start a job in the base repository's context on
// behalf of someone who may have no write access (a fork's author or any
// commenter), or report a base-branch ref for code that is not on it.
var githubUntrustedEvents = []string{
	"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
	"issue_comment", "issues", "discussion", "discussion_comment", "workflow_run", "fork", "watch",
}

// eventUntrusted marks untrusted events, and a missing event (fail closed).
func eventUntrusted(claim string) func(map[string]any) bool {
	return func(c map[string]any) bool {
		ev, ok := c[claim].(string)
		return !ok || ev == "" || slices.Contains(githubUntrustedEvents, ev)
	}
}

// gitlabUntrusted marks merge request and external pull request pipelines
// unless the token proves the merge request's source is the project the job
// runs in, and any job whose project differs from the token's project.
func gitlabUntrusted(c map[string]any) bool {
	src, ok := c["pipeline_source"].(string)
	if !ok || src == "" {
		return true
	}
	jobProject, hasJob := idString(c["job_project_id"])
	project, _ := idString(c["project_id"])
	if hasJob && jobProject != project {
		return true
	}
	switch src {
	case "external_pull_request_event":
		return true
	case "merge_request_event":
		source, hasSource := idString(c["source_project_id"])
		return !hasJob || !hasSource || source != jobProject
	}
	return false
}

// buildkiteUntrusted marks builds whose branch carries a fork prefix
// ("owner:branch", Buildkite's third-party fork naming).
func buildkiteUntrusted(c map[string]any) bool {
	b, ok := c["build_branch"].(string)
	return !ok || strings.Contains(b, ":")
}

// circleciUntrusted marks SSH reruns, where a person has a shell on the
// runner.
func circleciUntrusted(c map[string]any) bool {
	v, present := c["oidc.circleci.com/ssh-rerun"]
	if !present {
		return false
	}
	b, ok := v.(bool)
	return !ok || b
}

func trustedAlways(map[string]any) bool { return false }

// Kubernetes claim names flattened from the nested kubernetes.io object.
const (
	ClaimK8sNamespace          = "kubernetes.io/namespace"
	ClaimK8sServiceAccount     = "kubernetes.io/serviceaccount/name"
	ClaimK8sServiceAccountUID  = "kubernetes.io/serviceaccount/uid"
	ClaimK8sPod                = "kubernetes.io/pod/name"
	ClaimK8sPodUID             = "kubernetes.io/pod/uid"
	claimK8sObject             = "kubernetes.io"
	claimCircleCIProjectID     = "oidc.circleci.com/project-id"
	claimCircleCIVCSOrigin     = "oidc.circleci.com/vcs-origin"
	claimCircleCIVCSRef        = "oidc.circleci.com/vcs-ref"
	claimCircleCISSHRerun      = "oidc.circleci.com/ssh-rerun"
	claimCircleCIContextIDs    = "oidc.circleci.com/context-ids"
	claimCircleCIPipelineID    = "oidc.circleci.com/pipeline-id"
	claimCircleCIPipelineDefID = "oidc.circleci.com/pipeline-definition-id"
	claimCircleCIWorkflowID    = "oidc.circleci.com/workflow-id"
	claimCircleCIJobID         = "oidc.circleci.com/job-id"
)

// kubernetesDerived flattens kubernetes.io.{namespace, serviceaccount, pod}
// into top-level string claims the policy can name.
func kubernetesDerived(c map[string]any) map[string]any {
	out := map[string]any{}
	k8s, _ := c[claimK8sObject].(map[string]any)
	if ns, ok := k8s["namespace"].(string); ok {
		out[ClaimK8sNamespace] = ns
	}
	for obj, names := range map[string][2]string{
		"serviceaccount": {ClaimK8sServiceAccount, ClaimK8sServiceAccountUID},
		"pod":            {ClaimK8sPod, ClaimK8sPodUID},
	} {
		m, _ := k8s[obj].(map[string]any)
		if v, ok := m["name"].(string); ok {
			out[names[0]] = v
		}
		if v, ok := m["uid"].(string); ok {
			out[names[1]] = v
		}
	}
	return out
}

func req(kind claimKind, names ...string) []requiredClaim {
	out := make([]requiredClaim, len(names))
	for i, n := range names {
		out[i] = requiredClaim{name: n, kind: kind}
	}
	return out
}

var presets = map[string]preset{
	PresetGitHubActions: {
		name:                    PresetGitHubActions,
		issuer:                  "https://token.actions.githubusercontent.com",
		defaultAudiencePrefixes: []string{"https://github.com/"},
		maxTokenAge:             15 * time.Minute,
		subjectClaims:           []string{"repository_id"},
		usernameClaim:           "repository",
		required: append(req(kindString, "sub", "repository", "repository_owner", "event_name", "ref"),
			req(kindID, "repository_id", "repository_owner_id")...),
		untrusted:       eventUntrusted("event_name"),
		sharedIssuer:    shared,
		immutableClaims: []string{"repository_owner_id", "repository_id", "enterprise_id"},
		ci:              true,
		triggerClaims:   []string{"event_name", "ref", "ref_type", "ref_protected", ClaimUntrustedTrigger},
		claims: []string{
			"repository", "repository_owner", "repository_id", "repository_owner_id", "actor", "actor_id",
			"ref", "ref_type", "ref_protected", "base_ref", "head_ref", "event_name", "environment",
			"environment_node_id", "workflow", "workflow_ref", "workflow_sha", "job_workflow_ref",
			"job_workflow_sha", "repository_visibility", "runner_environment", "run_id", "run_number",
			"run_attempt", "sha", "check_run_id", "enterprise", "enterprise_id",
		},
	},
	PresetGitLabCI: {
		name:          PresetGitLabCI,
		maxTokenAge:   time.Hour,
		subjectClaims: []string{"job_project_id", "project_id"},
		usernameClaim: "project_path",
		required: append(req(kindString, "sub", "project_path", "namespace_path", "pipeline_source", "ref", "ref_type"),
			req(kindID, "project_id", "namespace_id")...),
		untrusted:       gitlabUntrusted,
		sharedIssuer:    oneOf("https://gitlab.com"),
		immutableClaims: []string{"namespace_id", "project_id", "job_namespace_id", "job_project_id", "source_project_id", "source_namespace_id"},
		ci:              true,
		triggerClaims:   []string{"pipeline_source", "ref", "ref_type", "ref_path", "ref_protected", ClaimUntrustedTrigger},
		claims: []string{
			"namespace_id", "namespace_path", "project_id", "project_path", "job_project_id", "job_project_path",
			"job_namespace_id", "job_namespace_path", "source_project_id", "source_project_path",
			"source_namespace_id", "source_namespace_path", "user_id", "user_login", "user_email",
			"user_access_level", "user_identities", "groups_direct", "pipeline_id", "pipeline_source", "job_id",
			"ref", "ref_type", "ref_path", "ref_protected", "environment", "environment_protected",
			"deployment_tier", "environment_action", "runner_id", "runner_environment", "sha",
			"ci_config_ref_uri", "ci_config_sha", "project_visibility",
		},
	},
	PresetForgejoActions: {
		name:            PresetForgejoActions,
		maxTokenAge:     time.Hour,
		subjectClaims:   []string{"repository_id", "sub"},
		usernameClaim:   "repository",
		required:        req(kindString, "sub", "repository", "repository_owner", "event_name", "ref"),
		untrusted:       eventUntrusted("event_name"),
		sharedIssuer:    oneOf("https://codeberg.org/api/actions"),
		immutableClaims: []string{"repository_owner_id", "repository_id"},
		ci:              true,
		triggerClaims:   []string{"event_name", "ref", "ref_type", "ref_protected", ClaimUntrustedTrigger},
		claims: []string{
			"actor", "actor_id", "base_ref", "head_ref", "event_name", "ref", "ref_protected", "ref_type",
			"repository", "repository_owner", "repository_id", "repository_owner_id", "run_attempt", "run_id",
			"run_number", "sha", "workflow", "workflow_ref",
		},
	},
	PresetBuildkite: {
		name:            PresetBuildkite,
		issuer:          "https://agent.buildkite.com",
		maxTokenAge:     15 * time.Minute,
		subjectClaims:   []string{"pipeline_id", "sub"},
		usernameClaim:   "pipeline_slug",
		required:        append(req(kindString, "sub", "organization_slug", "pipeline_slug", "build_branch"), req(kindID, "organization_id")...),
		untrusted:       buildkiteUntrusted,
		sharedIssuer:    shared,
		immutableClaims: []string{"organization_id", "pipeline_id"},
		ci:              true,
		triggerClaims:   []string{"build_source", "build_branch", ClaimUntrustedTrigger},
		claims: []string{
			"organization_slug", "organization_id", "pipeline_slug", "pipeline_id", "build_number",
			"build_branch", "build_commit", "build_source", "step_key", "job_id", "agent_id",
			"runner_environment", "cluster_id", "cluster_name", "queue_id", "queue_key",
		},
	},
	PresetCircleCI: {
		name:            PresetCircleCI,
		maxTokenAge:     time.Hour,
		subjectClaims:   []string{claimCircleCIProjectID},
		usernameClaim:   claimCircleCIProjectID,
		required:        req(kindString, "sub", claimCircleCIProjectID),
		untrusted:       circleciUntrusted,
		sharedIssuer:    never,
		immutableClaims: []string{claimCircleCIProjectID},
		ci:              true,
		triggerClaims:   []string{claimCircleCIVCSOrigin, claimCircleCIVCSRef, claimCircleCISSHRerun, ClaimUntrustedTrigger},
		claims: []string{
			claimCircleCIProjectID, claimCircleCIVCSOrigin, claimCircleCIVCSRef, claimCircleCISSHRerun,
			claimCircleCIContextIDs, claimCircleCIPipelineID, claimCircleCIPipelineDefID,
			claimCircleCIWorkflowID, claimCircleCIJobID,
		},
	},
	PresetKubernetes: {
		name:            PresetKubernetes,
		maxTokenAge:     time.Hour,
		subjectClaims:   []string{ClaimK8sServiceAccountUID},
		usernameClaim:   "sub",
		required:        append(req(kindString, "sub"), requiredClaim{claimK8sObject, kindObject}),
		untrusted:       trustedAlways,
		derived:         kubernetesDerived,
		sharedIssuer:    never,
		immutableClaims: []string{ClaimK8sServiceAccountUID, ClaimK8sPodUID},
		claims: []string{
			claimK8sObject, ClaimK8sNamespace, ClaimK8sServiceAccount, ClaimK8sServiceAccountUID, ClaimK8sPod, ClaimK8sPodUID,
		},
	},
	PresetGeneric: {
		name:          PresetGeneric,
		maxTokenAge:   DefaultMaxTokenAge,
		subjectClaims: []string{"sub"},
		usernameClaim: "preferred_username",
		groupsClaim:   "groups",
		required:      req(kindString, "sub"),
		untrusted:     trustedAlways,
		sharedIssuer:  never,
	},
}
