# Errand's own image (web and worker roles), for docker-compose.yml. Build stages install every
# dependency (`deps`), keep the production ones (`prod-deps`) and compile TypeScript (`build`); the
# runtime stage holds compiled JavaScript and production dependencies only, and runs as a non-root
# user.
#
# Base images come from build arguments, so a machine that cannot pull from a registry can build
# FROM local images (CI uses errand-node:24, made by scripts/node-image.sh from Debian's mirror):
#   docker build --build-arg NODE_IMAGE=errand-node:24 -t errand:local .
# Offline builds (no network in build containers): run `npm ci` on the host, then
# `node scripts/npm-offline-cache.mjs`; the npm-cache.tar it writes here makes `npm ci` offline.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=${NODE_IMAGE}

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# npm-cache.ta[r]: the offline cache when it is there, nothing when it is not.
COPY package.json package-lock.json npm-cache.ta[r] ./
COPY scripts/npm-offline-cache.mjs scripts/
RUN set -e; \
    if [ -f npm-cache.tar ]; then \
      mkdir -p /tmp/npm-cache && tar -xf npm-cache.tar -C /tmp/npm-cache && rm npm-cache.tar; \
      node scripts/npm-offline-cache.mjs --fill-resolved package-lock.json; \
      npm ci --offline --cache /tmp/npm-cache --no-audit --no-fund; \
    else \
      npm ci --no-audit --no-fund; \
    fi; \
    rm -rf /tmp/npm-cache

# Production dependencies only: pruned once per package-lock.json, reused while sources change.
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY src src
# TSC_FLAGS=--noCheck skips type checking (CI checks types on its own).
ARG TSC_FLAGS=
RUN node scripts/build.mjs ${TSC_FLAGS}

FROM ${RUNTIME_IMAGE}
# git: the worker clones and pushes agents' repositories on this side of the sandbox.
RUN if ! command -v git >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*; \
    fi \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin errand-server
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin bin
# No root: the Docker socket is reached through its group only (compose: group_add with the
# socket's group id), and the data dir is mounted writable for uid 10001.
USER errand-server
ENV NODE_ENV=production ERRAND_HOST=0.0.0.0 PORT=3000 ERRAND_DATA_DIR=/var/lib/errand ERRAND_REDIS_AUTOSTART=false
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/errand.js", "start"]
