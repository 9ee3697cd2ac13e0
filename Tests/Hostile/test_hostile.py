"""Hostile clients against a real `gradscope serve`, category by category.

Each test attacks one way, with a prober asking /healthz every 20 ms all the
while, then checks that the server is alive and answering, and that its open
files and memory came back to where they were. Bounded in time: the counts
scale with GRADSCOPE_HOSTILE_SCALE (1 in the test suite; 5 or more to measure
the published figures, see docs/performance.md).

    .venv/bin/python -m pytest Tests/Hostile -q          # GRADSCOPE_BIN picks the binary
"""
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("GRADSCOPE_BIN", os.path.join(ROOT, ".build", "debug", "gradscope"))
SCALE = float(os.environ.get("GRADSCOPE_HOSTILE_SCALE", "1"))
# Bounds checked after each category. A debug build and the attacking
# client share 2 cores in CI, so /healthz is held to 250 ms there; the
# figures measured on a release build are in docs/performance.md.
FD_SLACK = 10
RSS_SLACK_MB = 20
HEALTH_LIMIT_S = float(os.environ.get("GRADSCOPE_HOSTILE_HEALTH_LIMIT", "0.25"))
SMALL_JOB = {"data": {"source": "xor", "samples": 200}, "mlp": {"depth": 2, "width": 8},
             "optimizer": {"type": "sgd", "lr": 0.1}, "training": {"steps": 1500, "batch_size": 20},
             "diagnostics": {"every": 1}}


def n(count):
    return max(1, int(count * SCALE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data=None, *options):
        self.data = data or tempfile.mkdtemp(prefix="gradscope-hostile-")
        self.port = free_port()
        self.options = options
        self.start()

    def start(self):
        self.proc = subprocess.Popen([BINARY, "serve", "--port", str(self.port), "--data-dir", self.data,
                                      "--header-timeout", "2", "--body-timeout", "3", "--max-steps", "5000", *self.options],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path, timeout=5):
        with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
            return r.status, r.read()

    def post(self, path, body, timeout=10):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.alive():
            self.proc.send_signal(sig)
            self.proc.wait(timeout=15)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.stop()
    shutil.rmtree(s.data, ignore_errors=True)


class Prober(threading.Thread):
    """Asks /healthz every 20 ms and keeps the answer times."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.times, self.failures, self.running = server, [], 0, True

    def run(self):
        while self.running:
            start = time.monotonic()
            try:
                self.server.get("/healthz", timeout=5)
                self.times.append(time.monotonic() - start)
            except OSError:
                self.failures += 1
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        self.times.sort()
        return self

    def quantile(self, q):
        return self.times[min(len(self.times) - 1, int(q * len(self.times)))] if self.times else float("inf")


def attack(server, what, bodies_mb=0):
    """Runs `what` twice, the second time with a prober, and checks the
    server after it against itself after the first: what an attack holds
    must be let go, so a second round leaves nothing more behind. Attacks
    with large bodies may leave memory that glibc keeps for reuse in the
    arena of each thread that held one (its mmap threshold rises once a
    large block is freed): `bodies_mb`, the size of the bodies that can be
    held at once, is allowed on top."""
    start_fds, start_rss = server.fds(), server.rss_mb()
    what()
    assert server.alive(), "the server died"
    time.sleep(0.5)
    fds, rss = server.fds(), server.rss_mb()
    prober = Prober(server)
    prober.start()
    try:
        what()
    finally:
        prober.stop()
    assert server.alive(), "the server died"
    # What the attack held is let go: at once, or for a stream parked on a
    # queued job whose client left, at the next heartbeat (15 s).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and server.fds() > fds + FD_SLACK:
        time.sleep(0.2)
    assert server.fds() <= fds + FD_SLACK, f"open files {fds} -> {server.fds()}"
    assert server.rss_mb() <= rss + RSS_SLACK_MB + bodies_mb, f"RSS {rss:.0f} -> {server.rss_mb():.0f} MB"
    assert prober.failures == 0, f"/healthz failed {prober.failures} times"
    assert prober.quantile(0.99) < HEALTH_LIMIT_S, f"/healthz p99 {prober.quantile(0.99) * 1000:.0f} ms"
    print(f"\n  {what.__name__}: /healthz p50 {prober.quantile(0.5) * 1000:.1f} ms, p99 {prober.quantile(0.99) * 1000:.1f} ms, "
          f"max {prober.times[-1] * 1000:.1f} ms over {len(prober.times)}; fds {start_fds} -> {fds} -> {server.fds()}; "
          f"RSS {start_rss:.0f} -> {rss:.0f} -> {server.rss_mb():.0f} MB")
    return prober


def connect(server, timeout=5):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return s


def reset(s):
    """Closes with a reset, as a killed client does."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def exchange(server, raw, timeout=5):
    """Sends raw bytes, reads until the server closes or `timeout` seconds
    pass (an event stream of a running job stays open); returns the status
    (0: none)."""
    deadline = time.monotonic() + timeout
    with connect(server, timeout) as s:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        try:
            while (left := deadline - time.monotonic()) > 0:
                s.settimeout(left)
                if not (chunk := s.recv(65536)):
                    break
                data += chunk
        except OSError:
            pass
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


VALID = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/jobs?limit=5 HTTP/1.1\r\nHost: x\r\n\r\n",
    b'POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 95\r\n\r\n{"data": {"source": "xor"}, "mlp": {"depth": 2, "width": 8}, "optimizer": {"type": "sgd", "lr": 1}}',
    b"POST /api/datasets?name=a HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\nx,label\n1,0\n2,1\n",
    b'POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 46\r\n\r\n{"layers": [{"name": "fc", "kind": "dense"}]}',
    # A stream of a job that is not there: one of a running job would
    # rightly stay open, and the mutations are meant to be answered.
    b"GET /api/jobs/j-999999/events?from=3 HTTP/1.1\r\nHost: x\r\n\r\n",
]


