// Package e2e runs regbridge end to end against real registries and real
// clients, all on loopback and without a container engine.
//
// The tests build the regbridge binary, start it and the registries as child
// processes (Debian's distribution 2.8.2, distribution v3.0.0 and v3.1.2, the
// latter both with a certificate bundle and JWKS-only), and drive crane, oras,
// skopeo, podman, buildah, regctl, helm v4, containerd's ctr (against a
// containerd each ctr client starts under a temporary root) and the docker
// CLI (login only) against them.
//
// They are skipped unless REGBRIDGE_E2E_TOOLS names the directory holding the
// pinned Go tools (registry, registry-3.0.0, crane, oras, regctl, helm,
// zitadelop, hydra); docker-registry, skopeo, podman, buildah, ctr,
// containerd and docker are looked up on PATH. REGBRIDGE_E2E_BIN tests a prebuilt regbridge
// binary instead of building the working tree's. With REGBRIDGE_E2E_REQUIRED=1 a missing tool fails the
// run instead of skipping it. `.ci/install-tools` installs everything and
// `.ci/run` runs the suite with both variables set.
//
// The helpers (startBridge, startRegistry, runClient and the fixtures) are
// meant to be reused by scenarios for other providers: a fake upstream served
// with httptest on loopback can be added to the bridge configuration through
// BridgeOptions.ExtraProviders.
//
// The provider scenarios use them so:
//
//   - sourcehut (TestE2ESourcehutBuildsTokens): the fake meta.sr.ht of
//     providers/sourcehut/srhttest in the test process, builds tokens as
//     passwords for docker login, crane and oras;
//   - oidc (TestE2EOIDCZitadelIDTokens): the zitadel/oidc v3.51.17 example
//     OpenID Provider (zitadelop, built from testdata/e2e/zitadelop) mints
//     real ID tokens without a browser;
//   - authority (TestE2EAuthorityHydraTokenExchange,
//     TestE2EAuthorityDPoPBoundTokens): Ory Hydra v2.3.0 (hydra, built from
//     testdata/e2e/hydra) issues client-credentials JWT access tokens, the
//     fake authorization server of providers/authority/authtest issues
//     DPoP-bound ones; clients exchange them at POST /oauth2/token (or GET
//     /token with a DPoP proof) and crane pushes with the registry token
//     written into config.json as `registrytoken`;
//   - credential helper (TestE2EDeviceFlowLoginThroughTheCredentialHelper):
//     docker-credential-regbridge, built from the working tree, logs in
//     through the device authorization grant against zitadelop's public
//     client regbridge-cli, found through regbridge's discovery document;
//     crane and oras push and pull with credHelpers naming it;
//     TestE2EGitHubActionsSourceThroughTheCredentialHelper runs its
//     github-actions source against a fake Actions token request URL whose
//     ID tokens (providers/oidc/oidctest) regbridge accepts.
//   - refresh tokens (TestE2ERefreshTokensOutliveTheIDToken): the fake
//     issuer of providers/oidc/oidctest mints ID tokens living 65 s; docker
//     login stores the refresh token as identitytoken, and crane, oras,
//     regctl, buildah, helm and ctr push with it to 2.8.2, 3.0.0 and 3.1.2
//     after the ID token expired; a bridge with refresh off refuses the same
//     flow, and so does each client's own login. A recording proxy in front
//     of /token shows each client's grant; the test logs the client matrix.
//
// zitadelop, hydra, regctl, helm and registry-3.0.0 are looked up in
// REGBRIDGE_E2E_TOOLS and checked by their embedded Go build information
// (module version, build tags).
package e2e
