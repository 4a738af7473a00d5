// Command zitadelop runs the zitadel/oidc v3 example OpenID Provider on
// loopback only, for regbridge's end-to-end tests (docs/oidc.md, "Trying it
// with a real OpenID Provider"). The stock example/server binary listens on
// every interface with the issuer http://localhost:<PORT>/; this launcher
// binds ZOP_ADDR (default 127.0.0.1:9998) and uses the issuer
// http://<ZOP_ADDR>/.
//
// Clients: "web" and "api", both with the secret "secret" and the redirect
// URI REDIRECT_URI (default http://localhost:9999/auth/callback); and
// "regbridge-cli", a public client (no secret) for the device authorization
// grant with refresh tokens, as docker-credential-regbridge login uses it.
// User: test-user@<host of ZOP_ADDR> / verysecure.
//
// `zitadelop -version` prints the zitadel/oidc module version it was built
// with.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// deviceClientID is the public device-flow client.
const deviceClientID = "regbridge-cli"

// deviceClient turns the example's confidential, device-only client into a
// public native client that may also redeem refresh tokens.
type deviceClient struct{ op.Client }

func (deviceClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeDeviceCode, oidc.GrantTypeRefreshToken}
}
func (deviceClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (deviceClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }

// launcherStorage hands out deviceClient for deviceClientID, and records
// the user ID (not the login name the example's device page passes) as the
// subject of a completed device authorization, so that its ID token can be
// minted.
type launcherStorage struct {
	*storage.Storage
	users storage.UserStore
}

// CreateAccessAndRefreshTokens gives the refresh token of a device
// authorization its client and user: the example storage knows them only
// for code-flow and refresh requests.
func (s launcherStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	if d, ok := req.(*op.DeviceAuthorizationState); ok && current == "" {
		req = storage.RefreshTokenRequestFromBusiness(&storage.RefreshToken{ApplicationID: d.ClientID, UserID: d.Subject,
			Audience: d.GetAudience(), Scopes: d.Scopes, AuthTime: d.AuthTime, AMR: d.AMR})
	}
	return s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
}

func (s launcherStorage) CompleteDeviceAuthorization(ctx context.Context, userCode, username string) error {
	u := s.users.GetUserByUsername(username)
	if u == nil {
		return fmt.Errorf("user %q not found", username)
	}
	return s.Storage.CompleteDeviceAuthorization(ctx, userCode, u.ID)
}

func (s launcherStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != deviceClientID {
		return c, err
	}
	return deviceClient{c}, nil
}

const oidcModule = "github.com/zitadel/oidc/v3"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println(oidcModule, moduleVersion(oidcModule))
		return
	}
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: zitadelop [-version]  (environment: ZOP_ADDR, REDIRECT_URI)")
		os.Exit(2)
	}
	addr := os.Getenv("ZOP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:9998"
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "zitadelop: ZOP_ADDR %q must be a loopback IP and a port\n", addr)
		os.Exit(2)
	}
	cb := os.Getenv("REDIRECT_URI")
	if cb == "" {
		cb = "http://localhost:9999/auth/callback"
	}
	issuer := "http://" + addr + "/"
	storage.RegisterClients(storage.WebClient("web", "secret", cb), storage.WebClient("api", "secret", cb),
		storage.DeviceClient(deviceClientID, ""))
	users := storage.NewUserStore(issuer)
	st := launcherStorage{Storage: storage.NewStorage(users), users: users}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	router := exampleop.SetupServer(issuer, st, logger, false)
	logger.Info("listening", "issuer", issuer, "oidc", moduleVersion(oidcModule))
	srv := &http.Server{Addr: addr, Handler: router, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("serve", "error", err)
		os.Exit(1)
	}
}

// moduleVersion returns the version of module path linked into the binary.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Version + " => " + d.Replace.Path + " " + d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}
