#!/usr/bin/env bash
# HTTP throughput of `gradscope serve` against a C libmicrohttpd ceiling.
#
#   bench/http/bench.sh                    # both servers, 3 rounds of 5 s each
#   bench/http/bench.sh --hello-only       # only the C ceiling (no gradscope binary needed)
#   bench/http/bench.sh --rounds 5 --duration 10s --connections 64 --threads 2
#
# Starts, on 127.0.0.1 only:
#   (a) bench/http/hello.c, built into a temporary folder: every request gets
#       the same ~650-byte JSON body from a prebuilt response;
#   (b) $GRADSCOPE_BIN serve (default .build/release/gradscope) with a
#       temporary data folder, into which one small job is submitted and run
#       to completion.
# Then runs `wrk -tT -cC -dD` against GET /api/jobs/{id} (a ~1 KB JobSummary
# with spec and summary) and against the hello server, alternating, ROUNDS
# times each, and prints the median requests/s of each and their ratio.
# Client and servers share this machine's cores: compare numbers taken on the
# same machine in the same run, and never during a build.
#
# Environment: GRADSCOPE_BIN, GRADSCOPE_TOKEN (sent as a bearer token with the
# POST), HELLO_THREADS (hello's MHD thread pool, default 1 = no pool; use the
# same mode as gradscope serve for a fair ceiling).
# Exit status: 0 on success; 1 when a server fails to start, the job fails,
# or wrk saw errors or non-2xx answers.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3
duration=5s
connections=64
threads=2
hello_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --hello-only) hello_only=1 ;;
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --connections) connections="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$rounds" in ''|*[!0-9]*|0) echo "bench: --rounds must be a positive integer" >&2; exit 2 ;; esac
[ "$rounds" -le 20 ] || { echo "bench: --rounds at most 20" >&2; exit 2; }
case "$duration" in [1-9]s|[1-5][0-9]s|60s) ;; *) echo "bench: --duration must be 1s..60s" >&2; exit 2 ;; esac
dur_s="${duration%s}"

gradscope_bin="${GRADSCOPE_BIN:-.build/release/gradscope}"
hello_threads="${HELLO_THREADS:-1}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools ------------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
pkg-config --exists libmicrohttpd 2>/dev/null || need_apt+=(libmicrohttpd-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if [ "$hello_only" -eq 0 ]; then
  [ -x "$gradscope_bin" ] || die "$gradscope_bin not found or not executable: build it (swift build -c release) or set GRADSCOPE_BIN, or use --hello-only"
fi

# --- servers, always stopped on exit ----------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/gradscope-http-bench.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # Bounded wait (5 s), then force.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL PID SECONDS: 0 when URL answers 2xx; 2 when the server died;
# 1 when time ran out.
wait_http() {
  local url="$1" pid="$2" deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$pid" 2>/dev/null || return 2
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -Wall -Wextra -o "$work/hello" bench/http/hello.c $(pkg-config --cflags --libs libmicrohttpd) \
  || die "cannot build bench/http/hello.c"

hello_port="$(free_port)"
# Logs go to files, never to a pipe nobody reads (docs/http-server.md, "Logging").
"$work/hello" "$hello_port" "$hello_threads" >"$work/hello.log" 2>&1 &
hello_pid=$!
pids+=("$hello_pid")
hello_url="http://127.0.0.1:$hello_port/api/jobs/j-000001"
wait_http "$hello_url" "$hello_pid" 10 || { cat "$work/hello.log" >&2; die "hello server did not start"; }
log "hello server on 127.0.0.1:$hello_port (pool threads: $hello_threads)"

gradscope_url=""
if [ "$hello_only" -eq 0 ]; then
  gs_port="$(free_port)"
  mkdir -p "$work/data"
  "$gradscope_bin" serve --host 127.0.0.1 --port "$gs_port" --data-dir "$work/data" \
    >"$work/gradscope.log" 2>&1 &
  gs_pid=$!
  pids+=("$gs_pid")
  base="http://127.0.0.1:$gs_port"
  rc=0
  wait_http "$base/healthz" "$gs_pid" 20 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$work/gradscope.log" >&2
    [ "$rc" -eq 2 ] && die "$gradscope_bin serve exited at start (its output is above)"
    die "gradscope serve did not answer /healthz within 20 s"
  fi
  log "gradscope serve on 127.0.0.1:$gs_port (pid $gs_pid)"

  spec='{"name":"http bench","data":{"source":"xor","samples":200},"mlp":{"depth":2,"width":8},"optimizer":{"type":"sgd","lr":0.1},"training":{"steps":50}}'
  auth=()
  [ -n "${GRADSCOPE_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $GRADSCOPE_TOKEN")
  code="$(curl -sS --max-time 10 -o "$work/submit.json" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' "${auth[@]}" --data "$spec" "$base/api/jobs")" \
    || die "POST /api/jobs failed"
  [ "$code" = 201 ] || die "POST /api/jobs answered $code: $(cat "$work/submit.json")"
  job_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/submit.json")" \
    || die "no id in the POST /api/jobs answer: $(cat "$work/submit.json")"
  gradscope_url="$base/api/jobs/$job_id"

  # Poll until completed: at most 60 s.
  status=""
  deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    curl -fsS --max-time 5 -o "$work/job.json" "$gradscope_url" || die "GET $gradscope_url failed"
    status="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$work/job.json")"
    case "$status" in
      completed) break ;;
      failed|cancelled|interrupted) die "job $job_id ended $status: $(cat "$work/job.json")" ;;
    esac
    sleep 0.2
  done
  [ "$status" = completed ] || die "job $job_id not completed after 60 s (status: $status)"
  log "job $job_id completed; GET /api/jobs/$job_id is $(wc -c <"$work/job.json") bytes"
