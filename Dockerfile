# Errand's own image, for `docker compose up`. The worker drives the host's Docker engine through
# DOCKER_HOST (see docker-compose.yml); agent containers are siblings, never children.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git tmux docker.io && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
ENV NODE_ENV=production ERRAND_HOST=0.0.0.0
EXPOSE 3000
CMD ["node", "bin/errand.js", "start"]
