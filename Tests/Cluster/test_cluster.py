"""The database backend as a cluster: two server replicas and two workers on
one PostgreSQL, a kill -9 of one replica and one worker under load, and
then the books: no acknowledged record or job lost, none stored twice, no
job run twice, and a stream on one replica sees what another took in.

Needs the built binary (swift build --product gradscope) and Debian's
postgresql (scripts/postgres.sh installs it)."""
import json
import os
import pathlib
import signal
import socket
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / ".build" / "debug" / "gradscope"
RUN_SPEC = {"name": "cluster", "layers": [{"name": "fc1", "kind": "dense"}, {"name": "fc2", "kind": "dense"}]}
JOB_SPEC = {"name": "cluster-job", "data": {"source": "moons", "samples": 400}, "mlp": {"depth": 3, "width": 16},
            "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 600, "batch_size": 32}, "diagnostics": {"every": 5}}
STEPS = 400
BATCH = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, token=None, timeout=10):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def sql(url, query):
    out = subprocess.check_output(["psql", url, "-At", "-F", "|", "-c", query], text=True)
    return [line.split("|") for line in out.splitlines() if line]


@pytest.fixture()
def cluster(tmp_path):
    # Not under tmp_path: its parents are the test user's alone, and the
    # server runs as the postgres user when the tests run as root.
    pg = tempfile.mkdtemp(prefix="gradscope-pg-")
    url = subprocess.check_output([str(ROOT / "scripts" / "postgres.sh"), "start", str(pg), str(free_port())], text=True).strip()
    procs = {}
    try:
        subprocess.check_call([str(BIN), "migrate", "--database", url], stdout=subprocess.DEVNULL)
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            procs[f"replica{i}"] = subprocess.Popen(
                [str(BIN), "serve", "--database", url, "--port", str(port), "--data-dir", str(tmp_path / f"r{i}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(2):
            procs[f"worker{i}"] = subprocess.Popen(
                [str(BIN), "worker", "--database", url, "--slots", "1", "--lease-seconds", "3"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports:
            for _ in range(100):
                try:
                    if request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
        yield url, ports, procs
    finally:
        for p in procs.values():
            p.kill()
            p.wait()
        subprocess.call([str(ROOT / "scripts" / "postgres.sh"), "stop", str(pg)])
        shutil.rmtree(pg, ignore_errors=True)


def step_lines(first, last):
    return "\n".join(json.dumps({"step": s, "loss": 1.0 / s, "layers": [{"name": "fc1", "grad_norm": 1.0}, {"name": "fc2", "grad_norm": 0.5}]})
                     for s in range(first, last + 1)).encode()


def with_failover(ports, call):
    """call(port) on the replicas in turn until one answers without a
    connection error, a 5xx or a 429: what a client behind a load balancer sees."""
    for attempt in range(200):
        port = ports[attempt % len(ports)]
        try:
            status, body = call(port)
        except OSError:
            time.sleep(0.05)
            continue
        if status < 500 and status != 429:
            return status, body
        time.sleep(0.05)
    raise AssertionError("no replica answered")


def test_kill_9_of_a_replica_and_a_worker_loses_and_duplicates_nothing(cluster):
    url, ports, procs = cluster
    runs, jobs, errors = [], [], []
    streamed = {}

    def ingest(n):
        status, created = with_failover(ports[n % 2:] + ports[:n % 2], lambda p: request(p, "POST", "/api/runs", RUN_SPEC))
        assert status == 201, created
        run_id, token = created["id"], created["token"]
        runs.append(run_id)
        for first in range(1, STEPS + 1, BATCH):
            status, body = with_failover(ports, lambda p: request(p, "POST", f"/api/runs/{run_id}/steps",
                                                                  step_lines(first, first + BATCH - 1), token))
            if status != 200:
                errors.append((run_id, first, status, body))
            time.sleep(0.01)
        status, body = with_failover(ports, lambda p: request(p, "POST", f"/api/runs/{run_id}/finish", b"", token))
        if status != 200:
            errors.append((run_id, "finish", status, body))

    def submit():
        for i in range(8):
            status, body = with_failover(ports[i % 2:] + ports[:i % 2], lambda p: request(p, "POST", "/api/jobs", JOB_SPEC))
            assert status == 201, body
            jobs.append(body["id"])
            time.sleep(0.1)

    def watch(run_index):
        # A stream on the replica that survives, of a run others ingest too.
        while len(runs) <= run_index:
            time.sleep(0.01)
        run_id = runs[run_index]
        steps = []
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/api/jobs/{run_id}/events", timeout=60) as r:
            event = None
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "step":
                    steps.append(json.loads(line[6:])["step"])
                elif line.startswith("data: ") and event == "status" and json.loads(line[6:])["status"] != "running":
                    break
        streamed[run_id] = steps

    threads = [threading.Thread(target=ingest, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=submit), threading.Thread(target=watch, args=(0,))]
    for t in threads:
        t.start()
    # Killed while both workers train a job, so one of them is cut off mid-run.
    deadline = time.time() + 30
    while time.time() < deadline and sql(url, "SELECT count(*) FROM jobs WHERE source IS NULL AND status = 'running'") != [["2"]]:
        time.sleep(0.05)
    procs["replica0"].send_signal(signal.SIGKILL)
    procs["worker0"].send_signal(signal.SIGKILL)
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors[:5]

    # Every engine job ends: run by the surviving worker, or interrupted when
    # its lease ran out on the killed one.
    deadline = time.time() + 120
    while time.time() < deadline:
        states = [request(ports[1], "GET", f"/api/jobs/{j}")[1]["status"] for j in jobs]
        if all(s not in ("queued", "running") for s in states):
            break
        time.sleep(0.5)
    assert all(s in ("completed", "interrupted") for s in states), states
    assert states.count("interrupted") == 1, states

    numbers = ",".join(str(int(i[2:])) for i in runs + jobs)
    # No record stored twice, and no job started twice (one start record each).
    assert sql(url, f"SELECT job, step FROM records WHERE job IN ({numbers}) AND type = 'step' GROUP BY job, step HAVING count(*) > 1") == []
    assert sql(url, f"SELECT job FROM records WHERE job IN ({numbers}) AND type = 'start' GROUP BY job HAVING count(*) <> 1") == []
    # Every acknowledged step of every run is there, and each run ended once.
    for run_id in runs:
        n = int(run_id[2:])
        assert sql(url, f"SELECT count(*), min(step), max(step) FROM records WHERE job = {n} AND type = 'step'") == [[str(STEPS), "1", str(STEPS)]]
        assert sql(url, f"SELECT type, count(*) FROM records WHERE job = {n} AND type IN ('summary', 'report') GROUP BY type ORDER BY type") == [["report", "1"], ["summary", "1"]]
        assert request(ports[1], "GET", f"/api/jobs/{run_id}")[1]["status"] == "completed"
    # A completed job has all its steps, once; an interrupted one a prefix of them.
    for job_id, state in zip(jobs, states):
        n = int(job_id[2:])
        count, low, high = sql(url, f"SELECT count(*), coalesce(min(step), 0), coalesce(max(step), 0) FROM records WHERE job = {n} AND type = 'step'")[0]
        # Recorded steps: the first, then every fifth.
        assert int(count) == (1 + int(high) // 5 if int(high) >= 5 else int(high)), job_id
        if state == "completed":
            assert (low, high) == ("1", "600"), job_id
    # The stream on the other replica saw every step of the run, in order, once.
    assert streamed[runs[0]] == list(range(1, STEPS + 1))
