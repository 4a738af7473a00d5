package gitlab

import (
	"testing"

	"github.com/regbridge/regbridge/providers"
	"github.com/regbridge/regbridge/providers/gitlab/gltest"
)

func TestAccessLevelsMapToPermissionsLikeGitLabsOwnRegistry(t *testing.T) {
	cases := []struct {
		name    string
		project gltest.AccessLevel // direct project membership
		group   gltest.AccessLevel // membership of the namespace group
		want    providers.Permission
	}{
		{"no membership", 0, 0, providers.PermissionNone},
		{"minimal access", 0, gltest.MinimalAccess, providers.PermissionNone},
		{"guest", gltest.Guest, 0, providers.PermissionNone},
		{"planner", 0, gltest.Planner, providers.PermissionNone},
		{"reporter", gltest.Reporter, 0, providers.PermissionRead},
		{"developer through the group", 0, gltest.Developer, providers.PermissionWrite},
		{"maintainer", gltest.Maintainer, 0, providers.PermissionAdmin},
		{"owner through the group", 0, gltest.Owner, providers.PermissionAdmin},
		{"the higher of project and group access", gltest.Reporter, gltest.Maintainer, providers.PermissionAdmin},
		{"the higher of group and project access", gltest.Developer, gltest.Guest, providers.PermissionWrite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil, gltest.Options{})
			f.gl.AddUser(gltest.User{ID: 50, Username: "case"})
			f.gl.AddProject(gltest.Project{Path: "team/app"})
			if c.project != 0 {
				f.gl.AddProjectMember("team/app", 50, c.project)
			}
			if c.group != 0 {
				f.gl.AddGroupMember("team", 50, c.group)
			}
			tok := f.gl.AddPAT(50, "api")
			id := f.login(t, tok)
			f.gl.ResetCounts()
			got, err := f.perm(tok, id, "team/app")
			if err != nil || got != c.want {
				t.Errorf("permission %v, %v; want %v", got, err, c.want)
			}
			calls := f.gl.CountEndpoint(gltest.EndpointProject) + f.gl.CountEndpoint(gltest.EndpointMember)
			if calls != 1 {
				t.Errorf("%d calls, want 1", calls)
			}
		})
	}
}

func TestNestedGroupPathsAreAskedAsOneEncodedSegment(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddPAT(jdoe, "api")
	id := f.login(t, tok)
	if got, err := f.perm(tok, id, "acme/platform/api"); err != nil || got != providers.PermissionAdmin {
		t.Fatalf("acme/platform/api: %v, %v; want admin (Maintainer of acme/platform)", got, err)
	}
	if n := f.gl.CountPath("/api/v4/projects/acme%2Fplatform%2Fapi"); n != 1 {
		t.Errorf("encoded path asked %d times, want 1; requests: %v", n, f.gl.Requests())
	}
}

func TestAccessThroughASharedGroupIsReadFromTheEffectiveMembership(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	f.gl.AddGroupMember("partners", outside, gltest.Maintainer)
	f.gl.ShareProjectWithGroup("other/secret", "partners", gltest.Developer)
	tok := f.gl.AddPAT(outside, "read_api", "write_registry")
	id := f.login(t, tok)
	f.gl.ResetCounts()
	if got, err := f.perm(tok, id, "other/secret"); err != nil || got != providers.PermissionWrite {
		t.Fatalf("shared project: %v, %v; want write (the share caps Maintainer at Developer)", got, err)
	}
	if a, b := f.gl.CountEndpoint(gltest.EndpointProject), f.gl.CountEndpoint(gltest.EndpointMember); a != 1 || b != 1 {
		t.Errorf("project %d, member %d calls; want 1 and 1", a, b)
	}
}

func TestMissingMovedPublicAndInvisibleProjectsAreNone(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		f := newFixture(t, nil, gltest.Options{LegacyRedirects: legacy})
		f.gl.AddProject(gltest.Project{Path: "acme/old"})
		if err := f.gl.MoveProject("acme/old", "acme/new"); err != nil {
			t.Fatal(err)
		}
		f.gl.AddProject(gltest.Project{Path: "acme-public/site", Visibility: "public"})
		tok := f.gl.AddPAT(jdoe, "api")
		id := f.login(t, tok)
		for _, repo := range []string{"acme/old", "acme/nothing", "other/secret", "acme-public/site"} {
			if got, err := f.perm(tok, id, repo); err != nil || got != providers.PermissionNone {
				t.Errorf("legacy=%v %s: %v, %v; want none", legacy, repo, got, err)
			}
		}
		if got, err := f.perm(tok, id, "acme/new"); err != nil || got != providers.PermissionWrite {
			t.Errorf("legacy=%v acme/new: %v, %v; want write", legacy, got, err)
		}
	}
}

func TestAnArchivedProjectIsAtMostRead(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	f.gl.AddProject(gltest.Project{Path: "acme/frozen", Archived: true})
	tok := f.gl.AddPAT(jdoe, "api")
	id := f.login(t, tok)
	if got, err := f.perm(tok, id, "acme/frozen"); err != nil || got != providers.PermissionRead {
		t.Errorf("archived: %v, %v; want read", got, err)
	}
}

func TestInvalidRepositoryPathsAreNoneWithoutACall(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddPAT(jdoe, "api")
	id := f.login(t, tok)
	f.gl.ResetCounts()
	for _, repo := range []string{"", "acme", "acme/", "/acme/app", "acme//app", "acme/app.", "acme/.app", "acme/../app", "acme/..", "acme/App", "acme/app%2F..", "acme/ap\u0440", "acme/app?x=1", "acme/app#x"} {
		if got, err := f.perm(tok, id, repo); err != nil || got != providers.PermissionNone {
			t.Errorf("%q: %v, %v; want none", repo, got, err)
		}
	}
	if n := f.gl.Count(); n != 0 {
		t.Errorf("%d calls for invalid paths, want 0", n)
	}
}

func TestPermissionAnswersKeepTheirKinds(t *testing.T) {
	f := newFixture(t, nil, gltest.Options{})
	tok := f.gl.AddPAT(jdoe, "api")
	id := f.login(t, tok)

	f.gl.SetFault(gltest.FaultServiceUnavailable)
	_, err := f.perm(tok, id, "acme/app")
	if ue := wantUnavailable(t, err); ue.RetryAfter.Seconds() != 7 {
		t.Errorf("RetryAfter %v, want 7s", ue.RetryAfter)
	}
	f.gl.SetFault(gltest.FaultReset)
	_, err = f.perm(tok, id, "acme/app")
	wantUnavailable(t, err)
	f.gl.SetFault(gltest.FaultNone)

	f.gl.SetRateLimit(1)
	f.perm(tok, id, "acme/app")
	_, err = f.perm(tok, id, "acme/app")
	wantUnavailable(t, err)
	f.gl.SetRateLimit(0)

	f.gl.SetUserState(jdoe, gltest.StateBlocked)
	_, err = f.perm(tok, id, "acme/app")
	wantInvalid(t, err)
	f.gl.SetUserState(jdoe, gltest.StateActive)

	f.gl.RevokeToken(tok)
	_, err = f.perm(tok, id, "acme/app")
	wantInvalid(t, err)

	_, err = f.perm(tok, providers.Identity{Subject: "jdoe"}, "acme/app")
	wantInvalid(t, err)
}
