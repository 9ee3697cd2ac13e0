#!/usr/bin/env python3
"""How the engine's step time scales with batch size, depth and width.

Runs `gradscope bench --json` (release build) over three sweeps of the
reference MLP and prints, per configuration, the plain step time and the
ratio of measured to expected growth against the sweep's first
configuration: linear in batch and in depth, quadratic in width (the
multiply-add count of the hidden layers; the 64-input and 10-output layers
are included in the expectation too, so the ratio is measured ÷ predicted
work). A ratio of 1.00 is ideal scaling; the project's target is within
±20%.

    python3 bench/scaling.py
    python3 bench/scaling.py --repeats 7 --threads 1
"""
import argparse, json, os, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEPS = {
    "batch": [(4, 256, b) for b in (32, 64, 128, 256, 512)],
    "depth": [(d, 256, 128) for d in (2, 4, 8, 16)],
    "width": [(4, w, 128) for w in (128, 256, 512, 1024)],
}


def work(depth, width, batch, inputs=64, classes=10):
    """Multiply-adds of one step: forward, weight and input gradients (none for the first layer's input)."""
    dims = [inputs] + [width] * depth + [classes]
    return sum((2 if i == 0 else 3) * batch * a * b for i, (a, b) in enumerate(zip(dims, dims[1:])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    print("| sweep | config | ms/step | measured ÷ expected growth |")
    print("|---|---|---|---|")
    for sweep, configs in SWEEPS.items():
        names = ",".join("d%d-w%d-b%d" % c for c in configs)
        out = subprocess.run([os.path.join(ROOT, ".build/release/gradscope"), "bench", "--json", "--configs", names,
                              "--repeats", str(args.repeats), "--threads", str(args.threads)],
                             capture_output=True, text=True, check=True).stdout
        plain = {r["config"]: r["median_ms"] for r in json.loads(out)["results"] if not r["stats"]}
        base = configs[0]
        base_ms = plain["mlp-d%d-w%d-b%d" % base]
        for c in configs:
            ms = plain["mlp-d%d-w%d-b%d" % c]
            ratio = (ms / base_ms) / (work(*c) / work(*base))
            print(f"| {sweep} | mlp-d{c[0]}-w{c[1]}-b{c[2]} | {ms:.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
