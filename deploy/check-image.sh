#!/usr/bin/env bash
# Builds the container image from the Containerfile and runs it once with
# podman (no Docker engine needed): the image must start and print its
# version. Used by .ci/run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=localhost/regbridge:ci
# vfs: the storage driver that works without overlay mounts (nested
# containers, CI sandboxes).
export STORAGE_DRIVER=vfs
bash "$repo/deploy/build-image.sh" "$tag"
# runc instead of crun (cgroups in hybrid mode) and explicit ulimits at or
# below the host's hard limits: what these machines need for rootful podman.
out=$(podman --storage-driver vfs --runtime runc run --rm --network host \
	--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$tag" version)
echo "$out"
grep -q '^regbridge ' <<<"$out" || { echo "the image did not print its version" >&2; exit 1; }
buildah --storage-driver vfs rmi "$tag" >/dev/null 2>&1 || true
echo "container image ok: $out"
