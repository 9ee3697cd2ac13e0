#!/usr/bin/env bash
# Builds the image from docker/Dockerfile, unchanged, with rootful podman,
# then smoke-tests it and docker/compose.yaml as a user would run them:
#   - /healthz, the dashboard byte for byte with every asset, a job run to its
#     report and a `digits` job (the resource bundle beside the binary);
#   - a non-root uid, the HEALTHCHECK, SIGTERM exiting 0;
#   - a new container on the same named volume still lists the jobs;
#   - compose with GRADSCOPE_TOKEN set (401 without it, 201 with it) and
#     unset (the server says it is open, and is);
#   - docker/compose.cluster.yaml: PostgreSQL, the migration, two replicas
#     behind nginx and two workers (stand-in postgres and nginx images, below).
#
# Stand-in base images. Where no container registry is reachable, the two
# base images the Dockerfile names are made on this machine, once, and kept
# in podman's storage; one already there (pulled, or made by an earlier run)
# is used as it is:
#   debian:bookworm-slim   debootstrap --variant=minbase from the Debian
#                          mirror apt uses, trimmed as the official slim
#                          image is (no docs, man pages or apt lists);
#   swift:6.3-bookworm     that base, the build packages the official Swift
#                          image installs, and this machine's Swift toolchain.
# They prove the Dockerfile's steps, not the official images.
#
# Where git redirects github.com to a local package mirror, the build is
# lent that mirror and a gitconfig holding the redirect (read-only mounts
# during the build; neither ends up in the image).
#
#   scripts/test-docker.sh           # GRADSCOPE_DOCKER_KEEP=1 keeps the containers
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
say() { echo "test-docker: [$((SECONDS - started)) s] $*" >&2; }
passed=0
pass() { passed=$((passed + 1)); say "ok: $*"; }
fail() { echo "test-docker: FAILED: $*" >&2; exit 1; }

scripts/install-deps.sh podman runc netavark aardvark-dns containernetworking-plugins \
  iptables catatonit debootstrap curl
scripts/python-env.sh podman-compose
compose=(.venv/bin/podman-compose -f docker/compose.yaml -p "gradscope-test-$$")

