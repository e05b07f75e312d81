# syntax=docker/dockerfile:1
#
# Onboard: a small image that runs `onboard-bot run` as a non-root user.
#
#   docker build -t onboard .
#   docker run -p 3000:3000 -v onboard-data:/data \
#     -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_SIGNING_SECRET=… onboard
#
# The SQLite database (the default) lives in the /data volume; set DATABASE_URL for Postgres.

# The base image, pinned to a patch release and to the digest of its multi-platform index
# (amd64 and arm64), so every build starts from the same bytes. To update it (monthly, or when
# a Python or Debian security release comes out):
#   1. pick the newest 3.11.x at https://hub.docker.com/_/python (tag 3.11.x-slim-bookworm);
#   2. docker buildx imagetools inspect python:3.11.x-slim-bookworm   (the "Digest:" line)
#      or: docker pull python:3.11.x-slim-bookworm && docker inspect --format \
#            '{{index .RepoDigests 0}}' python:3.11.x-slim-bookworm
#   3. replace PYTHON_IMAGE below with tag@digest, build, run `make test` against the image,
#      and commit (tests/test_packaging.py checks that it stays pinned this way).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm@sha256:86adf8dbadc3d6e82ee5dd2c74bec2e1c2467cdad47886280501df722372d2e1

# ---- stage 1: build a wheel and install it, with its dependencies, into /opt/venv ----
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# README.md* : the readme is optional, so the COPY still works without it.
COPY pyproject.toml README.md* ./
COPY bot ./bot
COPY storage ./storage

RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-cache-dir /wheels/*.whl

# ---- stage 2: the runtime, with only the venv ----
FROM ${PYTHON_IMAGE}

# Where the source lives. This repository has no public home yet (no git remote, none in the
# README), so there is no real URL to put here and no placeholder is invented: the label is
# empty unless the build names it, e.g. in CI
#   docker build --build-arg ONBOARD_SOURCE=https://github.com/<org>/onboard -t onboard .
# (registries such as GHCR link the image to that repository through this label).
ARG ONBOARD_SOURCE=""
# (An ARG given before the first FROM is seen inside a stage only when declared again.)
ARG PYTHON_IMAGE
LABEL org.opencontainers.image.title="Onboard" \
      org.opencontainers.image.description="Slack app that keeps the Alipay in-store integration checklist: reminders, digests, go-live and business-start announcements, encrypted credentials" \
      org.opencontainers.image.source="${ONBOARD_SOURCE}" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

RUN groupadd --system --gid 10001 onboard \
    && useradd --system --uid 10001 --gid onboard --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin onboard \
    && mkdir -p /data \
    && chown onboard:onboard /data

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    ONBOARD_DATA_DIR=/data \
    PORT=3000 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# A .env file is read from the working directory: mount one at /app/.env if you like.
WORKDIR /app
# /data must be writable by user id 10001. A new named volume is (Docker copies the image's
# ownership into it); a host directory mounted here needs `chown 10001:10001` on the host.
# Otherwise the start stops with one line naming /data and the user id.
VOLUME /data
EXPOSE 3000
# The onboard user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

# GET /healthz (it also checks the database); served on PORT in Socket Mode too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

ENTRYPOINT ["onboard-bot"]
CMD ["run"]
