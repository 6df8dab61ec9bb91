"""Scale-out (issue 12): a repo on S3 (SeaweedFS) + PostgreSQL beside a local LMDB repo.

1. add throughput with 1, 2 and 4 writer processes, the same content into the shared repo
   and into a local LMDB repo, alternating, in one run;
2. gc of U unpinned blocks beside K kept ones, then beside 10 K (kept blocks are count rows
   made in bulk: gc's cost is the pin set's, not the kept blocks' bytes);
3. query latency at P pins, PostgreSQL vs SQLite (the same rows, bulk-loaded).

Both servers are started here as tests/servers.py starts them (fsync off: a throwaway
cluster). Run: ``python benchmarks/bench_scale.py [--mib 16] [--unpinned 10000]
[--kept 100000] [--pins 200000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, ".."))

from pinfold import CID  # noqa: E402
from pinfold.repo import Repo  # noqa: E402
from tests.servers import PostgresServer, SeaweedServer  # noqa: E402

WRITER = """
import os, random, sys
sys.path.insert(0, {src!r})
from pinfold.repo import Repo
path, seed, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Repo(path) as repo:
    for k in range(mib):
        repo.add(random.Random(f"{{seed}}-{{k}}").randbytes(1 << 20), name=f"{{seed}}-{{k}}")
