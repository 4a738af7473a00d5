package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// layerTar returns an uncompressed tar holding one file with content, as
// `crane append -f` takes it.
func layerTar(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeLayerTar writes layerTar into dir and returns its path.
func writeLayerTar(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name+".tar")
	if err := os.WriteFile(path, layerTar(t, name, content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// writeOCILayout writes an OCI image layout at dir holding one single-layer
// image tagged tag, whose layer carries content, and returns the manifest
// digest. skopeo copies it with `oci:DIR:TAG`.
func writeOCILayout(t *testing.T, dir, tag, content string) string {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		d := digestOf(b)
		if err := os.WriteFile(filepath.Join(blobs, d[len("sha256:"):]), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return d
	}
	raw := layerTar(t, "content.txt", content)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	layer := gz.Bytes()
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digestOf(raw)}},
		"config":       map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: put(config), Size: len(config)},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: put(layer), Size: len(layer)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	md := put(manifest)
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"manifests": []descriptor{{
			MediaType:   "application/vnd.oci.image.manifest.v1+json",
			Digest:      md,
			Size:        len(manifest),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": tag},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "index.json"), string(index))
	writeFile(t, filepath.Join(dir, "oci-layout"), `{"imageLayoutVersion":"1.0.0"}`)
	return md
}
