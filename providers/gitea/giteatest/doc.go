// Package giteatest runs a real Gitea (v1.27.3, built by .ci/install-tools)
// on loopback for tests: SQLite in a temporary directory, no mail, no SSH,
// no cron, no outbound calls, every port on 127.0.0.1. A counting reverse
// proxy stands in front of it and is the forge's ROOT_URL, so that tests
// can count the calls a provider makes and stop the forge (connection
// refused) and start it again on the same address.
//
// The binary is $REGBRIDGE_E2E_TOOLS/gitea and its module source (for
// STATIC_ROOT_PATH: options/ and templates/) $REGBRIDGE_GITEA_SRC, or
// gitea-src next to the tools' bin directory. When they are absent Start
// skips the test, saying why, unless REGBRIDGE_E2E_REQUIRED=1, which makes
// it fail.
//
// Users, organisations, teams, repositories and tokens are created through
// the forge's own API with the site administrator `root0` created at setup.
package giteatest
