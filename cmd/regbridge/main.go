// Command regbridge is a token server for Docker/OCI registries: it turns
// credentials people and CI jobs already hold into short-lived registry
// tokens scoped by a policy file.
//
// Commands: serve, check, explain, keygen, jwks, registry-config, version.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the binary reports what its build info records (see versionOf).
var version = "dev"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "regbridge:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "regbridge",
		Usage:   "token server for Docker/OCI registries",
		Version: buildVersion(),
		// Shell completion (regbridge completion bash|zsh|fish) asks the
		// binary through the hidden --generate-bash-completion flag.
		EnableBashCompletion: true,
		Commands: []*cli.Command{
			serveCommand(),
			checkCommand(),
			explainCommand(),
			keygenCommand(),
			jwksCommand(),
			registryConfigCommand(),
			refreshCommand(),
			initCommand(),
			completionCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					cli.ShowVersion(c)
					return nil
				},
			},
		},
	}
}

// environ returns the process environment as a map.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

var configFlag = &cli.StringFlag{
	Name:    "config",
	Aliases: []string{"c"},
	Usage:   "configuration file (regbridge.yaml)",
	EnvVars: []string{"REGBRIDGE_CONFIG"},
}