"""


def add_throughput(path: str, writers: int, mib: int, tag: str) -> float:
    """MiB/s of ``writers`` processes adding ``mib`` MiB each (distinct content)."""
    src = os.path.join(HERE, "..", "src")
    code = WRITER.format(src=src)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, path, f"{tag}-w{i}", str(mib)])
             for i in range(writers)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit(f"writer failed ({p.returncode})")
    return writers * mib / (time.perf_counter() - start)


def bench_adds(shared: str, tmp: str, mib: int) -> None:
    print("## add throughput (MiB/s, total of all writers)")
    print("| writers | S3 + PostgreSQL | local LMDB + SQLite | ratio |")
    print("| --- | --- | --- | --- |")
    for n in (1, 2, 4):
        local = os.path.join(tmp, f"lmdb-{n}")
        Repo.init(local, backend="lmdb", fsync=True).close()
        # alternate which goes first, the disk and the CPU vary minute to minute
        if n % 2:
            s = add_throughput(shared, n, mib, f"s{n}")
            lo = add_throughput(local, n, mib, f"s{n}")
        else:
            lo = add_throughput(local, n, mib, f"s{n}")
            s = add_throughput(shared, n, mib, f"s{n}")
        print(f"| {n} | {s:.1f} | {lo:.1f} | {s / lo:.2f} |", flush=True)


def fake_cid(i: int, tag: bytes) -> CID:
    return CID.v1("raw", b"\x12\x20" + hashlib.sha256(tag + i.to_bytes(8, "big")).digest())


def bulk_kept(repo: Repo, start: int, count: int) -> None:
    """``count`` count rows (rc = 1) as a pin set holds for kept blocks."""
    pins = repo.pins
    if hasattr(pins, "writer"):  # PostgreSQL
        with pins.conn.raw.cursor() as cur, cur.copy("COPY refs (mh, cid, rc) FROM STDIN") as cp:
            for i in range(start, start + count):
                c = fake_cid(i, b"kept")
                cp.write_row((c.multihash, c.bytes, 1))
    else:
        with pins.tx() as c:
            c.executemany("INSERT INTO refs(mh, cid, rc) VALUES (?, ?, 1)",
                          ((x.multihash, x.bytes) for x in
                           (fake_cid(i, b"kept") for i in range(start, start + count))))


def bench_gc(shared: str, unpinned: int, kept: int) -> None:
    print(f"\n## gc of {unpinned:,} unpinned blocks (S3 + PostgreSQL)")
    print("| kept blocks | gc seconds | blocks/s |")
    print("| --- | --- | --- |")
    have = 0
    for target in (kept, kept * 10):
        with Repo(shared) as repo:
            bulk_kept(repo, have, target - have)
            have = target
            with repo.writer() as w:  # real, small blocks, recorded then written
                from pinfold.block import Block

                for i in range(unpinned):
                    data = b"g%d-%d" % (target, i)
                    w.put(Block(CID.v1("raw", b"\x12\x20" + hashlib.sha256(data).digest()),
                                data, links=[]))
            start = time.perf_counter()
            result = repo.gc()
            took = time.perf_counter() - start
            assert result.blocks == unpinned, result.blocks
        print(f"| {target:,} | {took:.1f} | {unpinned / took:,.0f} |", flush=True)


QUERIES = {
    "newest page": {},
    "name exact": {"name": "pin-123457"},
    "name ipartial": {"name": "N-1234", "match": "ipartial"},
    "meta eq": {"meta": {"app": "app-7"}},
    "meta range": {"meta": {"n": {"value": [1000, 1100], "op": "between"}}},
    "status + after": {"status": "pinned", "after": 1_700_000_000_000_000_000 + 10_000},
    "group page 50": {"group": "g3", "limit": 50},
}


def bulk_pins(repo: Repo, count: int) -> None:
    """``count`` pins (two metadata keys each, a group for every tenth) straight into the
    tables, the same rows for both engines."""
    pins = repo.pins
    gid = pins.group_create("g3").id
    base = 1_700_000_000_000_000_000

    def rows():
        for i in range(count):
            c = fake_cid(i, b"pin")
            yield (f"{i:032x}", c.bytes, c.multihash, f"pin-{i}", base + i, 1000 + i % 5000)

    pg = hasattr(pins, "writer")
    if pg:
        raw = pins.conn.raw
        with raw.cursor() as cur:
            with cur.copy("COPY pins (id, cid, mh, name, name_fold, type, created, size,"
                          " status) FROM STDIN") as cp:
                for r in rows():
                    cp.write_row((r[0], r[1], r[2], r[3], r[3].lower(), "recursive", r[4], r[5],
                                  "pinned"))
            with cur.copy("COPY pin_meta (pin, key, type, num, text, text_fold) FROM STDIN") as cp:
                for i in range(count):
                    cp.write_row((f"{i:032x}", "app", "string", None, f"app-{i % 50}",
                                  f"app-{i % 50}"))
                    cp.write_row((f"{i:032x}", "n", "number", i % 100_000, None, None))
            with cur.copy("COPY pin_groups (pin, grp) FROM STDIN") as cp:
                for i in range(0, count, 10):
                    cp.write_row((f"{i:032x}", gid))
        raw.execute("ANALYZE")
    else:
        with pins.tx() as c:
            c.executemany("INSERT INTO pins(id, cid, mh, name, type, created, size, status)"
                          " VALUES (?, ?, ?, ?, 'recursive', ?, ?, 'pinned')", rows())
            c.executemany("INSERT INTO pin_meta(pin, key, type, num, text) VALUES (?,?,?,?,?)",
                          ((f"{i:032x}", k, t, n, s) for i in range(count) for k, t, n, s in
                           (("app", "string", None, f"app-{i % 50}"),
                            ("n", "number", i % 100_000, None))))
            c.executemany("INSERT INTO pin_groups(pin, grp) VALUES (?, ?)",
                          ((f"{i:032x}", gid) for i in range(0, count, 10)))
        pins.conn.execute("ANALYZE")


def latency(repo: Repo, query: dict, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        repo.pins.query(**query)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench_queries(pg_url: str, tmp: str, count: int) -> None:
    print(f"\n## query latency at {count:,} pins (ms, median of 7, total counted each time)")
    lite = Repo.init(os.path.join(tmp, "q-sqlite"), backend="lmdb", fsync=False)
    pg = Repo.init(os.path.join(tmp, "q-pg"), backend="lmdb", fsync=False, pinset=pg_url,
                   pinset_schema="bench_queries")
    try:
        for repo in (lite, pg):
            start = time.perf_counter()
            bulk_pins(repo, count)
            print(f"(loaded {type(repo.pins).__name__} in {time.perf_counter() - start:.0f} s)")
        print("| query | SQLite | PostgreSQL | matches |")
        print("| --- | --- | --- | --- |")
        for label, q in QUERIES.items():
            a, b = latency(lite, q), latency(pg, q)
            ta, tb = lite.pins.query(**q).total, pg.pins.query(**q).total
            assert ta == tb, (label, ta, tb)
            print(f"| {label} | {a:.1f} | {b:.1f} | {ta:,} |", flush=True)
    finally:
        lite.close()
        pg.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=16, help="MiB each writer adds")
    ap.add_argument("--unpinned", type=int, default=10_000)
    ap.add_argument("--kept", type=int, default=100_000)
    ap.add_argument("--pins", type=int, default=200_000)
    ap.add_argument("--only", choices=("adds", "gc", "queries"), default=None)
    args = ap.parse_args()
    pg, s3 = PostgresServer().start(), SeaweedServer().start()
    try:
        os.environ.update(s3.env)
        pg.admin("CREATE DATABASE bench")
        with tempfile.TemporaryDirectory() as tmp:
            shared = os.path.join(tmp, "shared")
            bucket = s3.create_bucket()
            Repo.init(shared, backend=f"s3://{bucket}/blocks", s3_endpoint=s3.endpoint,
                      pinset=pg.url("bench"), gc_grace=0).close()
            if args.only in (None, "adds"):
                bench_adds(shared, tmp, args.mib)
            if args.only in (None, "gc"):
                bench_gc(shared, args.unpinned, args.kept)
            if args.only in (None, "queries"):
                bench_queries(pg.url("bench"), tmp, args.pins)
    finally:
        s3.stop()
        pg.stop()


if __name__ == "__main__":
    main()
