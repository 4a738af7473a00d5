// Command fakemeta runs the srhttest fake meta.sr.ht on loopback, for trying
// regbridge's sourcehut provider by hand or from scripts. It prints its URL
// and one builds.sr.ht-style token per user, and serves
// GET /_fake/mint?username=&grants=&client_id=&ttl= for more.
//
// Anyone who can reach it can mint tokens it accepts, so it listens on
// loopback only.
//
//	go run ./providers/sourcehut/srhttest/fakemeta -listen 127.0.0.1:8765 \
//	    -users jdoe,alice -grants registry.example.com:5000/REGISTRY:RW
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/regbridge/regbridge/providers/sourcehut/srhttest"
	"github.com/regbridge/regbridge/providers/upstream"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fakemeta:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("fakemeta", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8765", "loopback address to listen on")
	users := fs.String("users", "jdoe", "comma-separated active usernames")
	suspended := fs.String("suspended", "", "comma-separated suspended usernames")
	grants := fs.String("grants", "registry.example.com/REGISTRY:RW", "grants of the printed tokens")
	ttl := fs.Duration("ttl", 45*time.Minute, "lifetime of the printed tokens")
	key := fs.String("private-key", srhttest.TestPrivateKey, "base64 Ed25519 seed the bearer key is derived from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	if !upstream.IsLoopback(host) {
		return fmt.Errorf("-listen: %q is not a loopback address", *listen)
	}
	var table []srhttest.User
	var active []string
	for _, u := range strings.Split(*users, ",") {
		if u = strings.TrimSpace(u); u != "" {
			table = append(table, srhttest.User{Username: u})
			active = append(active, u)
		}
	}
	for _, u := range strings.Split(*suspended, ",") {
		if u = strings.TrimSpace(u); u != "" {
			table = append(table, srhttest.User{Username: u, Suspended: true, Notice: "suspended by fakemeta"})
		}
	}
	if table == nil {
		table = []srhttest.User{}
	}
	srv, err := srhttest.Start(srhttest.Options{PrivateKey: *key, Users: table, Addr: *listen, MintEndpoint: true})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("fake meta.sr.ht listening on %s (meta_url: %s)\n", srv.URL, srv.URL)
	for _, u := range active {
		fmt.Printf("token for %s (%s, %s): %s\n", u, *grants, *ttl, srv.MintBuilds(u, *grants, *ttl))
	}
	fmt.Printf("more: curl '%s/_fake/mint?username=jdoe&grants=%s&ttl=1h'\n", srv.URL, *grants)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
