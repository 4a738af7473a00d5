package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionPrintsAScriptForEachShellAndRefusesOthers(t *testing.T) {
	for _, tc := range []struct{ shell, want string }{
		{"bash", "complete -o bashdefault -o default -F _regbridge_complete regbridge"},
		{"zsh", "compdef _regbridge regbridge"},
		{"fish", "complete -c regbridge"},
	} {
		out, err := run(t, "completion", tc.shell)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("completion %s: %v, want a script containing %q:\n%s", tc.shell, err, tc.want, out)
		}
	}
	out, err := run(t, "completion", "fish")
	if err != nil || !strings.Contains(out, "init") || !strings.Contains(out, "-l provider") {
		t.Errorf("the fish script does not know the init command and its flags: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"completion"}, {"completion", "powershell"}, {"completion", "bash", "zsh"}} {
		if _, err := run(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestTheBashScriptCompletesWithTheBuiltBinary sources the bash script in a
// real bash against a built regbridge, as an interactive shell would.
func TestTheBashScriptCompletesWithTheBuiltBinary(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "regbridge"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := `source <(regbridge completion bash)
complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _regbridge_complete; echo "${COMPREPLY[*]}"; }
complete_words regbridge regi
complete_words regbridge init --for
complete_words regbridge completion ""
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	want := []string{"registry-config", "--force", "bash zsh fish"}
	if len(lines) != len(want) {
		t.Fatalf("bash completions:\n%s\nwant %d lines", out, len(want))
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("completion %d: got %q, want %q", i+1, lines[i], w)
		}
	}
}

// TestTheZshScriptCompletesWithTheBuiltBinary runs the zsh script's
// function in a real zsh against a built regbridge, with zsh's completion
// builtins (_describe, _files, compdef) replaced by functions that print
// what they were given. Without zsh the test skips, unless
// REGBRIDGE_E2E_REQUIRED=1 (.ci/run), where it fails.
func TestTheZshScriptCompletesWithTheBuiltBinary(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		if os.Getenv("REGBRIDGE_E2E_REQUIRED") == "1" {
			t.Fatal("zsh is not installed (REGBRIDGE_E2E_REQUIRED=1; run .ci/install-tools)")
		}
		t.Skip("zsh is not installed (run .ci/install-tools)")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "regbridge"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := `compdef() { print -r -- "compdef $*" }
_describe() { print -r -- "${(j: :)opts}" }
_files() { print -r -- "(files)" }
source <(regbridge completion zsh)
complete_words() { local -a words; words=("$@"); _regbridge }
complete_words regbridge regi
complete_words regbridge init --for
complete_words regbridge completion ""
`
	cmd := exec.Command(zsh, "-f", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "compdef _regbridge regbridge" {
		t.Fatalf("zsh output:\n%s\nwant the compdef line and 3 completions", out)
	}
	for i, want := range []string{"registry-config", "--force", "bash zsh fish"} {
		if !strings.Contains(" "+lines[i+1]+" ", " "+want+" ") {
			t.Errorf("completion %d: got %q, want it to offer %q", i+1, lines[i+1], want)
		}
	}
}
