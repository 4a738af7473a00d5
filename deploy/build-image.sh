#!/usr/bin/env bash
# Builds the regbridge container image with buildah (no Docker engine
# needed). Usage: deploy/build-image.sh [TAG]
# The image goes to the store `podman run` reads: buildah is given podman's
# storage driver (podman keeps the one its store was created with, which
# can differ from buildah's default), or $STORAGE_DRIVER when set.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=${1:-localhost/regbridge:latest}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$repo"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(git describe --always --dirty 2>/dev/null || echo dev)" \
	-o "$ctx/regbridge" ./cmd/regbridge
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
cp Containerfile "$ctx/"
driver=${STORAGE_DRIVER:-$(podman info --format '{{.Store.GraphDriverName}}' 2>/dev/null || true)}
buildah ${driver:+--storage-driver "$driver"} bud --isolation chroot -f "$ctx/Containerfile" -t "$tag" "$ctx"
echo "built $tag"
