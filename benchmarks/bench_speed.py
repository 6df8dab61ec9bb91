"""In-process speed of the hot paths of issue 13, old code against new in one run.

Each case runs in a fresh interpreter per repetition, alternating between the source trees
given (``--src``, first one the baseline), five repetitions by default; the table gives the
median of each and the ratio of the medians. Cases:

- ``cid``: ``str(CID(text))`` for 1,000 distinct CIDv1 (base32, raw, sha2-256) and CIDv0;
- ``cbor``: DAG-CBOR decode and encode of the NFT-metadata object of bench_car.py;
- ``dagput``: ``repo.dag_put`` one object per call (fsync off, as bench_car.py measures it),
  fs and lmdb, next to two floors in the same interpreter: the same number of bare SQLite
  commits (WAL, synchronous=NORMAL, one row each), and for fs the same number of small files
  written bare the way flatfs writes a block with fsync off (the existence check, a
  temporary file, one write, the rename into a shard directory), nothing else;
- ``onlyhash``: ``pinfold.cid_of`` of a 256 MiB file of random bytes (``--onlyhash-mib``)
  with the interpreter pinned to one core (``sched_setaffinity``, as ``taskset -c 0``), v0
  (Kubo's defaults) and the ``unixfs-v1-2025`` profile, each as a ratio to one core's
  ``hashlib.sha256`` of the same file in the same interpreter (warm page cache; 1.0x is the
  hashing alone; issue 13's target is 0.95x).

    python benchmarks/bench_speed.py --src /path/to/old/src --src src [--reps 5]
                                     [--cases cid,cbor,dagput,onlyhash] [--dir DIR]

The old tree can be made with ``git archive <commit> src | tar -x -C /tmp/old``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def nft(i: int, image) -> dict:
    return {
        "name": f"Token #{i}",
        "description": "A pinfold benchmark token",
        "image": image,
        "attributes": [{"trait_type": "level", "value": i % 100},
                       {"trait_type": "rarity", "value": ["common", "rare"][i % 2]}],
        "edition": i,
    }


def rate(fn, items, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for x in items:
            fn(x)
    return rounds * len(items) / (time.perf_counter() - start)


def case_cid() -> dict[str, float]:
    import hashlib

    from pinfold.cid import CID

    digests = [b"\x12\x20" + hashlib.sha256(str(i).encode()).digest() for i in range(1000)]
    v1 = [str(CID.v1("raw", d)) for d in digests]
    v0 = [str(CID.v0(d)) for d in digests]
    made = [CID.v1("raw", d) for d in digests]
    return {
        "CIDv1 base32 parse+str /s": rate(lambda s: str(CID(s)), v1, 20),
        "CIDv0 parse+str /s": rate(lambda s: str(CID(s)), v0, 20),
        "CIDv1 from bytes + str /s": rate(lambda c: str(CID.from_bytes(c.bytes)), made, 20),
    }


def case_cbor() -> dict[str, float]:
    import hashlib

    from pinfold.cid import CID
    from pinfold.codecs import dagcbor

    image = CID.v1("raw", b"\x12\x20" + hashlib.sha256(b"an image").digest())
    objs = [nft(i, image) for i in range(1000)]
    blocks = [dagcbor.encode(o) for o in objs]
    return {
        "DAG-CBOR decode /s": rate(dagcbor.decode, blocks, 60),
        "DAG-CBOR decode, pure Python (decode_python) /s": rate(dagcbor.decode_python, blocks, 60)
        if hasattr(dagcbor, "decode_python") else rate(dagcbor.decode, blocks, 60),
        "DAG-CBOR decode with links /s": rate(lambda b: dagcbor.decode(b, []), blocks, 60),
        "DAG-CBOR encode /s": rate(dagcbor.encode, objs, 60),
    }


def sqlite_floor(path: str, n: int) -> float:
    """Bare one-row commits a second (WAL, synchronous=NORMAL): what two commits cost."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (os.urandom(34), b"x" * 40))
        conn.execute("COMMIT")
    conn.close()
    return n / (time.perf_counter() - start)