fi

# --- load -------------------------------------------------------------------
ticks_per_s="$(getconf CLK_TCK)"
# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_wrk NAME URL PID: one wrk run; prints requests/s, p99 and the server's
# CPU microseconds per request (steadier than requests/s on a shared
# machine: it does not depend on how much CPU the client got); fails on
# errors or non-2xx.
run_wrk() {
  local name="$1" url="$2" pid="$3" out="$work/wrk.out" before after
  before="$(cpu_ticks "$pid")"
  timeout $((dur_s + 15)) wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk against $name failed"; }
  if grep -qE 'Non-2xx or 3xx responses|Socket errors' "$out"; then
    cat "$out" >&2
    die "wrk against $name saw errors or non-2xx answers"
  fi
  after="$(cpu_ticks "$pid")"
  local rps p99 requests us
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  requests="$(awk '/requests in/ {print $1}' "$out")"
  [ -n "$rps" ] && [ -n "$requests" ] || { cat "$out" >&2; die "no Requests/sec in wrk's output"; }
  us="$(python3 -c "print(f'{($after - $before) * 1e6 / $ticks_per_s / $requests:.1f}')")"
  printf '%s %s %s\n' "$rps" "${p99:-?}" "$us"
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.0f}")' "$@"; }
median1() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }

log "warm-up: 1 s each"
timeout 20 wrk -t"$threads" -c"$connections" -d1s "$hello_url" >/dev/null 2>&1 || true
[ -n "$gradscope_url" ] && { timeout 20 wrk -t"$threads" -c"$connections" -d1s "$gradscope_url" >/dev/null 2>&1 || true; }

hello_rps=()
gs_rps=()
hello_us=()
gs_us=()
log "wrk -t$threads -c$connections -d$duration, $rounds rounds, alternating"
printf '%-7s %-10s %12s %10s %12s\n' round server req/s p99 "CPU µs/req"
for r in $(seq "$rounds"); do
  # Alternate which server goes first, so a drift in machine load hits both.
  if [ $((r % 2)) -eq 1 ]; then order="gradscope hello"; else order="hello gradscope"; fi
  for s in $order; do
    # run_wrk writes to a file, not through <(…), so that its failure ends
    # the script (set -e).
    if [ "$s" = hello ]; then
      run_wrk hello "$hello_url" "$hello_pid" >"$work/round"
      read -r rps p99 us <"$work/round"
      hello_rps+=("$rps")
      hello_us+=("$us")
    else
      [ -n "$gradscope_url" ] || continue
      run_wrk gradscope "$gradscope_url" "$gs_pid" >"$work/round"
      read -r rps p99 us <"$work/round"
      gs_rps+=("$rps")
      gs_us+=("$us")
    fi
    printf '%-7s %-10s %12s %10s %12s\n' "$r" "$s" "$rps" "$p99" "$us"
  done
done

hello_median="$(median "${hello_rps[@]}")"
echo
hello_cpu="$(median1 "${hello_us[@]}")"
echo "hello (C, libmicrohttpd)   median $hello_median req/s, $hello_cpu µs server CPU per request"
if [ -n "$gradscope_url" ]; then
  gs_median="$(median "${gs_rps[@]}")"
  gs_cpu="$(median1 "${gs_us[@]}")"
  ratio="$(python3 -c "print(f'{$gs_median / $hello_median:.3f}')")"
  echo "gradscope GET /api/jobs/id median $gs_median req/s, $gs_cpu µs server CPU per request"
  echo "ratio gradscope / hello    $ratio"
  printf '{"bench":"http","wrk":"-t%s -c%s -d%s","rounds":%s,"hello_rps":%s,"gradscope_rps":%s,"ratio":%s,"hello_cpu_us":%s,"gradscope_cpu_us":%s}\n' \
    "$threads" "$connections" "$duration" "$rounds" "$hello_median" "$gs_median" "$ratio" "$hello_cpu" "$gs_cpu"
else
  printf '{"bench":"http","wrk":"-t%s -c%s -d%s","rounds":%s,"hello_rps":%s}\n' \
    "$threads" "$connections" "$duration" "$rounds" "$hello_median"
fi
