#!/usr/bin/env bash
# Builds a local stand-in for the official redis image from Debian's mirror (Debian's redis-server,
# data in /data), for machines that cannot pull from a registry (CI runs docker-compose.yml with
# REDIS_IMAGE=errand-redis:bookworm). Elsewhere compose uses the official redis image.
# Usage: scripts/redis-image.sh [IMAGE:TAG]   (default: errand-redis:bookworm). Run as root.
set -euo pipefail
image="${1:-errand-redis:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "redis image $image already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
echo "building redis image $image from Debian bookworm (about 20-60 s)"
debootstrap --variant=minbase --include=redis-server,redis-tools bookworm "$rootfs" "${ERRAND_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
mkdir -p "$rootfs/data"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'WORKDIR /data' \
  --change 'EXPOSE 6379' \
  --change 'CMD ["redis-server", "--dir", "/data"]' \
  - "$image" >/dev/null
echo "redis image $image built"
