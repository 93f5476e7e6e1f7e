# roadmap-sync worker image.
#
#   docker build -t roadmap-sync .
#   docker run -d --name roadmap-sync -p 8080:8080 -v roadmap-sync-data:/data \
#     --read-only --tmpfs /tmp \
#     -e ROADMAP_SYNC_JIRA_URL=https://acme.atlassian.net -e ROADMAP_SYNC_JIRA_EMAIL=bot@acme.com \
#     -v "$PWD/roadmap.yaml:/app/roadmap.yaml:ro" -e ROADMAP_SYNC_CONFIG=/app/roadmap.yaml \
#     -v "$PWD/jira_token:/run/secrets/roadmap_sync_jira_token:ro" \
#     roadmap-sync                      # runs `roadmap-sync serve`
#   docker run --rm roadmap-sync demo   # the whole product on a built-in sandbox Jira
#
# The image runs as uid/gid 10001 and writes only to /data (state database, reports; also HOME)
# and /tmp. It works with a read-only root filesystem: pass `--read-only --tmpfs /tmp` (Docker,
# Podman) or `readOnlyRootFilesystem: true` plus an emptyDir at /tmp (Kubernetes). A host
# directory mounted at /data must be writable by uid 10001 (`chown 10001:10001 DIR`, or Podman's
# `-v DIR:/data:U`); named volumes get the right owner from the image.
#
# Build arguments: BASE (the Python base image; builder and final stage use the same one, since
# the virtualenv's interpreter is a symlink into it), VERSION, REVISION, CREATED, SOURCE (OCI
# labels), and PIP_INDEX_URL / PIP_EXTRA_INDEX_URL for a package mirror (empty means pip's
# default; seen only by the builder stage, never stored in the final image).

ARG BASE=python:3.12-slim

# ---- builder: a virtualenv with roadmap-sync and its dependencies -----------------------------
FROM ${BASE} AS build

ARG PIP_INDEX_URL=
ARG PIP_EXTRA_INDEX_URL=
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
RUN python3 -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY roadmap_sync/ ./roadmap_sync/
# The final image needs no installer: pip and setuptools leave the virtualenv after the install.
RUN /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools wheel \
    && /opt/venv/bin/roadmap-sync --version

# ---- final: the virtualenv, the example roadmaps, a non-root user ------------------------------
FROM ${BASE}

ARG BASE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="roadmap-sync" \
      org.opencontainers.image.description="Keep a Jira backlog honest to a goal-oriented product roadmap: a worker that labels Jira issues by roadmap release." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="${BASE}"

RUN groupadd --gid 10001 roadmap \
    && useradd --no-log-init --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin roadmap \
    && mkdir -p /data /app \
    && chown 10001:10001 /data \
    && chmod 0750 /data

COPY --from=build /opt/venv /opt/venv
COPY config/ /app/config/

# HOME and caches point at the writable places; nothing writes .pyc files at run time (the
# virtualenv's were compiled at build time). `serve` listens on all interfaces of the container
# (its default outside a container is loopback), port 8080.
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/data \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    ROADMAP_SYNC_DATA_DIR=/data \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ROADMAP_SYNC_HTTP_HOST=0.0.0.0 \
    ROADMAP_SYNC_HTTP_PORT=8080

# /app holds config/roadmap.example.yaml, which `roadmap-sync demo` looks for in the working dir.
WORKDIR /app
VOLUME /data
USER 10001:10001
EXPOSE 8080

# `serve` answers GET /healthz on ROADMAP_SYNC_HTTP_PORT (8080). Python's urllib, not curl, so the
# image needs no extra tools; the empty ProxyHandler keeps an HTTP(S)_PROXY out of the way. Any
# error or non-2xx answer exits non-zero, which marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:%s/healthz' % os.environ.get('ROADMAP_SYNC_HTTP_PORT', '8080'), timeout=4).close()"]

ENTRYPOINT ["roadmap-sync"]
CMD ["serve"]
