#!/usr/bin/env python3
"""What watching a PyTorch run costs per step: no logging; gradscope.watch
(posting to a real `gradscope serve` on loopback) as it comes (norms and
every layer's δ every step, histograms, updates and the rest every 20th),
without δ (`signals=False`), with the forward NaN checks,
with histograms every 10th and every step, and with norms only (the
hand-written loop's work); a hand-written per-layer-norm loop; and
wandb.watch(log="gradients", log_freq=1) in offline mode (where wandb is
installed).

Models (batch 128, SGD lr 0.01 momentum 0.9, cross-entropy, a pool of 64
random batches with random labels, as bench/pytorch_bench.py):
    small  = 64 -> 4 x [Linear(64) -> ReLU] -> Linear(10)
    medium = 64 -> 8 x [Linear(256) -> ReLU] -> Linear(10)
Each variant is timed in `--rounds` alternating rounds of `--steps` steps
(after `--warmup`), a fresh model each; reported: the median per-step time,
and the median and quartiles of each round's ratio to the plain step of the
same round. Every variant records every step.

    swift build -c release --product gradscope
    python3 bench/client_overhead.py                       # ~2 min
    python3 bench/client_overhead.py --rounds 7 --steps 400 --json
"""

import argparse
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients/python"))
import gradscope  # noqa: E402

MODELS = {"small": (4, 64), "medium": (8, 256)}
BATCH, INPUT_DIM, CLASSES, POOL = 128, 64, 10, 64


def build(depth, width):
    layers, d = [], INPUT_DIM
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    return nn.Sequential(*layers, nn.Linear(d, CLASSES))


def start_server(binary):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", tempfile.mkdtemp()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gradscope serve did not start")


def run(variant, depth, width, steps, warmup, url):
    torch.manual_seed(0)
    model = build(depth, width)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xs = [torch.randn(BATCH, INPUT_DIM) for _ in range(POOL)]
    ys = [torch.randint(0, CLASSES, (BATCH,)) for _ in range(POOL)]
    watch = wandb_run = None
    norms = {}
    if variant.startswith("gradscope"):
        options = {"gradscope": {}, "gradscope-nan": {"check_nan": True},
                   "gradscope-hist1": {"histogram_every": 1}, "gradscope-hist10": {"histogram_every": 10},
                   "gradscope-norms": {"histogram_every": 10 ** 9},
                   "gradscope-nosignals": {"signals": False}}[variant]
        watch = gradscope.watch(model, url=url, optimizer=opt, run_name=f"bench d{depth}-w{width} {variant}", **options)
    elif variant == "wandb":
        import wandb
        wandb_run = wandb.init(mode="offline", dir=tempfile.mkdtemp(), project="gradscope-bench")
        wandb.watch(model, log="gradients", log_freq=1)
    named = [(n, p) for n, p in model.named_parameters()]
    start = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            start = time.perf_counter()
        loss = F.cross_entropy(model(xs[i % POOL]), ys[i % POOL])
        opt.zero_grad()
        loss.backward()
        if variant == "handwritten":
            for n, p in named:
                norms[n] = p.grad.norm().item()
        opt.step()
        if watch is not None:
            watch.log(loss)
        elif wandb_run is not None:
            wandb_run.log({"loss": loss.item()})
    elapsed = time.perf_counter() - start
    dropped = 0
    if watch is not None:
        watch.close()
        dropped = watch.dropped
    if wandb_run is not None:
        wandb_run.finish()
    return elapsed / steps * 1000, dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--variants", help="comma-separated subset of the variants (plain is always run)")
    ap.add_argument("--bin", default=os.environ.get("GRADSCOPE_BIN", str(ROOT / ".build/release/gradscope")))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    variants = ["plain", "gradscope", "gradscope-nan", "gradscope-hist10", "gradscope-hist1", "gradscope-norms", "gradscope-nosignals", "handwritten"]
    try:
        import wandb  # noqa: F401
        os.environ.setdefault("WANDB_MODE", "offline")
        os.environ.setdefault("WANDB_SILENT", "true")
        variants.append("wandb")
    except ImportError:
        print("wandb is not installed: its row is skipped (pip install wandb)", file=sys.stderr)
    if args.variants:
        chosen = set(args.variants.split(","))
        variants = [v for v in variants if v == "plain" or v in chosen]
    proc, url = start_server(args.bin)
    results = []
    try:
        for name, (depth, width) in MODELS.items():
            times = {v: [] for v in variants}
            dropped = {v: 0 for v in variants}
            for _ in range(args.rounds):
                for v in variants:
                    ms, d = run(v, depth, width, args.steps, args.warmup, url)
                    times[v].append(ms)
                    dropped[v] += d
            for v in variants:
                # Each round's time over the plain step of the same round: a
                # shared machine's speed drifts over minutes, less within a round.
                ratios = sorted(t / p for t, p in zip(times[v], times["plain"]))
                results.append({"model": name, "variant": v, "median_ms": statistics.median(times[v]),
                                "ratio": statistics.median(ratios),
                                "ratio_quartiles": [ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]],
                                "dropped": dropped[v]})
    finally:
        proc.terminate()
        proc.wait(10)
    if args.json:
        print(json.dumps({"results": results, "torch_version": torch.__version__, "threads": args.threads}))
        return
    print(f"torch {torch.__version__}, {args.threads} threads, batch {BATCH}, {args.rounds} rounds x {args.steps} steps: "
          "median ms, and the median (quartiles) of each round's ratio to that round's plain step")
    print(f"{'model':8} {'variant':17} {'ms/step':>8} {'x plain':>8}  quartiles")
    for r in results:
        low, high = r["ratio_quartiles"]
        print(f"{r['model']:8} {r['variant']:17} {r['median_ms']:8.3f} {r['ratio']:7.2f}x  {low:.2f}-{high:.2f}"
              + (f"  ({r['dropped']} records dropped)" if r["dropped"] else ""))


if __name__ == "__main__":
    main()