def file_floor(where: str, n: int, size: int = 300) -> float:
    """Bare block files a second, as flatfs writes one with fsync off (no SQLite, no
    encoding): on this VM's ext4 creating a file costs 130-700 us, from one minute to the
    next, so this is what dag_put on fs can do at most."""
    import uuid

    dirs = [os.path.join(where, f"{i:03x}") for i in range(1024)]
    for d in dirs:
        os.makedirs(d)
    data = os.urandom(size)
    start = time.perf_counter()
    for i in range(n):
        d = dirs[(i * 7919) % 1024]
        target = os.path.join(d, f"{i:08x}.data")
        if os.path.exists(target):
            continue
        tmp = os.path.join(d, f".tmp-{os.getpid()}-{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    return n / (time.perf_counter() - start)


def case_dagput(base: str, n: int = 2000) -> dict[str, float]:
    from pinfold.repo import Repo

    out = {}
    for backend in ("fs", "lmdb"):
        with tempfile.TemporaryDirectory(dir=base) as d:
            repo = Repo.init(os.path.join(d, "r"), backend=backend, fsync=False)
            image = repo.add(b"an image").root
            start = time.perf_counter()
            for i in range(n):
                repo.dag_put(nft(i, image))
            out[f"dag_put one per call, {backend} /s"] = n / (time.perf_counter() - start)
            repo.close()
    with tempfile.TemporaryDirectory(dir=base) as d:
        out["floor: bare SQLite commits /s"] = sqlite_floor(os.path.join(d, "f.sqlite"), n)
    with tempfile.TemporaryDirectory(dir=base) as d:
        out["floor: bare block files, fs /s"] = file_floor(d, n)
    return out


def onlyhash_file(base: str, mib: int) -> str:
    """A file of ``mib`` MiB of random bytes in ``base`` (made once, kept for later runs)."""
    path = os.path.join(base, f"pinfold-onlyhash-{mib}.bin")
    if not os.path.exists(path) or os.path.getsize(path) != mib << 20:
        with open(path + ".tmp", "wb") as f:
            for _ in range(mib):
                f.write(os.urandom(1 << 20))
        os.replace(path + ".tmp", path)
    return path


def case_onlyhash(path: str) -> dict[str, float]:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, before any pool
    import hashlib

    import pinfold

    def sha() -> None:
        h = hashlib.sha256()
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    sha()  # the page cache warm for both
    out = {}
    base = timed(sha)
    for label, opts in (("v0", {}), ("v1", {"profile": "unixfs-v1-2025"})):
        took = timed(functools.partial(pinfold.cid_of, path, **opts))
        out[f"only-hash {label}, one core, x sha256"] = base / took
    out["sha256 of the file, one core, MB/s"] = os.path.getsize(path) / base / 1e6
    return out


def child(case: str, base: str, mib: int = 256) -> None:
    fn = {"cid": case_cid, "cbor": case_cbor, "dagput": lambda: case_dagput(base),
          "onlyhash": lambda: case_onlyhash(onlyhash_file(base, mib))}[case]
    print(json.dumps(fn()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", action="append", required=True, help="a source tree (repeat)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cases", default="cid,cbor,dagput")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--onlyhash-mib", type=int, default=256)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.dir, args.onlyhash_mib)
        return 0
    if "onlyhash" in args.cases:
        onlyhash_file(args.dir, args.onlyhash_mib)  # made before the timed children
    srcs = [os.path.abspath(s) for s in args.src]
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for case in args.cases.split(","):
        results: dict[str, dict[str, list[float]]] = {s: {} for s in srcs}
        for _ in range(args.reps):
            for src in srcs:  # alternating: the trees see the same minute of the machine
                env = dict(os.environ, PYTHONPATH=src)
                out = subprocess.run([sys.executable, __file__, "--src", src, "--child", case,
                                      "--dir", args.dir, "--onlyhash-mib",
                                      str(args.onlyhash_mib)], env=env, check=True,
                                     capture_output=True, text=True).stdout
                for k, v in json.loads(out.splitlines()[-1]).items():
                    results[src].setdefault(k, []).append(v)
        keys = list(results[srcs[-1]])
        print(f"\n{case} (median of {args.reps}, alternating)")
        head = " | ".join(os.path.basename(os.path.dirname(s)) or s for s in srcs)
        print(f"| | {head} | ratio |\n|---|{'---|' * len(srcs)}---|")
        for k in keys:
            meds = [statistics.median(results[s][k]) if k in results[s] else float("nan")
                    for s in srcs]
            cells = " | ".join(f"{m:,.2f}" if m < 10 else f"{m:,.0f}" for m in meds)
            print(f"| {k} | {cells} | {meds[-1] / meds[0]:.2f}x |")
        sys.stdout.flush()
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