def mutate(raw, rng):
    """A request with a few bytes changed, cut, repeated or inserted."""
    b = bytearray(raw)
    for _ in range(rng.randint(1, 4)):
        op, i = rng.randrange(5), rng.randrange(len(b))
        if op == 0:
            b[i] = rng.randrange(256)
        elif op == 1:
            del b[i:i + rng.randint(1, 8)]
        elif op == 2:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3:
            b[i:i] = b[i:i + rng.randint(1, 40)] * rng.randint(2, 50)
        else:
            b[i:i] = rng.choice([b"\r\n", b"\x00", b"%00", b"\r\nContent-Length: 7", b"\r\nTransfer-Encoding: chunked",
                                 b'{"', b"[[[[[[[[", b"1e999", b'"\\ud800"', b"\r\nHost: y"])
        if not b:
            b = bytearray(b"X")
    return bytes(b)


def test_malformed_requests(server):
    rng = random.Random(7)
    statuses = {}

    def malformed():
        for i in range(n(2000)):
            status = exchange(server, mutate(rng.choice(VALID), rng), timeout=2)
            statuses[status] = statuses.get(status, 0) + 1

    attack(server, malformed)
    print(f"  statuses: {dict(sorted(statuses.items()))}")
    # 501: a Transfer-Encoding it does not implement; 505: an HTTP version
    # it does not speak (libmicrohttpd's answer). No other 5xx.
    assert not [s for s in statuses if s >= 500 and s not in (501, 505)], statuses


def test_abandoned_requests(server):
    def abandoned():
        for i in range(n(1000)):
            s = connect(server)
            s.sendall(b'POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"data": {"sou')
            reset(s) if i % 2 else s.close()

    attack(server, abandoned)


