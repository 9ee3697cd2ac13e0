#!/usr/bin/env python3
"""The database backend's targets, measured on one machine with everything
co-located: PostgreSQL (scripts/postgres.sh), two `gradscope serve
--database` replicas and two `gradscope worker`s, all from the release build.

    swift build -c release --product gradscope
    python3 bench/cluster.py [--seconds 60] [--skip sse,claims,...]

Phases, each printed as it ends (docs/performance.md quotes a run):
  pgbench   the reference: what PostgreSQL itself inserts here, 50 rows of
            ~2 KB per transaction from 2 clients (the ingest's shape);
  ingest    100 runs posting 50 step records (~2 KB each) per POST from 16
            client threads across both replicas for --seconds: records/s,
            POST p50/p99, 429s, and the share of the pgbench rate;
  runs      2,000 runs posted to in turn (one POST each, again and again):
            errors other than 429, and the most database connections open;
  sse       1,000 event-stream clients (500 per replica, 10 per run of 100)
            while the 100 runs are ingested through the other replica at
            ~3,000 records/s: delivery lag from POST to event, p50/p99;
  claims    pgbench running the worker's claim statement (8 clients) on
            20,000 queued jobs: claims/s and p99;
  chart     a 100,000-step run's chart (steps?points=1000): median and max;
  list      GET /api/jobs with 10,000 runs stored: median and max.
"""
import argparse
import asyncio
import http.client
import json
import os
import pathlib
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = [f"block{i}.fc" for i in range(4)]
RUN_SPEC = json.dumps({"name": "bench", "layers": [{"name": n, "kind": "dense"} for n in LAYERS]}).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def record(step):
    """A step record of ~2 KB: four layers with their statistics and a 64-bin histogram."""
    layers = []
    for i, name in enumerate(LAYERS):
        counts = [random.randint(0, 2000) for _ in range(64)]
        layers.append({"name": name, "grad_norm": 0.01 * (i + 1) + random.random() * 1e-3, "max_abs": 0.02, "mean_abs": 0.001,
                       "zero_fraction": 0.01, "hist": {"counts": counts, "zero": 3}})
    return {"step": step, "loss": 1.0 / (1 + step), "lr": 0.01, "layers": layers}


TEMPLATE = json.dumps(record(1)).replace('{"step": 1,', '{"step": %d,', 1)


def batch(first, n=50):
    return "\n".join(TEMPLATE % s for s in range(first, first + n)).encode()


