#!/usr/bin/env python3
"""PyTorch reference timings for the nets that `gradscope bench` trains.

Net for config mlp-d{depth}-w{width}-b{batch}:
    input 64 -> depth x [Linear(width) -> ReLU] -> Linear(10), cross-entropy,
    SGD(lr=0.01, momentum=0.9), kaiming_normal_ weights, zero biases.
Net for config {rnn|lstm|gru}-h{hidden}-t{steps}-b{batch}:
    sequences of t steps of 6 features -> nn.RNN (tanh) / nn.LSTM / nn.GRU
    (batch_first, PyTorch's default init) -> its last step -> Linear(4),
    cross-entropy, SGD(lr=0.01, momentum=0.9).
Both train on a pool of POOL random-normal input batches with random labels, cycled
    (nothing to learn, so gradients keep their size; a net that memorises a
    single batch drives them into float32 subnormals, which slow every
    kernel several-fold), and a freshly built model for every timed run.

Two variants per config:
  stats=false  plain step: zero_grad, forward, loss, backward, step
  stats=true   the same plus what a PyTorch user would hand-write to get
               gradscope's per-step statistics (see stats_step below), every
               value moved to Python floats each step; for recurrent nets also
               sigma_1 of each weight_hh (torch.linalg.matrix_norm(W, 2)).

Timing: `--repeats` runs of `--steps` steps each (after `--warmup` steps),
time.perf_counter around each run, per-step ms = elapsed / steps, and the
median over runs is reported.

Examples:
  python3 bench/pytorch_bench.py
  python3 bench/pytorch_bench.py --configs d4-w64-b64,d8-w256-b128 --threads 1 --json
"""

import argparse
import json
import math
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIGS = [(4, 64, 64), (8, 256, 128), (4, 1024, 256), ("rnn", 128, 50, 32), ("lstm", 128, 50, 32)]
SEQ_FEATURES, SEQ_CLASSES = 6, 4
INPUT_DIM, CLASSES = 64, 10
POOL = 64  # random batches cycled through, as gradscope bench does
HIST_BINS, HIST_LO, HIST_HI = 64, -12.0, 4.0  # log10|g| over [1e-12, 1e4]


def parse_config(s):
    m = re.fullmatch(r"(?:mlp-)?d(\d+)-w(\d+)-b(\d+)", s.strip())
    if m:
        return tuple(int(v) for v in m.groups())
    m = re.fullmatch(r"(rnn|lstm|gru)-h(\d+)-t(\d+)-b(\d+)", s.strip())
    if m:
        return (m.group(1),) + tuple(int(v) for v in m.groups()[1:])
    raise argparse.ArgumentTypeError("bad config %r (want d4-w64-b64 or rnn-h128-t50-b32)" % s)


def config_name(cfg):
    return "mlp-d%d-w%d-b%d" % cfg if len(cfg) == 3 else "%s-h%d-t%d-b%d" % cfg


class LastStep(nn.Module):
    """A recurrent module followed by a linear head on its last step."""

    def __init__(self, cell, hidden, steps):
        super().__init__()
        kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = kind(SEQ_FEATURES, hidden, batch_first=True)
        self.head = nn.Linear(hidden, SEQ_CLASSES)
        self.steps = steps

    def forward(self, x):
        out, _ = self.rnn(x.view(x.shape[0], self.steps, SEQ_FEATURES))
        return self.head(out[:, -1])


def build(cfg, seed):
    if len(cfg) == 4:
        cell, hidden, steps, batch = cfg
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        model = LastStep(cell, hidden, steps)
        x = [torch.randn(batch, steps * SEQ_FEATURES, generator=g) for _ in range(POOL)]
        y = [torch.randint(0, SEQ_CLASSES, (batch,), generator=g) for _ in range(POOL)]
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return model, opt, x, y, [model.rnn, model.head]
    depth, width, batch = cfg
    g = torch.Generator().manual_seed(seed)
    layers, d = [], INPUT_DIM
    for _ in range(depth):
        layers += [nn.Linear(d, width), nn.ReLU()]
        d = width
    layers.append(nn.Linear(d, CLASSES))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu", generator=g)
            nn.init.zeros_(m.bias)
    x = [torch.randn(batch, INPUT_DIM, generator=g) for _ in range(POOL)]
    y = [torch.randint(0, CLASSES, (batch,), generator=g) for _ in range(POOL)]
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return model, opt, x, y, linears


def plain_step(model, opt, x, y, linears):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return None


