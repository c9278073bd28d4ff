# syntax=docker/dockerfile:1
# One image for the API (`ecoplane serve`, the default command) and every worker
# (`python -m workers.<name>`, e.g. workers.security_sync), as Kubernetes Jobs run it.
#
# The base is pinned by tag and digest: the tag says what it is, the digest makes the build
# repeatable (a tag can be re-pushed, a digest cannot). Refresh both together:
#   docker buildx imagetools inspect python:3.11.11-slim-bookworm
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

# --- builder: a virtual environment with ecoplane and its dependencies, nothing else ------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/ecoplane
# every dependency pinned and hashed (`make lock` writes the file from pyproject.toml): a
# package whose bytes differ from the lock's hashes stops the build
COPY deploy/requirements.lock ./
RUN /opt/ecoplane/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY workers ./workers
# a regular (not editable) install of ecoplane alone, built with the locked setuptools; pip
# check proves the lock holds everything it needs; pip leaves with the stage
RUN /opt/ecoplane/bin/pip install --no-deps --no-build-isolation . \
 && /opt/ecoplane/bin/pip check \
 && /opt/ecoplane/bin/pip uninstall --yes pip \
 && /opt/ecoplane/bin/python -m compileall -q /opt/ecoplane/lib

# --- final: the venv, git (the model repository is fetched with the git CLI), a non-root user --
FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="ecoplane" \
      org.opencontainers.image.description="The control plane of a data ecosystem: the API and its job workers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/ecoplane/ecoplane" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.11-slim-bookworm"
# Debian's security updates replace these packages' versions, so they are not pinned (DL3008):
# the base image's digest pins the release they come from
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install --yes --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ecoplane \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/ecoplane --create-home \
            --shell /usr/sbin/nologin ecoplane \
 && install --directory --owner 10001 --group 10001 /var/lib/ecoplane
COPY --from=builder /opt/ecoplane /opt/ecoplane
# production sets ECOPLANE_DATABASE_URL; without it ecoplane starts its embedded PostgreSQL
# under ECOPLANE_DATA_DIR (fine for a try-out, not for production)
ENV PATH=/opt/ecoplane/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/ecoplane \
    ECOPLANE_DATA_DIR=/var/lib/ecoplane
WORKDIR /home/ecoplane
# numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
USER 10001:10001
EXPOSE 8000
# python, not curl: the image carries no HTTP client tools
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["ecoplane", "serve", "--host", "0.0.0.0", "--port", "8000"]
