# syntax=docker/dockerfile:1
# intercom-cdc container image.
# Contract: runs as uid/gid 10001, needs no writable path but /tmp (works with a read-only root
# filesystem), tini is PID 1 and forwards SIGTERM to node (exit codes: 0 clean stop, 1 failure,
# 2 config/auth error, 3 fenced), one HTTP port (HTTP_PORT, default 8080): /healthz /readyz /metrics.
# Base: Node 22 LTS (maintained until April 2027), pinned by digest for reproducible builds. The digest
# is the node:22-bookworm-slim index seen pinned in public Dockerfiles; no Docker engine here checked it
# against Docker Hub. Update both together: --build-arg NODE_IMAGE=node:22-bookworm-slim@sha256:…
ARG NODE_IMAGE=node:22-bookworm-slim@sha256:43ac6c60b8f89723f746e8a92ce91abd5017e627ce1ddfe4238355d3a30b772c
ARG VERSION=0.1.0

# ---- build: all dependencies, compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ARG VERSION
LABEL org.opencontainers.image.title="intercom-cdc" \
  org.opencontainers.image.description="Streams an Intercom workspace into Kafka as Avro change events, exactly once." \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.licenses="MIT" \
  org.opencontainers.image.base.name="node:22-bookworm-slim"
# tini from Debian: PID 1 that forwards signals and reaps zombies. Not version-pinned on purpose:
# bookworm's security updates replace old package versions, and a pin would break rebuilds.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && printf '#!/bin/sh\nexec node --max-semi-space-size=16 /app/dist/src/main.js "$@"\n' > /usr/local/bin/intercom-cdc \
  && chmod 0755 /usr/local/bin/intercom-cdc
ENV NODE_ENV=production \
  HTTP_PORT=8080 \
  HOME=/tmp \
  TMPDIR=/tmp
WORKDIR /app
# Everything under /app stays owned by root and read-only for the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY config ./config
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --max-semi-space-size=16: Node sizes its heap from the container's memory limit, and in a 512 MiB
# container it picks a young generation so small that a first sync spent 14–32 % more CPU per event
# collecting garbage (bench/RESULTS.md, the runs with --memory-limit-mb; the chart README's sizing);
# 16 MB semi-spaces (V8's own size on a large host) cost 63–78 MB of RSS there and give that CPU back.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=16", "/app/dist/src/main.js"]
CMD ["run"]
