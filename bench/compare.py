#!/usr/bin/env python3
"""gradscope against PyTorch, side by side on the same machine.

Runs `gradscope bench --json` (release build) and bench/pytorch_bench.py
--json on the same configurations, alternating the two engines round by
round so that drift in machine load hits both, then prints per configuration
the median step time of each engine, the ratio, and gradscope's statistics
overhead. Writes the raw results to bench/results/compare-<date>.json
(bench/results/ is ignored by git).

    python3 bench/compare.py                  # default configs, 3 rounds
    python3 bench/compare.py --rounds 5 --configs d4-w64-b64
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["results"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default="d4-w64-b64,d8-w256-b128,d4-w1024-b256,rnn-h128-t50-b32,lstm-h128-t50-b32")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians over rounds are reported")
    ap.add_argument("--repeats", type=int, default=5, help="runs per engine per round")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--product", "gradscope"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    gradscope = [".build/release/gradscope", "bench", "--json", "--configs", args.configs,
                 "--repeats", str(args.repeats), "--threads", str(args.threads)]
    pytorch = [sys.executable, "bench/pytorch_bench.py", "--json", "--configs", args.configs,
               "--repeats", str(args.repeats), "--threads", str(args.threads)]
    samples = {}
    raw = []
    for r in range(args.rounds):
        for engine, cmd in (("gradscope", gradscope), ("pytorch", pytorch)):
            for res in run(cmd):
                samples.setdefault((res["config"], res["stats"], engine), []).append(res["median_ms"])
                raw.append(dict(res, engine=engine, round=r))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    def med(config, stats, engine):
        return statistics.median(samples[(config, stats, engine)])

    configs = []
    for key in samples:
        if key[0] not in configs:
            configs.append(key[0])
    # Ratios: PyTorch ÷ gradscope with both plain; PyTorch plain ÷ gradscope
    # with every statistic (what watching a run costs against an unwatched
    # PyTorch step); both with statistics.
    print(f"{'config':<20} {'gradscope ms':>13} {'+stats ms':>10} {'overhead':>9} "
          f"{'pytorch ms':>11} {'+stats ms':>10} {'pt/gs':>7} {'pt/gs+st':>9} {'pt+st/gs+st':>12}")
    for c in configs:
        g, gs = med(c, False, "gradscope"), med(c, True, "gradscope")
        p, ps = med(c, False, "pytorch"), med(c, True, "pytorch")
        print(f"{c:<20} {g:>13.3f} {gs:>10.3f} {100 * (gs / g - 1):>8.0f}% {p:>11.3f} {ps:>10.3f} "
              f"{p / g:>6.2f}x {p / gs:>8.2f}x {ps / gs:>11.2f}x")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"compare-{datetime.date.today()}.json")
    with open(path, "w") as f:
        json.dump({"machine": platform.processor() or platform.machine(), "threads": args.threads,
                   "results": raw}, f, indent=1)
    print(f"raw results: {os.path.relpath(path, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
