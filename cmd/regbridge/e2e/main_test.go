package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// regbridgeBin is the binary built once by TestMain; buildErr says why it is
// missing.
var (
	regbridgeBin string
	buildErr     error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(envTools) == "" {
		return m.Run()
	}
	if bin := os.Getenv(envBin); bin != "" {
		// A binary built elsewhere (a release build, say) instead of the
		// working tree's.
		regbridgeBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "regbridge-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	regbridgeBin = filepath.Join(dir, "regbridge")
	cmd := exec.Command("go", "build", "-o", regbridgeBin, "github.com/regbridge/regbridge/cmd/regbridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
	return m.Run()
}
