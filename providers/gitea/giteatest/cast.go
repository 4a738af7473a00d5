package giteatest

import "testing"

// RegistryScopes are the scopes docs/forges.md tells users to give a
// registry token.
const RegistryScopes = "read:user,read:organization,read:repository,write:package"

// ReadPackageScopes are RegistryScopes with read:package: a pull-only token.
const ReadPackageScopes = "read:user,read:organization,read:repository,read:package"

// Cast is forges.md §6's test cast, seeded by Seed: the private
// organisation acme with the private repository acme/app, team readers
// (read on every repository: alice) and team writers (write: bob, dave);
// carol in no team, owning the private carol/site. Each user has a token
// named "registry" with RegistryScopes.
type Cast struct {
	// IDs are the forge's user ids by login.
	IDs map[string]int64
	// Tokens are the "registry" tokens by login.
	Tokens map[string]string
	// Teams are team ids by name.
	Teams map[string]int64
}

// Users are the cast's logins.
var Users = []string{"alice", "bob", "carol", "dave"}

// Seed creates the cast on s.
func Seed(t testing.TB, s *Server) *Cast {
	t.Helper()
	c := &Cast{IDs: map[string]int64{}, Tokens: map[string]string{}, Teams: map[string]int64{}}
	for _, u := range Users {
		c.IDs[u] = s.CreateUser(t, u)
	}
	s.CreateOrg(t, "acme", true)
	c.Teams["readers"] = s.CreateTeam(t, "acme", "readers", "read", "alice")
	c.Teams["writers"] = s.CreateTeam(t, "acme", "writers", "write", "bob", "dave")
	s.CreateOrgRepo(t, "acme", "app", true)
	s.CreateUserRepo(t, "carol", "site", true)
	for _, u := range Users {
		c.Tokens[u] = s.Token(t, u, "registry", RegistryScopes)
	}
	return c
}
