#!/usr/bin/env bash
# Builds a local stand-in for the official node:24-bookworm-slim image, for machines that cannot
# pull from a registry (CI): the small base image (Debian minbase + git, curl, ca-certificates) with
# Node.js 24 and npm taken from the machine image. Errand's own image builds FROM it:
#   docker build --build-arg NODE_IMAGE=errand-node:24 .
# Usage: scripts/node-image.sh [IMAGE:TAG]   (default: errand-node:24; needs errand-base:bookworm
# and errand-machine:bookworm, see base-image.sh and machine-image.sh)
set -euo pipefail
image="${1:-errand-node:24}"
base="${ERRAND_NODE_IMAGE_BASE:-errand-base:bookworm}"
machine="${ERRAND_NODE_IMAGE_FROM:-errand-machine:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "node image $image already present"
  exit 0
fi
docker build --quiet --tag "$image" - >/dev/null <<DOCKERFILE
FROM $machine AS machine
FROM $base
COPY --from=machine /usr/local/bin/node /usr/local/bin/node
COPY --from=machine /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
DOCKERFILE
echo "node image $image built ($(docker run --rm --network none "$image" node --version))"