def stats_step(model, opt, x, y, linears):
    """Plain step plus hand-written gradscope-style statistics."""
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()

    out = {"loss": loss.item(), "layers": []}
    per_layer = []
    for m in linears:
        params = list(m.parameters())
        g = torch.cat([p.grad.reshape(-1) for p in params])
        a = g.abs()
        w = torch.cat([p.detach().reshape(-1) for p in params])
        nz = a[a > 0]
        lg = torch.log10(nz)
        hist = torch.histc(lg, bins=HIST_BINS, min=HIST_LO, max=HIST_HI)
        scalars = torch.stack([
            torch.linalg.vector_norm(g),                 # layer grad L2 (weight+bias)
            *[torch.linalg.vector_norm(p.grad) for p in params],  # per-parameter norms
            a.max(),                                     # max |g|
            a.mean(),                                    # mean |g|
            (g == 0).sum().to(g.dtype) / g.numel(),      # fraction of zeros
            torch.isnan(g).sum().to(g.dtype),            # NaN count
            torch.isinf(g).sum().to(g.dtype),            # Inf count
            torch.linalg.vector_norm(w),                 # weight norm
            (a == 0).sum().to(g.dtype),                  # histogram: zeros
            (lg < HIST_LO).sum().to(g.dtype),            # underflow
            (lg > HIST_HI).sum().to(g.dtype),            # overflow
            # recurrent: sigma_1 of each weight_hh
            *[torch.linalg.matrix_norm(p.detach(), 2) for n, p in m.named_parameters() if n.startswith("weight_hh")],
        ])
        per_layer.append((scalars, hist))

    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1e9)
    before = [[p.detach().clone() for p in m.parameters()] for m in linears]
    opt.step()

    for m, old, (scalars, hist) in zip(linears, before, per_layer):
        upd = torch.sqrt(sum(torch.sum((p.detach() - p0) ** 2) for p, p0 in zip(m.parameters(), old)))
        ratio = upd / torch.linalg.vector_norm(torch.cat([p0.reshape(-1) for p0 in old]))
        out["layers"].append({"scalars": scalars.tolist(), "hist": hist.tolist(),
                              "update_norm": upd.item(), "update_ratio": ratio.item()})
    out["global_norm"] = total_norm.item()
    return out


def time_variant(cfg, stats, args, seed):
    fn = stats_step if stats else plain_step

    def fresh():
        model, opt, xs, ys, linears = build(cfg, seed)
        for i in range(args.warmup):
            fn(model, opt, xs[i % POOL], ys[i % POOL], linears)
        return model, opt, xs, ys, linears

    steps = args.steps
    if steps is None:  # calibrate: aim for ~0.5 s per run
        model, opt, xs, ys, linears = fresh()
        t0 = time.perf_counter()
        n = 0
        while n < 3 or time.perf_counter() - t0 < 0.1:
            fn(model, opt, xs[n % POOL], ys[n % POOL], linears)
            n += 1
        per = (time.perf_counter() - t0) / n
        steps = max(3, min(20000, int(math.ceil(0.5 / per))))
    per_step_ms = []
    for _ in range(args.repeats):
        model, opt, xs, ys, linears = fresh()
        t0 = time.perf_counter()
        for i in range(steps):
            fn(model, opt, xs[i % POOL], ys[i % POOL], linears)
        per_step_ms.append((time.perf_counter() - t0) * 1000.0 / steps)
    return statistics.median(per_step_ms), per_step_ms, steps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", type=lambda s: [parse_config(c) for c in s.split(",") if c],
                    default=DEFAULT_CONFIGS,
                    help="comma list like d4-w64-b64,d8-w256-b128 (default: the three gradscope configs)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per variant (default 7)")
    ap.add_argument("--steps", type=int, default=None,
                    help="steps per run (default: calibrated so a run lasts ~0.5 s)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON only")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    results = []
    if not args.json:
        print("torch %s, %d thread(s), %d repeats" % (torch.__version__, args.threads, args.repeats))
        print("%-22s %-6s %10s %10s %10s %7s" % ("config", "stats", "median_ms", "min_ms",
                                                "max_ms", "steps"))
    for cfg in args.configs:
        for stats in (False, True):
            med, runs, steps = time_variant(cfg, stats, args, args.seed)
            results.append({"config": config_name(cfg), "stats": stats,
                            "median_ms": round(med, 4), "threads": args.threads,
                            "engine": "pytorch", "torch_version": torch.__version__})
            if not args.json:
                print("%-22s %-6s %10.4f %10.4f %10.4f %7d" % (
                    config_name(cfg), str(stats).lower(), med, min(runs), max(runs), steps))
                sys.stdout.flush()
    if args.json:
        print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
