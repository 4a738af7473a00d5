package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// The shell scripts ask the binary itself for completions through
// urfave/cli's hidden --generate-bash-completion flag (EnableBashCompletion),
// so they never go stale when commands or flags change. They follow the
// scripts urfave/cli ships in its autocomplete directory (MIT licence),
// without their dependency on the bash-completion package.
const bashCompletion = `# bash completion for regbridge: source <(regbridge completion bash)
_regbridge_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n'
  local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
  fi
}
complete -o bashdefault -o default -F _regbridge_complete regbridge
`

const zshCompletion = `#compdef regbridge
# zsh completion for regbridge: regbridge completion zsh > "${fpath[1]}/_regbridge"
_regbridge() {
  local -a opts
  local cur=${words[-1]}
  if [[ $cur == -* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} $cur --generate-bash-completion)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion)}")
  fi
  if [[ -n ${opts[1]} ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _regbridge regbridge
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(regbridge completion bash), or save it as /etc/bash_completion.d/regbridge\n" +
			"zsh:  regbridge completion zsh > \"${fpath[1]}/_regbridge\"\n" +
			"fish: regbridge completion fish > ~/.config/fish/completions/regbridge.fish",
		BashComplete: func(c *cli.Context) {
			if c.NArg() == 0 {
				fmt.Fprintln(c.App.Writer, "bash\nzsh\nfish")
			}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("completion: name one shell: bash, zsh or fish")
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion)
			case "zsh":
				fmt.Fprint(c.App.Writer, zshCompletion)
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("completion: fish: %w", err)
				}
				fmt.Fprint(c.App.Writer, strings.TrimRight(script, "\n")+"\n")
			default:
				return fmt.Errorf("completion: %q: the shells are bash, zsh and fish", shell)
			}
			return nil
		},
	}
}
