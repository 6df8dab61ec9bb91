"""Run one benchmark script from two checkouts of pinfold, alternating, in one run.

    python benchmarks/compare_revisions.py OLD_DIR NEW_DIR [--reps 3] [--out DIR] \
        -- bench_import.py --size-mib 256

Each checkout runs its own copy of the script with its own ``src`` first on ``PYTHONPATH``
(so ``python -m pinfold`` and in-process imports take that checkout's code). The order
alternates rep by rep (old, new, new, old, ...) so that a disk or a neighbour that is slow for a
while weighs on both sides; every run's output is kept in ``--out`` and the numbers of each
output line are printed side by side as medians over the reps. Used for "behaviour unchanged,
speed within noise" checks of a restructuring (issue 10).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
CIDS = re.compile(r"\b(?:Qm|baf)[A-Za-z0-9]{20,}")  # not numbers: printed as they are


def run(checkout: str, script: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=os.path.join(checkout, "src"))
    path = os.path.join(checkout, "benchmarks", script[0])
    done = subprocess.run([sys.executable, path, *script[1:]], env=env, cwd=checkout,
                          capture_output=True, text=True, check=True)
    return done.stdout


def shape(line: str) -> str:
    return NUMBER.sub("#", line)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None, help="where to keep each run's output")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        ap.error("name the benchmark script after --")
    cut = argv.index("--")
    args = ap.parse_args(argv[:cut])
    script = argv[cut + 1:]
    out = args.out or tempfile.mkdtemp(prefix="pinfold-compare-")
    os.makedirs(out, exist_ok=True)
    outputs: dict[str, list[list[str]]] = {"old": [], "new": []}
    for rep in range(args.reps):
        order = ("old", "new") if rep % 2 == 0 else ("new", "old")
        for side in order:
            text = run(getattr(args, side), script)
            with open(os.path.join(out, f"{side}-{rep}.txt"), "w") as f:
                f.write(text)
            outputs[side].append(text.splitlines())
            print(f"rep {rep} {side} done", file=sys.stderr, flush=True)
    print(f"{script[0]} {' '.join(script[1:])}: medians of {args.reps}, old | new "
          f"(outputs in {out})")
    for side in outputs:
        outputs[side] = [[CIDS.sub("<cid>", line) for line in run_] for run_ in outputs[side]]
    for i, line in enumerate(outputs["new"][0]):
        nums = NUMBER.findall(line)
        if not nums:
            continue
        cols = []
        for side in ("old", "new"):
            rows = [r[i] for r in outputs[side] if i < len(r) and shape(r[i]) == shape(line)]
            values = [[float(n) for n in NUMBER.findall(r)] for r in rows]
            cols.append([statistics.median(v[k] for v in values) for k in range(len(nums))]
                        if values else [])
        label = NUMBER.sub("", line).strip()[:48]
        pairs = "  ".join(f"{a:g}|{b:g}" for a, b in zip(cols[0], cols[1], strict=False))
        print(f"{label:48} {pairs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
