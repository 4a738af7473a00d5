package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/regbridge/regbridge/bridge"
)

// refreshCommand revokes refresh tokens in the shared state store.
func refreshCommand() *cli.Command {
	return &cli.Command{
		Name:  "refresh",
		Usage: "manage refresh tokens",
		Subcommands: []*cli.Command{{
			Name:  "revoke",
			Usage: "refuse the refresh tokens of a subject, a CI run or job, or one token, at every replica sharing the state: store",
			Flags: []cli.Flag{
				configFlag,
				&cli.StringFlag{Name: "provider", Usage: "provider id (with --subject or --claim)"},
				&cli.StringFlag{Name: "subject", Usage: "the subject (the registry token's sub)"},
				&cli.StringFlag{Name: "claim", Usage: "a job claim: run_id, job_id or pipeline_id (with --value)"},
				&cli.StringFlag{Name: "value", Usage: "the job claim's value"},
				&cli.StringFlag{Name: "id", Usage: "one refresh token's id (the audit log's refresh_id)"},
			},
			Action: runRefreshRevoke,
		}},
	}
}

func runRefreshRevoke(c *cli.Context) error {
	cfg, err := loadConfig(c.String("config"), environ())
	if err != nil {
		return err
	}
	if !cfg.State.enabled() {
		return errors.New("refresh revoke: the configuration has no state: store, so each replica keeps its refresh-token state in memory; " +
			"POST the same fields to /admin/refresh/revoke on every replica's admin listener (observability.metrics_listen)")
	}
	backend, err := newReplayBackend(cfg.State, time.Now, slog.New(slog.NewTextHandler(c.App.ErrWriter, nil)))
	if err != nil {
		return err
	}
	defer backend.close()
	rev := bridge.Revocation{Provider: c.String("provider"), Subject: c.String("subject"), Claim: c.String("claim"),
		Value: c.String("value"), TokenID: c.String("id")}
	at := time.Now()
	if err := bridge.RevokeRefresh(c.Context, backend.refresh, rev, at); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "revoked: refresh tokens issued up to %s are refused from their next redemption on\n", at.UTC().Format(time.RFC3339))
	return nil
}
