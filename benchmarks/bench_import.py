"""Import throughput: `pinfold add -n` on a 1 GiB file, next to the hashlib.sha256 ceiling.

    python benchmarks/bench_import.py [--size-mib 1024] [--keep]

Each configuration runs `python -m pinfold add -n -Q` in its own process (so start-up is
counted, as a user would see it) and reports MB/s, the ratio to single-core sha256 over the
same bytes, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import make_file, sha256_seconds  # noqa: E402

CONFIGS = [
    ("unixfs-v0-2015 (size-262144, CIDv0)", ["--profile=unixfs-v0-2015"]),
    ("unixfs-v1-2025 (size-1048576, CIDv1)", ["--profile=unixfs-v1-2025"]),
    ("buzhash", ["--chunker=buzhash"]),
    ("rabin (87381/262144/393216)", ["--chunker=rabin"]),
]

TARGETS = {
    "unixfs-v0-2015 (size-262144, CIDv0)": ("ratio", 0.9),
    "unixfs-v1-2025 (size-1048576, CIDv1)": ("ratio", 0.9),
    "buzhash": ("mbps", 100),
    "rabin (87381/262144/393216)": ("mbps", 100),
}


def run_add(path: str, flags: list[str]) -> tuple[float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pinfold", "add", "-n", "-Q", *flags, path],
        capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"pinfold add failed: {proc.stderr.strip()}")
    # ru_maxrss of children is the max over all children so far (KiB on Linux)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before) * 1024, proc.stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()
    size = args.size_mib << 20
    tmpdir = tempfile.mkdtemp(prefix="pinfold-bench-")
    path = os.path.join(tmpdir, "data.bin")
    print(f"building a {args.size_mib} MiB file at {path} ...", flush=True)
    make_file(path, size)
    os.sync()  # let writeback finish before timing: it would steal CPU and I/O from the runs
    sha_s = min(sha256_seconds(path) for _ in range(2))
    mb = size / 1e6
    ceiling = mb / sha_s
    print(f"hashlib.sha256 ceiling (1 core): {ceiling:8.0f} MB/s\n")
    results = {"size_bytes": size, "sha256_mbps": ceiling, "runs": []}
    print(f"{'configuration':40} {'MB/s':>8} {'x sha256':>9} {'peak RSS':>10}  target  CID")
    # Peak RSS of children is a running max, so run the cheapest first and report deltas
    # honestly: each configuration runs in a fresh interpreter.
    for label, flags in CONFIGS:
        elapsed, rss, cid = run_add(path, flags)
        mbps = mb / elapsed
        ratio = mbps / ceiling
        kind, goal = TARGETS[label]
        ok = (ratio >= goal) if kind == "ratio" else (mbps >= goal)
        target = f"{'>=' + str(goal) + 'x' if kind == 'ratio' else '>=' + str(goal) + ' MB/s'}"
        print(f"{label:40} {mbps:8.0f} {ratio:9.2f} {rss / 2**20:8.0f} MB  "
              f"{target} {'ok' if ok else 'MISSED'}  {cid}", flush=True)
        results["runs"].append({"config": label, "flags": flags, "seconds": elapsed,
                                "mbps": mbps, "ratio": ratio, "peak_rss_bytes": rss,
                                "cid": cid, "target_met": ok})
    # The same two fixed-size profiles through the library in this process (no interpreter
    # start-up, which costs ~0.15 s of the CLI runs above): what an application sees.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    import pinfold

    print("\nlibrary, in process (pinfold.cid_of):")
    for label, profile in (("unixfs-v0-2015", "unixfs-v0-2015"),
                           ("unixfs-v1-2025", "unixfs-v1-2025")):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            pinfold.cid_of(path, profile=profile)
            best = min(best, time.perf_counter() - start)
        print(f"{label:40} {mb / best:8.0f} {mb / best / ceiling:9.2f}x sha256 (best of 3)")
        results["runs"].append({"config": label + " (library)", "seconds": best,
                                "mbps": mb / best, "ratio": mb / best / ceiling})
    peak = max(r.get("peak_rss_bytes", 0) for r in results["runs"])
    print(f"\npeak RSS over all runs: {peak / 2**20:.0f} MB (target < 150 MB)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    if not args.keep:
        os.unlink(path)
        os.rmdir(tmpdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