class Client:
    """One keep-alive connection per thread and replica."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise


class Cluster:
    def __init__(self, binary, work):
        self.work = work
        self.pg = tempfile.mkdtemp(prefix="gradscope-bench-pg-")
        self.url = subprocess.check_output([str(ROOT / "scripts/postgres.sh"), "start", self.pg, str(free_port())], text=True).strip()
        subprocess.check_call([binary, "migrate", "--database", self.url], stdout=subprocess.DEVNULL)
        self.ports = [free_port(), free_port()]
        self.procs = []
        for i, port in enumerate(self.ports):
            self.procs.append(subprocess.Popen([binary, "serve", "--database", self.url, "--port", str(port), "--data-dir", f"{work}/r{i}",
                                                "--max-queue", "100000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(2):
            self.procs.append(subprocess.Popen([binary, "worker", "--database", self.url, "--slots", "1"],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.ports:
            for _ in range(100):
                try:
                    if Client(port).request("GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)

    def sql(self, query):
        out = subprocess.check_output(["psql", self.url, "-At", "-F", "|", "-c", query], text=True)
        return [line.split("|") for line in out.splitlines() if line]

    def pgbench(self, script, clients, seconds, log_dir=None):
        path = pathlib.Path(self.work) / "bench.sql"
        path.write_text(script)
        args = ["pgbench", "-n", "-f", str(path), "-c", str(clients), "-j", str(clients), "-T", str(seconds), self.url]
        if log_dir:
            args[1:1] = ["-l", "--log-prefix", f"{log_dir}/pgbench"]
        out = subprocess.check_output(args, text=True, cwd=self.work)
        tps = float(next(l for l in out.splitlines() if l.startswith("tps")).split("=")[1].split()[0])
        return tps

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()
        subprocess.call([str(ROOT / "scripts/postgres.sh"), "stop", self.pg])
        shutil.rmtree(self.pg, ignore_errors=True)


def create_runs(cluster, n):
    runs = []
    clients = [Client(p) for p in cluster.ports]
    for i in range(n):
        status, body = clients[i % 2].request("POST", "/api/runs", RUN_SPEC)
        assert status == 201, body
        created = json.loads(body)
        runs.append({"id": created["id"], "token": created["token"], "next": 1, "lock": threading.Lock()})
    return runs


def post_load(cluster, runs, seconds, threads=16, ports=None, sent_at=None, rate=None):
    """Posts 50-record batches to `runs` in turn from `threads` threads; returns (records, latencies, 429s, errors)."""
    ports = ports or cluster.ports
    stop = time.time() + seconds
    lat, counts = [], {"records": 0, "busy": 0, "errors": 0}
    lock = threading.Lock()
    cursor = [0]
    interval = (threads / (rate / 50)) if rate else 0

    def work(t):
        client = Client(ports[t % len(ports)])
        while time.time() < stop:
            with lock:
                run = runs[cursor[0] % len(runs)]
                cursor[0] += 1
            with run["lock"]:
                first = run["next"]
                begin = time.perf_counter()
                if sent_at is not None:
                    sent_at[(run["id"], first + 49)] = time.time()
                status, body = client.request("POST", f"/api/runs/{run['id']}/steps", batch(first), run["token"])
                elapsed = time.perf_counter() - begin
                with lock:
                    if status == 200:
                        run["next"] = first + 50
                        counts["records"] += json.loads(body)["accepted"]
                        lat.append(elapsed * 1000)
                    elif status == 429:
                        counts["busy"] += 1
                    else:
                        counts["errors"] += 1
            if interval:
                time.sleep(max(0, interval - elapsed))

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.time()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return counts, lat, time.time() - start


def phase_pgbench(cluster, seconds):
    cluster.sql("CREATE TABLE bench_rows (job bigint, seq bigint, body text)")
    body = TEMPLATE % 1
    script = f"\\set r random(1, 1000000000)\nINSERT INTO bench_rows SELECT :r, g, $${body}$$ FROM generate_series(1, 50) g;\n"
    tps = cluster.pgbench(script, 2, seconds)
    cluster.sql("DROP TABLE bench_rows")
    return tps * 50


def phase_ingest(cluster, seconds, reference):
    runs = create_runs(cluster, 100)
    counts, lat, elapsed = post_load(cluster, runs, seconds)
    rate = counts["records"] / elapsed
    print(f"ingest   {rate:8.0f} records/s ({rate / reference:.0%} of pgbench's {reference:.0f} rows/s), "
          f"POST p50 {pct(lat, 50):.0f} ms p99 {pct(lat, 99):.0f} ms, {counts['busy']} × 429, {counts['errors']} other errors, "
          f"{len(TEMPLATE) / 1024:.1f} KB per record", flush=True)
    return runs


def phase_runs(cluster, seconds):
    runs = create_runs(cluster, 2000)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            n = int(cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")[0][0])
            peak[0] = max(peak[0], n)
            time.sleep(0.5)

    sampler = threading.Thread(target=sample)
    sampler.start()
    counts, lat, elapsed = post_load(cluster, runs, seconds, threads=32)
    done.set()
    sampler.join()
    print(f"runs     2,000 runs posted to in turn for {elapsed:.0f} s: {counts['records'] / elapsed:.0f} records/s, "
          f"{counts['busy']} × 429, {counts['errors']} other errors; at most {peak[0]} database connections open "
          f"(2 replicas × pool of 10, 2 workers)", flush=True)


async def sse_client(port, run, sent_at, lags, stop, measure):
    run_id = run["id"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
    # From the run's present step: the live records only, not its history.
    writer.write(f"GET /api/jobs/{run_id}/events?from={run['next'] - 1} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    buffer = b""
    while time.time() < stop:
        try:
            chunk = await asyncio.wait_for(reader.read(1 << 20), timeout=1)
        except asyncio.TimeoutError:
            continue
        if not chunk:
            break
        if not measure:
            continue
        now = time.time()
        buffer += chunk
        at = 0
        while True:
            i = buffer.find(b"\nid: ", at)
            if i < 0:
                break
            j = buffer.find(b"\n", i + 5)
            if j < 0:
                break
            sent = sent_at.get((run_id, int(buffer[i + 5:j])))
            if sent:
                lags.append((now - sent) * 1000)
            at = j
        buffer = buffer[at:]
    writer.close()


def phase_sse(cluster, seconds, runs):
    # Streams on replica 1; records posted through replica 0 only.
    sent_at, lags = {}, []
    stop = time.time() + seconds + 5

    def streams():
        async def all_clients():
            tasks = [sse_client(cluster.ports[i % 2], runs[i % len(runs)], sent_at, lags, stop, measure=(i % 10 == 0))
                     for i in range(1000)]
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run(all_clients())

    viewer = threading.Thread(target=streams)
    viewer.start()
    time.sleep(3)
    counts, _, elapsed = post_load(cluster, runs, seconds, threads=8, ports=[cluster.ports[0]], sent_at=sent_at, rate=3000)
    viewer.join()
    print(f"sse      1,000 streams (half on each replica) during {counts['records'] / elapsed:.0f} records/s through replica 0: "
          f"lag p50 {pct(lags, 50):.0f} ms p99 {pct(lags, 99):.0f} ms over {len(lags)} events measured", flush=True)


def phase_claims(cluster, seconds):
    spec = '{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 4}, "training": {"steps": 1}}'
    # Workers away: only pgbench claims.
    for p in cluster.procs[2:]:
        p.kill()
    cluster.sql(f"""INSERT INTO jobs (number, id, status, spec) SELECT n, 'j-' || lpad(n::text, 6, '0'), 'queued', '{spec}'
                    FROM (SELECT nextval('job_numbers') AS n FROM generate_series(1, 20000)) s""")
    script = """UPDATE jobs SET worker = 'bench', lease_until = now() + interval '30 seconds'
