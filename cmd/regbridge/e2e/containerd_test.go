package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// containerdConfig is a containerd 1.6 configuration with nothing but the
// content store, the metadata store and the image service: no CRI plugin,
// no snapshotter that needs a kernel feature, no TCP listener (the debug
// and metrics addresses are empty, so only the unix sockets exist). The
// placeholders are the root, state and socket paths.
const containerdConfig = `version = 2
root = %q
state = %q
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
`

// startContainerd starts a containerd as root with its own root, state and
// socket under a short temporary directory (a unix socket path has at most
// 107 bytes, which t.TempDir paths can exceed), waits until its socket
// accepts connections and returns the socket's path. It is stopped when the
// test ends.
func startContainerd(t *testing.T) string {
	t.Helper()
	bin := needTool(t, toolContainerd)
	dir, err := os.MkdirTemp("", "ctd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "c.sock")
	cfg := filepath.Join(dir, "config.toml")
	writeFile(t, cfg, fmt.Sprintf(containerdConfig, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc"))
	// Registered after the directory's cleanup, so it runs before it.
	p := startProc(t, "containerd", dir, baseEnv(dir), bin, "--config", cfg)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, err := p.exited(); done {
			t.Fatalf("containerd exited before it was ready (%v):\n%s", err, tailFile(p.log, 40))
		}
		if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			c.Close()
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd not ready after 30s:\n%s", tailFile(p.log, 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
