#!/usr/bin/env python3
"""How long `POST /api/jobs` takes to answer, for a small and a large spec,
and for a large spec that is refused (its error must not take longer).

Starts `gradscope serve` (release build) on a free port with a fresh data
directory and `--max-jobs 1`, posts each spec `--repeats` times, cancels
every accepted job at once (so none trains while the next is timed), and
prints the median and the slowest time in milliseconds.

    swift build -c release --product gradscope
    python3 bench/submit_latency.py [--binary .build/release/gradscope] [--repeats 15]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

SMALL = {"data": {"source": "spirals"}, "mlp": {"depth": 2, "width": 16}, "optimizer": {"type": "sgd", "lr": 0.1},
         "training": {"steps": 100}}
# About 8.6 M parameters on 200,000 rows of 100 features: near the server's limits.
LARGE = {"data": {"source": "blobs", "samples": 200000, "features": 100, "classes": 10},
         "layers": [{"type": "dense", "units": 2048}, {"type": "relu"},
                    {"type": "dense", "units": 2048}, {"type": "relu"},
                    {"type": "dense", "units": 2048}, {"type": "relu"},
                    {"type": "dense", "units": 10}],
         "optimizer": {"type": "adam", "lr": 0.001}, "training": {"steps": 1000, "batch_size": 64}}
# The same, with a last layer too narrow for 10 classes: a 400 found only with the data's class count.
REFUSED = json.loads(json.dumps(LARGE))
REFUSED["layers"][-1]["units"] = 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes = b""):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/gradscope")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen([args.binary, "serve", "--port", str(port), "--data-dir", data, "--max-jobs", "1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    if request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            for name, spec, expected in (("small", SMALL, 201), ("large", LARGE, 201), ("large, refused", REFUSED, 400)):
                body = json.dumps(spec).encode()
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    status, answer = request(port, "POST", "/api/jobs", body)
                    times.append((time.perf_counter() - start) * 1000)
                    assert status == expected, (name, status, answer[:300])
                    if status == 201:
                        request(port, "POST", f"/api/jobs/{json.loads(answer)['id']}/cancel")
                        time.sleep(0.05)
                print(f"{name:16s} median {statistics.median(times):8.2f} ms   max {max(times):8.2f} ms   ({status})")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