WHERE number = (SELECT number FROM jobs WHERE status = 'queued' AND worker IS NULL ORDER BY number FOR UPDATE SKIP LOCKED LIMIT 1)
RETURNING number;
"""
    logs = tempfile.mkdtemp(dir=cluster.work)
    tps = cluster.pgbench(script, 8, seconds, log_dir=logs)
    lat = []
    for f in pathlib.Path(logs).iterdir():
        for line in f.read_text().splitlines():
            lat.append(int(line.split()[2]) / 1000)
    print(f"claims   {tps:.0f} claims/s (8 clients, the worker's statement), p50 {pct(lat, 50):.1f} ms p99 {pct(lat, 99):.1f} ms", flush=True)


def timed(client, path, n=15):
    times = []
    for _ in range(n):
        begin = time.perf_counter()
        status, body = client.request("GET", path)
        times.append((time.perf_counter() - begin) * 1000)
        assert status == 200, body[:200]
    return times, body


def phase_chart(cluster):
    run = create_runs(cluster, 1)[0]
    number = int(run["id"][2:])
    body = (TEMPLATE % 1).replace("'", "''")
    cluster.sql(f"""INSERT INTO records (job, seq, type, step, body, grad_norm, nonfinite)
        SELECT {number}, g + 1, 'step', g, replace('{body}', '"step": 1,', '"step": ' || g || ','), random(), g % 9973 = 0
        FROM generate_series(1, 100000) g""")
    # As autovacuum leaves a table between bursts of inserts.
    cluster.sql("VACUUM ANALYZE records")
    times, answer = timed(Client(cluster.ports[0]), f"/api/jobs/{run['id']}/steps?points=1000")
    points = len(json.loads(answer)["steps"])
    size = cluster.sql("SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'records'::regclass")[0][0]
    print(f"chart    100,000-step run, steps?points=1000 ({points} records back): median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms (records table {size})", flush=True)


def phase_list(cluster):
    cluster.sql("""INSERT INTO jobs (number, id, status, source, spec, finished_at, verdict)
        SELECT n, 'j-' || lpad(n::text, 6, '0'), 'completed', 'external', '{}', now(), 'healthy'
        FROM (SELECT nextval('job_numbers') AS n FROM generate_series(1, 10000)) s""")
    total = cluster.sql("SELECT count(*) FROM jobs")[0][0]
    client = Client(cluster.ports[0])
    for path in ("/api/jobs", "/api/jobs?limit=500", "/api/jobs?status=completed&offset=5000&limit=500"):
        times, _ = timed(client, path)
        print(f"list     {path} with {total} jobs and runs stored: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / ".build/release/gradscope"))
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--skip", default="")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    print(f"bench/cluster.py {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, --seconds {args.seconds}", flush=True)
    with tempfile.TemporaryDirectory() as work:
        cluster = Cluster(args.binary, work)
        try:
            reference = phase_pgbench(cluster, 20) if "pgbench" not in skip else float("nan")
            print(f"pgbench  {reference:8.0f} rows/s (50 rows of {len(TEMPLATE % 1)} bytes per transaction, 2 clients)", flush=True)
            runs = phase_ingest(cluster, args.seconds, reference) if "ingest" not in skip else create_runs(cluster, 100)
            if "runs" not in skip:
                phase_runs(cluster, 30)
            if "sse" not in skip:
                phase_sse(cluster, 30, runs)
            if "chart" not in skip:
                phase_chart(cluster)
            if "list" not in skip:
                phase_list(cluster)
            if "claims" not in skip:
                phase_claims(cluster, 10)
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
