package main

import (
	"io"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the token server (with no --config: the quick-start)",
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "listen", Usage: "listen address (overrides the config; quick-start default " + quickStartListen + ", env REGBRIDGE_LISTEN)"},
			&cli.StringFlag{Name: "data-dir", Value: "./regbridge-data", Usage: "quick-start: where the key and certificate are created"},
			&cli.StringFlag{Name: "public-url", Usage: "quick-start: the URL clients reach this server at (default http://localhost:PORT; env REGBRIDGE_PUBLIC_URL)"},
			&cli.StringFlag{Name: "service", Value: "registry.local", Usage: "quick-start: the registry's auth.token.service"},
		},
		Action: runServe,
	}
}

func newLogger(w io.Writer, cfg LogConfig) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(cfg.Level)); err != nil || cfg.Level == "" {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(c *cli.Context) error {
	env := environ()
	path := c.String("config")
	var cfg *Config
	var err error
	if path == "" {
		cfg, err = quickStartConfig(c, env, c.App.Writer)
	} else {
		cfg, err = loadConfig(path, env)
	}
	if err != nil {
		return err
	}
	log := newLogger(c.App.ErrWriter, cfg.Log)
	applyGC(env, log)
	rt, err := newRuntime(cfg, env, log, time.Now)
	if err != nil {
		return err
	}
	rt.listen = c.String("listen")
	return rt.run(c.Context)
}
