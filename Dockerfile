# One image for the four services; the Deployment's args pick the service (services/<stage>/main.ts).
# Not built in this project's CI (no container engine there): `docker build -t webtrail:0.1.0 .`
FROM node:20-bookworm-slim

# Chromium from Debian for the generator and the rollout (the browser environment), fonts for pages.
# Pinned to what bookworm served when this was last checked (`npm run lint:docker` says which pins have
# moved on). Debian replaces a Chromium security release with the next and drops the old one, so a build
# that stops finding it is told to take the new version: --build-arg CHROMIUM_VERSION=<apt-cache policy>.
ARG CHROMIUM_VERSION=156.0.8078.108-1~deb12u1
ARG CA_CERTIFICATES_VERSION=20250419~deb12u2
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      chromium=${CHROMIUM_VERSION} \
      fonts-dejavu-core=2.37-6 \
      fonts-liberation=1:1.07.4-11 \
      ca-certificates=${CA_CERTIFICATES_VERSION} \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    WEBTRAIL_CHROMIUM=/usr/bin/chromium \
    WEBTRAIL_HOME=/var/lib/webtrail \
    KAFKAJS_NO_PARTITIONER_WARNING=1

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY schemas ./schemas
COPY platform ./platform
COPY bus ./bus
COPY browser ./browser
COPY dataset ./dataset
COPY llm ./llm
COPY services ./services
COPY prompts ./prompts
COPY cli ./cli
COPY dashboard ./dashboard
COPY bin ./bin
COPY sandbox ./sandbox
COPY scripts ./scripts
COPY tsconfig.json ./

RUN mkdir -p /var/lib/webtrail && chown node:node /var/lib/webtrail
# Numeric, so Kubernetes can check runAsNonRoot against the image (the node user of the base image).
USER 1000:1000

# TypeScript runs through tsx (no build step); SIGTERM reaches node directly, so the stage drains.
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["services/rollout/main.ts"]
