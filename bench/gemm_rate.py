#!/usr/bin/env python3
"""How close the engine's matrix work is to the machine's matrix-multiply limit.

For an MLP configuration (default the large reference one, d4-w1024-b256) it
times, on matrices of exactly the engine's shapes and transposes, every
product of one training step (forward y = x·Wᵀ, weight gradient dW = dyᵀ·x,
input gradient dx = dy·W) with:
  - Debian's OpenBLAS `cblas_sgemm` through ctypes (the library gradscope
    links, with the kernels `OPENBLAS_CORETYPE` selects, SkylakeX by default
    here as `gradscope` itself picks),
  - PyTorch's `torch.mm` (when installed),
  - numpy's `@` (its bundled OpenBLAS, when installed);
then runs `gradscope bench` on the same configuration and reports the
engine's sustained rate (the step's multiply-add count ÷ its plain step
time) against the best library rate.

    python3 bench/gemm_rate.py                     # d4-w1024-b256, 2 threads
    python3 bench/gemm_rate.py --config d8-w256-b128 --threads 1

Rates are GFLOP/s (2·m·n·k per product), medians over --repeats timed
loops; release build of gradscope required (scripts/run builds one).
"""
import argparse, ctypes, ctypes.util, json, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def products(depth, width, batch, inputs=64, classes=10):
    """(name, m, n, k, transA, transB) of every product of one step, as the engine calls them."""
    dims = [inputs] + [width] * depth + [classes]
    out = []
    for i in range(len(dims) - 1):
        fan_in, fan_out = dims[i], dims[i + 1]
        out.append(("forward", batch, fan_out, fan_in, False, True))      # x·Wᵀ
        out.append(("weight grad", fan_out, fan_in, batch, True, False))  # dyᵀ·x
        if i > 0:
            out.append(("input grad", batch, fan_in, fan_out, False, False))  # dy·W
    return out


def timed(fn, repeats, budget=0.3):
    fn()
    t0 = time.perf_counter(); n = 0
    while n < 3 or time.perf_counter() - t0 < budget / 3:
        fn(); n += 1
    per = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        per.append((time.perf_counter() - t0) / n)
    return statistics.median(per)


def openblas_runner(threads):
    import numpy as np
    path = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
    if not os.path.exists(path):
        path = ctypes.util.find_library("openblas")
    lib = ctypes.CDLL(path)
    lib.openblas_set_num_threads(threads)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    core = lib.openblas_get_corename().decode()
    f = ctypes.c_float
    P = ctypes.POINTER(ctypes.c_float)

    def make(m, n, k, ta, tb):
        a = np.random.rand(*( (k, m) if ta else (m, k) )).astype(np.float32)
        b = np.random.rand(*( (n, k) if tb else (k, n) )).astype(np.float32)
        c = np.zeros((m, n), np.float32)
        pa, pb, pc = (x.ctypes.data_as(P) for x in (a, b, c))
        lda, ldb = a.shape[1], b.shape[1]
        args = (101, 112 if ta else 111, 112 if tb else 111, m, n, k, f(1.0), pa, lda, pb, ldb, f(0.0), pc, n)
        keep = (a, b, c)
        return lambda: (lib.cblas_sgemm(*args), keep)
    return "Debian OpenBLAS " + core, make


def torch_runner(threads):
    import torch
    torch.set_num_threads(threads)

    def make(m, n, k, ta, tb):
        a = torch.rand(k, m) if ta else torch.rand(m, k)
        b = torch.rand(n, k) if tb else torch.rand(k, n)
        a2, b2 = (a.t() if ta else a), (b.t() if tb else b)
        return lambda: torch.mm(a2, b2)
    return "PyTorch " + torch.__version__, make


def numpy_runner(threads):
    import numpy as np

    def make(m, n, k, ta, tb):
        a = np.random.rand(*((k, m) if ta else (m, k))).astype(np.float32)
        b = np.random.rand(*((n, k) if tb else (k, n))).astype(np.float32)
        a2, b2 = (a.T if ta else a), (b.T if tb else b)
        return lambda: a2 @ b2
    return "numpy " + np.__version__, make


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="d4-w1024-b256")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    m = re.fullmatch(r"d(\d+)-w(\d+)-b(\d+)", args.config)
    if not m:
        sys.exit("--config must look like d4-w1024-b256")
    depth, width, batch = map(int, m.groups())
    os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    shapes = products(depth, width, batch)
    flops = sum(2 * m * n * k for _, m, n, k, _, _ in shapes)

    rates = {}
    for factory in (openblas_runner, torch_runner, numpy_runner):
        try:
            name, make = factory(args.threads)
        except (ImportError, OSError) as e:
            print(f"skipped {factory.__name__}: {e}", file=sys.stderr)
            continue
        total = sum(timed(make(m, n, k, ta, tb), args.repeats) for _, m, n, k, ta, tb in shapes)
        rates[name] = flops / total / 1e9
        print(f"{name:<34} {rates[name]:7.1f} GFLOP/s  (all {len(shapes)} products of one step: {total * 1e3:.2f} ms)")

    out = subprocess.run([os.path.join(ROOT, ".build/release/gradscope"), "bench", "--json", "--configs", args.config,
                          "--threads", str(args.threads), "--repeats", str(args.repeats)],
                         capture_output=True, text=True, check=True).stdout
    plain = next(r for r in json.loads(out)["results"] if not r["stats"])
    engine = flops / (plain["median_ms"] / 1e3) / 1e9
    best_name = max(rates, key=rates.get)
    print(f"{'gradscope step (plain)':<34} {engine:7.1f} GFLOP/s  ({plain['median_ms']:.2f} ms for {flops / 1e9:.2f} GFLOP)")
    print(f"engine ÷ best library ({best_name}): {engine / rates[best_name]:.0%}")


if __name__ == "__main__":
    main()
