// Command docker-credential-regbridge is a credential helper for registries
// whose token server is regbridge. It speaks the docker credential-helper
// protocol (get, store, erase, list on stdin and stdout), so docker's
// credHelpers, podman's and skopeo's auth.json credHelpers, crane, oras and
// BuildKit ask it before each registry operation; and it answers the
// kubelet's image credential provider requests.
//
// On every get it hands out a credential regbridge accepts right now: a
// fresh CI identity token (GitHub Actions, GitLab CI, Buildkite, CircleCI,
// a Kubernetes projected service-account token, or a generic file,
// environment variable or command), or, for people, an ID token minted from
// the refresh token that `docker-credential-regbridge login REGISTRY` got
// through the OAuth 2.0 device authorization grant (RFC 8628).
//
// Security properties:
//   - A registry that is not in the configuration gets "credentials not
//     found", never another registry's credential.
//   - A credential is handed out only when the registry's Bearer challenge
//     names a realm over https (http on loopback only) whose
//     /.well-known/regbridge-configuration document names that realm as its
//     token endpoint and lists the challenge's service.
//   - The refresh token is written only to a 0600 file in a 0700 directory;
//     a login file that others can read is refused.
//
// See docs/credential-helper.md for setups.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	h := newHelper(os.Getenv, os.Stderr)
	code := h.run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	os.Exit(code)
}