work=$(mktemp -d)
volume="gradscope-test-$$"
containers=()
cleanup() {
  if [ "${GRADSCOPE_DOCKER_KEEP:-0}" != 1 ]; then
    for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done
    "${compose[@]}" down -v >/dev/null 2>&1 || true
    podman volume rm -f "$volume" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# crun cannot set RLIMIT_NOFILE in some sandboxes and refuses hybrid cgroups;
# runc with explicit limits runs everywhere. This file is podman's, for this
# script only; nothing in /etc changes.
hard=$(ulimit -Hn)
cat > "$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"

# ------------------------------------------------------ stand-in base images
debian_image=docker.io/library/debian:bookworm-slim
swift_version=$(sed -n 's/^ARG SWIFT_VERSION=//p' docker/Dockerfile)
swift_image="docker.io/library/swift:$swift_version-bookworm"

debian_mirror() {
  # The first bookworm source apt is configured with (deb822 or one-line).
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk '/^URIs:/{u=$2} /^Suites:/&&/(^| )bookworm( |$)/{print u; exit}' "$f"
  done | head -n 1 | grep . && return
  awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null | grep .
}

if ! podman image exists "$debian_image"; then
  say "making a stand-in $debian_image with debootstrap"
  mirror=$(debian_mirror) || fail "no bookworm source in apt's configuration to debootstrap from"
  root="$work/rootfs"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  # What the official slim image leaves out, now and in later installs.
  cat > "$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$root"/usr/share/{man,info}/* "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar -C "$root" -c . | podman import --change 'CMD ["bash"]' - "$debian_image" >/dev/null
  rm -rf "$root"
fi

if ! podman image exists "$swift_image"; then
  toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
  say "making a stand-in $swift_image from $debian_image and the toolchain in $toolchain"
  cat > "$work/Containerfile.swift" <<EOF
FROM $debian_image
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      binutils libicu-dev libcurl4-openssl-dev libedit-dev libsqlite3-dev libncurses-dev \\
      libpython3-dev libxml2-dev pkg-config uuid-dev tzdata git gcc libstdc++-12-dev ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
RUN cp -a /swiftsrc/usr/. /usr/ && swift --version
EOF
  podman build --format docker -v "$toolchain:/swiftsrc:ro" -f "$work/Containerfile.swift" \
    -t "$swift_image" "$work" >"$work/swift-image.log" 2>&1 \
    || { tail -n 30 "$work/swift-image.log" >&2; fail "the stand-in Swift image"; }
fi

# The cluster compose file's other two images, made the same way: Debian's
# own PostgreSQL 15 behind an entrypoint that reads the official image's
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, and Debian's nginx 1.22.
postgres_image=docker.io/library/postgres:15
if ! podman image exists "$postgres_image"; then
  say "making a stand-in $postgres_image from $debian_image"
  mkdir -p "$work/postgres"
  cat > "$work/postgres/entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s' "$POSTGRES_PASSWORD" > /tmp/pw
  initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile=/tmp/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pw
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  db="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
  [ "$db" = postgres ] || createdb -U "${POSTGRES_USER:-postgres}" "$db"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
EOF
  cat > "$work/postgres/Containerfile" <<EOF
FROM $debian_image
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
USER postgres
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
EOF
  podman build --format docker -t "$postgres_image" "$work/postgres" >"$work/postgres.log" 2>&1 \
    || { tail -n 30 "$work/postgres.log" >&2; fail "the stand-in PostgreSQL image"; }
fi
nginx_image=docker.io/library/nginx:1.22
if ! podman image exists "$nginx_image"; then
  say "making a stand-in $nginx_image from $debian_image"
  mkdir -p "$work/nginx"
  cat > "$work/nginx/Containerfile" <<EOF
FROM $debian_image
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \\
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \\
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
CMD ["nginx", "-g", "daemon off;"]
EOF
  podman build --format docker -t "$nginx_image" "$work/nginx" >"$work/nginx.log" 2>&1 \
    || { tail -n 30 "$work/nginx.log" >&2; fail "the stand-in nginx image"; }
fi

# ------------------------------------------------------------------- build
build=(podman build --format docker -f docker/Dockerfile -t localhost/gradscope:test)
mirror_dir=$(git config --system --get-regexp '^url\..*\.insteadof$' 2>/dev/null \
  | awk '$2 == "https://github.com/" {print $1}' | sed 's/^url\.//; s/\.insteadof$//' | head -n 1 || true)
if [ -n "$mirror_dir" ]; then
  printf '[url "%s"]\n\tinsteadOf = https://github.com/\n' "$mirror_dir" > "$work/gitconfig"
  build+=(-v "$mirror_dir:$mirror_dir:ro" -v "$work/gitconfig:/etc/gitconfig:ro")
fi
say "building the image (docker/Dockerfile)"
"${build[@]}" . >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "podman build"; }
say "built: $(podman image inspect localhost/gradscope:test --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

# ------------------------------------------------------------ smoke tests
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

wait_healthy() {
  for _ in $(seq 150); do curl -sf "$url/healthz" >/dev/null && return; sleep 0.2; done
  podman logs "$1" >&2 || true
  fail "$1 did not answer /healthz within 30 s"
}
start() {  # start NAME: the image on the named volume, published on $port
  containers+=("$1")
  # Without systemd podman cannot arm the HEALTHCHECK timer and says so on
  # stderr; the check itself is run by hand below.
  podman run -d --name "$1" -p "127.0.0.1:$port:8080" -v "$volume:/data" localhost/gradscope:test \
    >/dev/null 2>>"$work/podman.log"
  wait_healthy "$1"
}
post_job() {  # post_job SPEC: prints the new job's id
  curl -sf -X POST "$url/api/jobs" -H 'Content-Type: application/json' -d "$1" \
    | sed -n 's/.*"id":"\(j-[0-9]*\)".*/\1/p'
}
wait_completed() {  # wait_completed ID
  local status=""
  for _ in $(seq 300); do
    status=$(curl -sf "$url/api/jobs/$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
    [ "$status" = completed ] && return
    [ "$status" = running ] || [ "$status" = queued ] || break
    sleep 0.2
  done
  fail "job $1 ended $status, not completed"
}

podman volume create "$volume" >/dev/null
start gradscope-test-$$-a
say "serving on $url"

curl -sf "$url/" | cmp -s - public/index.html || fail "/ is not public/index.html"
for f in $(git ls-files public); do
  curl -sf "$url/${f#public/}" | cmp -s - "$f" || fail "/${f#public/} is not $f"
done
pass "the dashboard and its $(git ls-files public | wc -l) files are served byte for byte"

quick=$(post_job '{"name": "quick", "data": {"source": "moons", "samples": 400}, "mlp": {"depth": 3, "width": 16}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 5}, "diagnostics": {"every": 5}}')
[ -n "$quick" ] || fail "POST /api/jobs did not create a job"
wait_completed "$quick"
# Output is read whole before grep (here and below): with pipefail, grep -q
# quitting at its first match would fail the pipeline by a SIGPIPE.
report=$(curl -sf "$url/api/jobs/$quick/report")
grep -q '"verdict"' <<< "$report" || fail "$quick has no report with a verdict"
digits=$(post_job '{"name": "digits", "data": {"source": "digits"}, "mlp": {"depth": 2, "width": 32}, "optimizer": {"type": "adam", "lr": 0.001}, "training": {"epochs": 1}}')
wait_completed "$digits"
pass "jobs $quick (moons) and $digits (digits, the bundled resource) ran to their reports"

[ "$(podman exec gradscope-test-$$-a id -u)" = 10001 ] || fail "the server does not run as uid 10001"
podman healthcheck run gradscope-test-$$-a >/dev/null || fail "HEALTHCHECK is not healthy"
podman stop -t 10 gradscope-test-$$-a >/dev/null 2>>"$work/podman.log"
code=$(podman inspect gradscope-test-$$-a --format '{{.State.ExitCode}}')
[ "$code" = 0 ] || fail "SIGTERM: exit code $code, not 0"
logs=$(podman logs gradscope-test-$$-a 2>&1)
grep -q "gradscope: stopping" <<< "$logs" || fail "SIGTERM: no 'stopping' in the log"
pass "uid 10001, HEALTHCHECK healthy, SIGTERM exits 0"

start gradscope-test-$$-b
listed=$(curl -sf "$url/api/jobs")
for id in "$quick" "$digits"; do
  grep -q "\"id\":\"$id\"" <<< "$listed" || fail "$id is not listed after a restart on the same volume"
done
report=$(curl -sf "$url/api/jobs/$quick/report")
grep -q '"verdict"' <<< "$report" || fail "$quick's report is gone after a restart"
podman rm -f gradscope-test-$$-b >/dev/null 2>>"$work/podman.log"
pass "a new container on the same volume lists both jobs"

# ---------------------------------------------------------------- compose
compose_up() {  # compose_up TOKEN: the compose file as it is, on $port, with the test image
  GRADSCOPE_IMAGE=localhost/gradscope:test GRADSCOPE_PORT=$port GRADSCOPE_TOKEN="$1" "${compose[@]}" up -d >"$work/compose.log" 2>&1 \
    || { cat "$work/compose.log" >&2; fail "compose up"; }
  wait_healthy "gradscope-test-$$_gradscope_1"
}
job='{"data": {"source": "moons", "samples": 100}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 5}}'
status_of() { curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/jobs" "$@" -d "$job"; }

compose_up s3cret
[ "$(status_of)" = 401 ] || fail "compose with a token: a POST without it was not 401"
[ "$(status_of -H 'Authorization: Bearer s3cret')" = 201 ] || fail "compose with a token: a POST with it was not 201"
"${compose[@]}" down >/dev/null 2>&1 || fail "compose down"
pass "compose with GRADSCOPE_TOKEN: 401 without it, 201 with it"

compose_up ""
logs=$("${compose[@]}" logs 2>&1)
grep -q "no token" <<< "$logs" || fail "compose without a token: the log does not say the server is open"
[ "$(status_of)" = 201 ] || fail "compose without a token: a POST was not 201"
"${compose[@]}" down -v >/dev/null 2>&1 || fail "compose down"
pass "compose without GRADSCOPE_TOKEN: open, and its log says so"
# ------------------------------------------------------- compose cluster
# docker/compose.cluster.yaml as it is: PostgreSQL, the migration, two
# replicas behind nginx and two workers; a job run by a worker, a run's
# records streamed back through nginx as they are posted, and the migration
# run a second time.
cluster=(.venv/bin/podman-compose -f docker/compose.cluster.yaml -p "gradscope-cluster-$$")
cluster_down() { "${cluster[@]}" down -v >/dev/null 2>&1 || true; }
trap 'cluster_down; cleanup' EXIT
GRADSCOPE_IMAGE=localhost/gradscope:test GRADSCOPE_PORT=$port "${cluster[@]}" up -d >"$work/cluster.log" 2>&1 \
  || { cat "$work/cluster.log" >&2; fail "compose cluster up"; }
for _ in $(seq 300); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "$url/healthz" >/dev/null || { "${cluster[@]}" logs >&2 2>&1 || true; fail "the cluster did not answer /healthz through nginx within 60 s"; }
clustered=$(post_job '{"name": "cluster", "data": {"source": "moons", "samples": 400}, "mlp": {"depth": 3, "width": 16}, "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"epochs": 5}, "diagnostics": {"every": 5}}')
[ -n "$clustered" ] || fail "POST /api/jobs through nginx did not create a job"
wait_completed "$clustered"
pass "compose cluster: job $clustered queued through nginx, run by a worker to its report"

created=$(curl -sf -X POST "$url/api/runs" -d '{"name": "live", "layers": [{"name": "fc1", "kind": "dense"}]}')
run=$(sed -n 's/.*"id":"\(j-[0-9]*\)".*/\1/p' <<< "$created")
token=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' <<< "$created")
curl -sN --max-time 30 "$url/api/jobs/$run/events" > "$work/events" &
reader=$!
sleep 1
for s in 1 2 3; do
  curl -sf -X POST "$url/api/runs/$run/steps" -H "Authorization: Bearer $token" \
    -d "{\"step\": $s, \"loss\": 0.5, \"layers\": [{\"name\": \"fc1\", \"grad_norm\": 1}]}" >/dev/null \
    || fail "posting step $s through nginx"
done
# Unbuffered: the steps arrive while the stream is still open.
for _ in $(seq 50); do [ "$(grep -c '^event: step' "$work/events")" = 3 ] && break; sleep 0.1; done
[ "$(grep -c '^event: step' "$work/events")" = 3 ] || fail "the stream through nginx did not deliver 3 steps while open"
curl -sf -X POST "$url/api/runs/$run/finish" -H "Authorization: Bearer $token" >/dev/null || fail "finishing the run"
wait "$reader" || true
grep -q '"status":"completed"' "$work/events" || fail "the stream through nginx did not end with the run's status"
pass "compose cluster: a run's steps streamed back through nginx while posted"

again=$(GRADSCOPE_IMAGE=localhost/gradscope:test "${cluster[@]}" run --rm migrate 2>&1)
grep -q "nothing to do" <<< "$again" || { echo "$again" >&2; fail "a second migration was not a no-op"; }
cluster_down
pass "compose cluster: a second migration changes nothing"
echo "test-docker: $passed passed, 0 failed"