def test_abrupt_sse_disconnects(server):
    status, created = server.post("/api/jobs", SMALL_JOB)
    assert status == 201
    while json.loads(server.get(f"/api/jobs/{created['id']}")[1])["status"] in ("queued", "running"):
        time.sleep(0.1)

    def disconnects():
        for i in range(n(1000)):
            s = connect(server)
            s.sendall(f"GET /api/jobs/{created['id']}/events HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            s.recv(4096)
            reset(s)

    attack(server, disconnects)


def test_slow_headers_and_bodies(server):
    """Clients that send a byte a second: none holds its connection past its
    deadline, and a quick request is answered meanwhile."""
    def slow():
        socks = []
        for i in range(n(300)):
            s = connect(server)
            s.setblocking(False)
            if i % 2:
                s.send(b"POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            socks.append(s)
        for second in range(5):
            for s in socks:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            time.sleep(1)
        open_ones = 0
        for s in socks:
            try:
                s.setblocking(True)
                s.settimeout(0.05)
                if s.recv(1) == b"":
                    continue
            except socket.timeout:
                open_ones += 1
            except OSError:
                continue
            finally:
                s.close()
        assert open_ones == 0, f"{open_ones} slow connections outlived their deadline"

    attack(server, slow)


def test_oversized_and_endless_bodies(server):
    def oversized():
        for i in range(n(200)):
            start = time.monotonic()
            assert exchange(server, b"POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\n\r\n") == 413
            assert time.monotonic() - start < 2
        for i in range(n(5)):
            with connect(server) as s:
                s.sendall(b"POST /api/datasets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                chunk, sent = b"10000\r\n" + b"1" * 0x10000 + b"\r\n", 0
                try:
                    while sent < 256 << 20:
                        s.sendall(chunk)
                        sent += 0x10000
                except OSError:
                    pass
                assert sent < 64 << 20, f"an endless body was read for {sent >> 20} MiB"

    attack(server, oversized, bodies_mb=2 * 16)  # a 16 MiB upload buffer on each I/O thread


def test_concurrent_uploads(server):
    rows = "\n".join(f"{i % 97 / 97:.6f},{i % 89 / 89:.6f},{i % 3}" for i in range(400_000))
    csv = ("x1,x2,label\n" + rows + "\n").encode()
    results = []

    def uploads():
        threads = [threading.Thread(target=lambda: results.append(server.post("/api/datasets?name=big", csv, timeout=120)[0]))
                   for _ in range(n(4))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    attack(server, uploads, bodies_mb=n(4) * len(csv) / 2**20)  # every upload at once
    assert results and all(s in (201, 429) for s in results), results
    assert 201 in results


def test_kill_9_loses_nothing_acknowledged():
    """Jobs, runs, ingested steps and uploads acknowledged before a kill -9
    are all there after the restart."""
    server = Server()
    try:
        rng = random.Random(3)
        jobs, datasets, ingested = [], [], {}
        stop_at = time.monotonic() + 3 * SCALE
        while time.monotonic() < stop_at:
            kind = rng.randrange(3)
            if kind == 0:
                status, body = server.post("/api/jobs", dict(SMALL_JOB, training={"steps": 50, "batch_size": 20}))
                if status == 201:
                    jobs.append(body["id"])
            elif kind == 1:
                status, body = server.post("/api/datasets?name=k", b"x,label\n1,0\n2,1\n3,0\n")
                if status == 201:
                    datasets.append(body["id"])
            else:
                status, run = server.post("/api/runs", {"layers": [{"name": "fc", "kind": "dense"}]})
                if status != 201:
                    continue
                lines = "\n".join(json.dumps({"step": s, "loss": 0.5, "layers": [{"name": "fc", "grad_norm": 1.0}]})
                                  for s in range(1, 21)).encode()
                request = urllib.request.Request(server.url(f"/api/runs/{run['id']}/steps"), data=lines, method="POST",
                                                 headers={"Authorization": f"Bearer {run['token']}"})
                with urllib.request.urlopen(request, timeout=10) as r:
                    if r.status == 200:
                        ingested[run["id"]] = 20
        server.stop(signal.SIGKILL)
        server.start()
        listed, offset = set(), 0
        while page := json.loads(server.get(f"/api/jobs?limit=500&offset={offset}")[1])["jobs"]:
            listed |= {j["id"] for j in page}
            offset += len(page)
        assert set(jobs) <= listed, set(jobs) - listed
        assert set(ingested) <= listed
        for run, steps in ingested.items():
            body = json.loads(server.get(f"/api/jobs/{run}/steps?limit=1000")[1])
            assert len(body["steps"]) == steps, run
        stored = {d["id"] for d in json.loads(server.get("/api/datasets")[1])["datasets"]}
        assert set(datasets) <= stored
        print(f"\n  kill -9: {len(jobs)} jobs, {len(datasets)} datasets, {len(ingested)} runs "
              f"({sum(ingested.values())} steps) acknowledged, all found after the restart")
    finally:
        server.stop()
        shutil.rmtree(server.data, ignore_errors=True)
