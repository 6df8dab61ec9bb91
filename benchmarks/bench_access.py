"""Access control costs (issue 15): the gateway's per-request reach lookup (one row, whatever
the DAG), the extra cost of a public pin (its second, public, walk over recorded links)
against a private pin of the same DAG, API-key checks with a use counted, and link checks.

Run: ``python benchmarks/bench_access.py [--files 2000] [--seconds 1.0]``. Public and private
pins alternate, so disk speed changes hit both alike; ratios are what to read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from _common import rate  # noqa: E402

from pinfold import Entry, Repo  # noqa: E402
from pinfold.access import parse_query_string  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d, Repo.init(os.path.join(d, "r"), fsync=False) as repo:
        entries = [Entry(f"t/{i // 100}/{i}.txt", f"file {i}\n".encode())
                   for i in range(a.files)]
        root = repo.add(entries, pin=False).roots[0].cid
        times = {"public": [], "private": []}
        for _ in range(a.rounds):
            for net in ("public", "private"):
                t = time.perf_counter()
                repo.pin(root, name=net, network=net)
                times[net].append(time.perf_counter() - t)
                repo.unpin(root, name=net)
        pub, priv = min(times["public"]), min(times["private"])
        print(f"pin of a {a.files}-file DAG: public {pub * 1e3:.1f} ms, private"
              f" {priv * 1e3:.1f} ms, ratio {pub / priv:.2f}")
        repo.pin(root, network="private")
        blocks = repo.pins.stats()["kept_blocks"]
        leaf = list(repo.pins.indirect())[-1]
        print(f"reach() of a block inside it: {rate(lambda: repo.reach(leaf), a.seconds):,.0f}"
              f"/s  (kept blocks: {blocks})")
        key = repo.access.create_key("bench", ["files:read"]).secret
        print(f"check_key with a use counted: "
              f"{rate(lambda: repo.access.check_key(key, 'files:read'), a.seconds):,.0f}/s")
        link = repo.access.link(str(root))
        path, _, q = link.partition("?")
        pairs = parse_query_string(q)
        per_s = rate(lambda: repo.access.check_link("GET", path, pairs), a.seconds)
        print(f"check_link: {per_s:,.0f}/s")


if __name__ == "__main__":
    main()
