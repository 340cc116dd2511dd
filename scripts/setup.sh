#!/usr/bin/env bash
# One-time machine setup for a local Errand on Debian/Ubuntu: system packages, a Docker engine,
# and the base image agents start from. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v git >/dev/null || need+=(git)
command -v tmux >/dev/null || need+=(tmux)
# The dashboard's browser tests drive Debian's Chromium through playwright-core.
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "missing: ${need[*]}. Install them with your package manager, then run this again." >&2
    exit 1
  fi
  echo "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A Docker engine: use the running one, else start one (systemd where there is one).
if ! docker info >/dev/null 2>&1; then
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl start docker
  else
    mkdir -p .errand-data
    echo "starting dockerd (log: .errand-data/dockerd.log)"
    # No bridge: agent containers use network none (or host when configured); see docs.
    $sudo sh -c 'nohup dockerd --bridge=none --iptables=false --ip6tables=false >.errand-data/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up: see .errand-data/dockerd.log" >&2; exit 1; }
fi

$sudo bash scripts/base-image.sh "${ERRAND_BASE_IMAGE:-errand-base:bookworm}"
echo "setup done: run 'npm start'"
