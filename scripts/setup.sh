#!/usr/bin/env bash
# One-time machine setup for a local Errand on Debian/Ubuntu: system packages, a Docker engine,
# the small base image and the machine image agents start from. Safe to run again: it skips what is already there.
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
# docker-compose.yml is tested with Debian's Compose v1 (test/e2e/compose.test.ts).
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "missing: ${need[*]}. Install them with your package manager, then run this again." >&2
    exit 1
  fi
  echo "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A Docker engine with user namespaces: agents may use sudo in their machines, so root in a
# machine must not be root on the host. `userns-remap: default` makes dockerd map container uids to
# an unprivileged range (root in a container is uid 100000 on the host). It is daemon-wide: images
# move to /var/lib/docker/100000.100000 (the images below are built again there) and
# `--network host` is refused. ERRAND_SETUP_USERNS=0 leaves the engine as it is (then sudo is off).
docker_flags=(--bridge=none --iptables=false --ip6tables=false)
isolated() { docker info --format '{{json .SecurityOptions}}' 2>/dev/null | grep -Eq 'name=(userns|rootless)'; }
with_systemd() { command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }
want_userns=true
[ "${ERRAND_SETUP_USERNS:-1}" = 0 ] && want_userns=false
set_daemon_json() {
  # Merge "userns-remap": "default" into /etc/docker/daemon.json, keeping what is there.
  $sudo mkdir -p /etc/docker
  $sudo node -e '
    const fs = require("fs"); const path = "/etc/docker/daemon.json";
    let config = {}; try { config = JSON.parse(fs.readFileSync(path, "utf8")); } catch {}
    if (!config["userns-remap"]) { config["userns-remap"] = "default"; fs.writeFileSync(path, JSON.stringify(config, null, 2) + "\n"); }
  '
}
start_dockerd() {
  if with_systemd; then
    $want_userns && set_daemon_json
    $sudo systemctl restart docker
  else
    mkdir -p .errand-data
    local flags=("${docker_flags[@]}")
    # The flag, not daemon.json: dockerd refuses a setting given both ways.
    if $want_userns && ! grep -q userns-remap /etc/docker/daemon.json 2>/dev/null; then flags+=(--userns-remap=default); fi
    echo "starting dockerd ${flags[*]} (log: .errand-data/dockerd.log)"
    # No bridge: agent containers use network none (or host when configured); see docs.
    $sudo sh -c "nohup dockerd ${flags[*]} >.errand-data/dockerd.log 2>&1 &"
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up: see .errand-data/dockerd.log" >&2; exit 1; }
}

if ! docker info >/dev/null 2>&1; then
  start_dockerd
elif $want_userns && ! isolated; then
  echo "Docker runs without user namespaces: restarting it with userns-remap so root in an agent's machine is not root on the host"
  echo "(containers of this engine stop; its images stay under /var/lib/docker and are rebuilt in the remapped storage)"
  if with_systemd; then
    start_dockerd
  elif [ -f /var/run/docker.pid ]; then
    $sudo kill "$(cat /var/run/docker.pid)"
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 || break; sleep 0.5; done
    start_dockerd
  else
    echo "could not restart dockerd (no systemd, no /var/run/docker.pid): restart it with --userns-remap=default yourself" >&2
  fi
fi
if isolated; then
  echo "Docker isolation: $(docker info --format '{{json .SecurityOptions}}' | grep -Eo 'userns|rootless' | head -1) (sudo works in agents' machines)"
else
  echo "Docker isolation: none (sudo is off in agents' machines; see docs/sandbox.md)"
fi

# The small image (tests, the egress sidecar) and the default machine agents run in.
$sudo bash scripts/base-image.sh errand-base:bookworm
$sudo bash scripts/machine-image.sh errand-machine:bookworm
# Local stand-ins for node:24-bookworm-slim and redis:7-bookworm, which cannot be pulled here: the
# compose test builds Errand's image FROM errand-node:24 and runs Redis from errand-redis:bookworm.
bash scripts/node-image.sh errand-node:24
$sudo bash scripts/redis-image.sh errand-redis:bookworm
echo "setup done: run 'npm start'"
