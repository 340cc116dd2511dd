#!/usr/bin/env bash
# Builds Errand's local base image from Debian's mirror (no registry needed), once.
# Usage: scripts/base-image.sh [IMAGE:TAG]   (default: errand-base:bookworm)
set -euo pipefail
image="${1:-errand-base:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
echo "building base image $image from Debian bookworm (about 20-60 s)"
debootstrap --variant=minbase --include=git,ca-certificates,tmux,curl,procps,ripgrep,socat bookworm "$rootfs" >/dev/null
# An unprivileged user for the agent's commands.
chroot "$rootfs" useradd --create-home --uid 1000 --shell /bin/bash errand
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  - "$image" >/dev/null
echo "base image $image built"
