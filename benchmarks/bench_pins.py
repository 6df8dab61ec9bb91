"""Pin-set benchmark (issue 4): a million pins with metadata, and the queries on them.

Builds ``--count`` pins (default 1,000,000) through the public API, ``repo.pins.add(...)``
inside one ``repo.pins.transaction()`` per batch (one commit per batch), and reports in one run:

- pins added per second, overall and as the pin set grows (with the time spent in COMMIT);
- the latency of a name search (exact, partial, ipartial: selective and broad), metadata range
  queries (``score`` between two numbers, selective and broad, a time range on ``minted``, an
  equality AND a range) and a page of 100 (newest first, and the next page through its
  cursor), each as ``repo.pins.query(...)`` with
  ``limit=100`` (page of pins with metadata and groups, total count and next cursor), next to
  the same query done by scanning every record in Python (all pins loaded with their metadata
  once, then a list comprehension filter + sort), with the ratio. Each latency is the median
  of ``--runs`` runs; the pinfold and the Python results are checked to be the same pins.

Target: every query under 50 ms at a million pins.

Every pin is on a real block (a raw block of its own, or one of ``--cids`` shared blocks), so
it is ``pinned`` and holds references; one pin in 100 is on a CID whose block is absent and is
added with ``queue=True`` (status ``queued``), as Pinata's pin-by-hash.

    python benchmarks/bench_pins.py [--count 1000000] [--cids N] [--batch 10000] [--runs 7]
                                    [--dir DIR] [--keep] [--reuse] [--explain] [--profile]
                                    [--no-queries] [--floor]

``--floor`` writes each batch's rows again, bare, into a second database right after pinfold
adds the batch (class ``Floor``), and the growth table shows that floor's rate beside
pinfold's: what SQLite alone does with these writes at each size, in the same run.

The repo is built in DIR/repo (default: a temp dir) and deleted afterwards unless ``--keep``;
``--reuse`` runs the queries on a repo kept by an earlier run (a million pins take ~12 min to
build on 2 cores). ``--explain`` prints every SQL statement each query runs, its time and its
query plan; ``--profile`` runs the build under cProfile and prints the hot spots.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from operator import attrgetter
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from pinfold import CID, Block  # noqa: E402
from pinfold.cid import RAW  # noqa: E402
from pinfold.cid.multihash import get_hash  # noqa: E402
from pinfold.repo import Repo  # noqa: E402

TARGET_MS = 50.0
PAGE = 100

COLLECTIONS = (
    "Aurora", "Basilisk", "Cinder", "Driftwood", "Ember", "Fjord", "Glacier", "Harbor",
    "Ironclad", "Juniper", "Kestrel", "Lumen", "Monsoon", "Nebula", "Obsidian", "Prism",
    "Quartz", "Riverstone", "Saffron", "Tundra",
)
GROUPS = ("featured", "archive", "staff-picks", "drops-2024")
OWNERS = 5000
MINT_START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
MINT_SPAN_S = 2 * 365 * 86400  # minted times spread over two years


# -- data -------------------------------------------------------------------------------------
def block_for(k: int) -> Block:
    data = b"pinfold bench pin block %d" % k
    return Block(CID.v1(RAW, get_hash("sha2-256").multihash(data)), data)


def missing_cid(k: int) -> CID:
    """A CID whose block is never stored (its pins stay queued)."""
    return CID.v1(RAW, get_hash("sha2-256").multihash(b"pinfold bench absent %d" % k))


def pin_args(i: int, rng: random.Random) -> dict[str, Any]:
    """Name, metadata and groups of pin number ``i``."""
    collection = collection_of(i)
    minted = MINT_START + dt.timedelta(seconds=rng.randrange(MINT_SPAN_S))
    groups = []
    if i % 10 == 0:
        groups.append(GROUPS[0])
    if i % 3 == 0:
        groups.append(GROUPS[1])
    if i % 50 == 7:
        groups.append(GROUPS[2 + (i // 50) % 2])
    return {
        "name": f"Item #{i} — {collection}",
        "meta": {
            "score": round(rng.uniform(0, 1000), 2),
            "minted": minted,
            "collection": collection,
            "listed": rng.random() < 0.3,
            "owner": f"0x{rng.randrange(OWNERS) * 2654435761 % (1 << 40):010x}",
        },
        "groups": groups,
    }


def collection_of(i: int) -> str:
    return COLLECTIONS[(i * 2654435761 >> 8) % len(COLLECTIONS)]


# -- building ---------------------------------------------------------------------------------
def store_blocks(repo: Repo, n: int, batch: int) -> float:
    """Store ``n`` raw blocks as an import does (recorded under a lease, then written)."""
    start = time.perf_counter()
    with repo.pins.lease() as lease:
        for lo in range(0, n, batch):
            blocks = [block_for(k) for k in range(lo, min(lo + batch, n))]
            lease.record((b.cid, [], len(b.data)) for b in blocks)
            repo.blocks.put_many(blocks)
    return time.perf_counter() - start


class Floor:
    """The rows a batch of pins writes, written bare into a second pin database made by the
    same schema (pinfold.pins.store): each pin's ``pins`` row in its final state (its name
    goes into the trigram index by the schema's trigger), its metadata rows, its groups and
    its block's reference count (and its leaving the unreferenced list), one statement each,
    one transaction and one commit per batch. No lookups, no Python between the statements
    but the loop: how fast SQLite alone takes these writes as the tables grow, measured batch
    by batch beside pinfold's own."""

    def __init__(self, path: str, cids: int, durable: bool = True) -> None:
        from pinfold.pins.store import connect, init_schema

        self.conn = connect(path, durable=durable)
        init_schema(self.conn)
        self.created = time.time_ns()
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT INTO refs(mh, cid, rc, dc, links, prc) VALUES (?, ?, 0, 0, x'', 0)",
                ((c.multihash, c.bytes) for c in (block_for(k).cid for k in range(cids))))
            # as after the lease that stored them: unreferenced until a pin takes them
            self.conn.execute("INSERT INTO unreferenced(mh) SELECT mh FROM refs")
            self.conn.execute("COMMIT")
        self.group_ids: dict[str, str] = {}

    def write(self, work: list) -> float:
        """Write the batch's rows; its seconds (rows prepared before the clock starts)."""
        from pinfold.pins.meta import typed
        from pinfold.pins.records import new_pin_id

        c = self.conn
        for g in {g for _, args, _ in work for g in args["groups"]} - set(self.group_ids):
            self.group_ids[g] = gid = new_pin_id(time.time_ns())
            c.execute("INSERT INTO groups(id, name, created) VALUES (?, ?, ?)",
                      (gid, g, time.time_ns()))
        rows = []
        for cid, args, queue in work:
            self.created += 1
            pin_id = new_pin_id(self.created)
            meta = [(pin_id, k, v.type, v.num, v.text)
                    for k, v in ((k, typed(x)) for k, x in args["meta"].items())]
            grp = [(pin_id, self.group_ids[g]) for g in args["groups"]]
            rows.append(((pin_id, cid.bytes, cid.multihash, args["name"], self.created,
                          None if queue else 26, "queued" if queue else "pinned"),
                         meta, grp, None if queue else cid.multihash))
        start = time.perf_counter()
        c.execute("BEGIN")
        for pin, meta, grp, mh in rows:
            c.execute("INSERT INTO pins(id, cid, mh, name, type, created, size, status)"
                      " VALUES (?, ?, ?, ?, 'recursive', ?, ?, ?)", pin)
            c.executemany("INSERT INTO pin_meta(pin, key, type, num, text)"
                          " VALUES (?, ?, ?, ?, ?)", meta)
            if grp:
                c.executemany("INSERT INTO pin_groups(pin, grp) VALUES (?, ?)", grp)
            if mh is not None:
                c.execute("UPDATE refs SET rc = rc + 1, prc = prc + 1 WHERE mh = ?", (mh,))
                c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))
        c.execute("COMMIT")
        return time.perf_counter() - start


def build_pins(repo: Repo, count: int, cids: int, batch: int, seed: int,
               floor: Floor | None = None,
               ) -> tuple[float, float, list[tuple[int, int, float, float, float | None]]]:
    """Add ``count`` pins, one transaction per batch. Returns the seconds spent adding, the
    seconds of that spent in COMMIT, and per batch (pins so far, pins in it, seconds, seconds
    of COMMIT, seconds of the same batch's rows written bare by ``floor``, run right after
    it). Generating the arguments of a batch is not counted."""
    rng = random.Random(seed)
    cid_of = [block_for(k).cid for k in range(cids)]
    pins = repo.pins
    adding = committing = 0.0
    rates: list[tuple[int, int, float, float, float | None]] = []
    next_report = time.perf_counter() + 30
    for lo in range(0, count, batch):
        hi = min(lo + batch, count)
        work = []
        for i in range(lo, hi):
            args = pin_args(i, rng)
            if i % 100 == 99:
                work.append((missing_cid(i), args, True))
            else:
                work.append((cid_of[i % cids], args, False))
        start = time.perf_counter()
        with pins.transaction():
            for cid, args, queue in work:
                pins.add(cid, name=args["name"], meta=args["meta"], groups=args["groups"],
                         queue=queue)
            body_end = time.perf_counter()
        end = time.perf_counter()
        adding += end - start
        committing += end - body_end
        rates.append((hi, hi - lo, end - start, end - body_end,
                      floor.write(work) if floor is not None else None))
        if end >= next_report:
            next_report = end + 30
            print(f"  {hi:>9,} pins  {hi / adding:8,.0f} pins/s overall,"
                  f" {(hi - lo) / (end - start):8,.0f} pins/s in the last batch", flush=True)
    return adding, committing, rates


def growth_rows(rates: list[tuple[int, int, float, float, float | None]]) -> list[list[str]]:
    """The add rate as the pin set grows: about ten rows, each over its batches (with the
    floor's rate and pinfold's fraction of it when there is a floor)."""
    step = max(1, len(rates) // 10)
    rows = []
    for i in range(0, len(rates), step):
        part = rates[i : i + step]
        pins = sum(p[1] for p in part)
        secs = sum(p[2] for p in part)
        commit_ms = sum(p[3] for p in part) / len(part) * 1000
        row = [f"{part[-1][0]:,}", f"{pins / secs:,.0f}", f"{commit_ms:,.0f}"]
        if part[0][4] is not None:
            floor_s = sum(p[4] for p in part)
            row += [f"{pins / floor_s:,.0f}", f"{floor_s / secs:.2f}x"]
        rows.append(row)
    return rows


# -- the Python baseline ----------------------------------------------------------------------
def load_all(repo: Repo) -> list:
    """Every pin with its metadata and groups, as Pin objects (what a scan starts from)."""
    return repo.pins.query(limit=None).pins


def scan(pins: list, pred: Callable[[Any], bool]) -> tuple[int, list[str]]:
    """A query done in Python: filter every record, sort newest first, take a page."""
    hits = [p for p in pins if pred(p)]
    hits.sort(key=attrgetter("created"), reverse=True)
    return len(hits), [p.id for p in hits[:PAGE]]


# -- the queries ------------------------------------------------------------------------------
class Case:
    def __init__(self, label: str, kwargs: dict[str, Any], pred: Callable[[Any], bool],
                 total_known: int | None = None) -> None:
        self.label = label
        self.kwargs = kwargs
        self.pred = pred
        self.total_known = total_known  # the page's total when the scan's filter differs


def cases(count: int, newest_page_cursor: int | None) -> list[Case]:
    rng = random.Random(7)
    k = count // 2 + 1
    exact = f"Item #{k} — {collection_of(k)}"
    # "#N" matches pin N and every pin whose number starts with N: ~111 pins at any scale
    partial = f"#{count // 800 + 3}"
    ipartial = f"ITEM #{count // 900 + 7}"
    ipartial_l = ipartial.lower()
    broad = COLLECTIONS[rng.randrange(len(COLLECTIONS))].lower()  # ~1/20 of all pins
    lo_t = MINT_START + dt.timedelta(days=300)
    hi_t = lo_t + dt.timedelta(days=7)
    lo_iso, hi_iso = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (lo_t, hi_t))
    coll = COLLECTIONS[3]
    out = [
        Case(f"name exact ({exact!r})", {"name": exact, "match": "exact"},
             lambda p: p.name == exact),
        Case(f"name partial ({partial!r})", {"name": partial, "match": "partial"},
             lambda p: partial in p.name),
        Case(f"name ipartial ({ipartial!r})", {"name": ipartial, "match": "ipartial"},
             lambda p: ipartial_l in p.name.lower()),
        Case(f"name ipartial, broad ({broad!r})", {"name": broad, "match": "ipartial"},
             lambda p: broad in p.name.lower()),
        Case("meta score between 400 and 410",
             {"meta": {"score": {"value": 400, "op": "between", "secondValue": 410}}},
             lambda p: 400 <= p.meta.get("score", -1) <= 410),
        Case("meta score between 100 and 900 (broad)",
             {"meta": {"score": {"value": 100, "op": "between", "secondValue": 900}}},
             lambda p: 100 <= p.meta.get("score", -1) <= 900),
        Case("meta score >= 999",
             {"meta": {"score": {"value": 999, "op": "gte"}}},
             lambda p: p.meta.get("score", -1) >= 999),
        Case("meta minted in a 7-day window",
             {"meta": {"minted": {"value": lo_iso, "op": "between", "secondValue": hi_iso}}},
             lambda p: "minted" in p.meta and lo_t <= p.meta["minted"] <= hi_t),
        Case(f"meta collection={coll} AND score > 990",
             {"meta": {"collection": coll, "score": {"value": 990, "op": "gt"}}},
             lambda p: p.meta.get("collection") == coll and p.meta.get("score", -1) > 990),
        Case("page of 100, newest first", {}, lambda p: True),
    ]
    if newest_page_cursor is not None:
        c = newest_page_cursor
        out.append(Case("next page of 100 (cursor)", {"cursor": c},
                        lambda p: p.created < c, total_known=count))
    return out


def median_ms(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = fn()  # warm-up, not timed
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def explain(repo: Repo, case: Case) -> None:
    """Every statement a query runs, its median time over 3 runs and its plan."""
    conn = repo.pins.conn
    stmts: list[str] = []
    conn.set_trace_callback(stmts.append)
    try:
        repo.pins.query(limit=PAGE, **case.kwargs)
    finally:
        conn.set_trace_callback(None)
    print(f"\n-- {case.label}")
    for sql in dict.fromkeys(stmts):
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        ms, _ = median_ms(lambda s=sql: conn.execute(s).fetchall(), 3)
        short = " ".join(sql.split())
        if len(short) > 240:
            short = short[:237] + "..."
        print(f"   {ms:9.2f} ms  {short}")
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            print(f"                 {row[-1]}")


# -- output -----------------------------------------------------------------------------------
def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return "\n".join([line(headers), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in rows])


def disk_mb(*paths: str) -> float:
    """Space the files take on disk (allocated blocks: the LMDB map file is sparse)."""
    total = 0
    for path in paths:
        walk = os.walk(path) if os.path.isdir(path) else [("", [], [path])]
        for root, _dirs, files in walk:
            for f in files:
                try:
                    total += os.stat(os.path.join(root, f)).st_blocks * 512
                except OSError:
                    pass
    return total / 1e6


def ratio(scan_ms: float, query_ms: float) -> str:
    r = scan_ms / query_ms if query_ms else float("inf")
    return f"{r:,.0f}x" if r >= 10 else f"{r:.2f}x"


# -- main -------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="pins to build")
    ap.add_argument("--cids", type=int, default=None,
                    help="distinct blocks the pins are spread over (default: one per pin)")
    ap.add_argument("--batch", type=int, default=10_000, help="pins per transaction")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per query (median)")
    ap.add_argument("--scan-runs", type=int, default=5, help="timed runs per Python scan")
    ap.add_argument("--dir", default=None,
                    help="where to build the repo (DIR/repo); default: a temp dir")
    ap.add_argument("--keep", action="store_true",
                    help="keep the repo afterwards (a --reuse'd repo is always kept)")
    ap.add_argument("--reuse", action="store_true",
                    help="query the repo already in DIR/repo instead of building one")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explain", action="store_true",
                    help="print each query's SQL statements, their times and plans")
    ap.add_argument("--profile", action="store_true",
                    help="build under cProfile and print the hot spots")
    ap.add_argument("--no-queries", action="store_true", help="only build")
    ap.add_argument("--floor", action="store_true",
                    help="after each batch, write the same rows bare into a second database"
                         " (the Floor class) and report its rate beside pinfold's")
    args = ap.parse_args()
    count = args.count
    cids = min(args.cids or count, count)

    if args.reuse and not args.dir:
        ap.error("--reuse needs --dir")
    base = args.dir or tempfile.mkdtemp(prefix="pinfold-bench-pins-")
    os.makedirs(base, exist_ok=True)
    where = os.path.join(base, "repo")
    if not args.reuse and os.path.exists(where):
        print(f"{where} exists; remove it or pass --reuse", file=sys.stderr)
        return 2

    import sqlite3

    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version},"
          f" {os.cpu_count()} CPUs", flush=True)
    summary: list[list[str]] = []
    growth: list[list[str]] = []
    try:
        if args.reuse:
            repo = Repo(where)
            count = repo.pins.stats()["pins"]
            print(f"reusing {where}: {count:,} pins", flush=True)
        else:
            repo = Repo.init(where, backend="lmdb")
            print(f"building {count:,} pins over {cids:,} blocks in {where}"
                  f" (batches of {args.batch:,}, one commit each) ...", flush=True)
            blocks_s = store_blocks(repo, cids, args.batch)
            summary.append(["blocks stored (lease + put_many)",
                            f"{cids:,} in {blocks_s:.1f} s ({cids / blocks_s:,.0f}/s)"])
            prof = cProfile.Profile() if args.profile else None
            if prof:
                prof.enable()
            floor = Floor(os.path.join(base, "floor.sqlite"), cids) if args.floor else None
            adding, committing, rates = build_pins(repo, count, cids, args.batch, args.seed,
                                                   floor)
            if prof:
                prof.disable()
            summary += [
                ["pins added", f"{count:,} in {adding:.1f} s ({committing:.1f} s of it in"
                               f" {len(rates)} COMMITs)"],
                ["pins added per second", f"{count / adding:,.0f}"],
                ["  first batch / last batch",
                 f"{rates[0][1] / rates[0][2]:,.0f} / {rates[-1][1] / rates[-1][2]:,.0f}"
                 " pins/s"],
            ]
            growth = growth_rows(rates)
            if prof:
                print("\nhot spots of the build (cProfile, by own time):")
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
                print("by cumulative time:")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        stats = repo.pins.stats()
        statuses = dict(repo.pins.conn.execute(
            "SELECT status, COUNT(*) FROM pins GROUP BY status").fetchall())
        sq = os.path.join(where, "pins.sqlite")
        by_status = ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items()))
        summary += [
            ["pins in the repo", f"{stats['pins']:,} ({by_status})"],
            ["on disk", f"pins.sqlite(-wal) {disk_mb(sq, sq + '-wal'):,.0f} MB,"
                        f" blocks {disk_mb(os.path.join(where, 'blocks')):,.0f} MB"],
        ]
        print("\n" + table(["build", ""], summary, set()), flush=True)
        if growth:
            print("\nadd rate as the pin set grows (batches of"
                  f" {args.batch:,} pins, one commit each):\n")
            heads = ["pins so far", "pins/s", "ms per COMMIT"]
            if len(growth[0]) > 3:
                heads += ["floor pins/s", "pinfold / floor"]
            print(table(heads, growth, set(range(len(heads)))), flush=True)
        if args.no_queries:
            repo.close()
            return 0

        print("\nloading every pin with its metadata for the Python scans ...", flush=True)
        start = time.perf_counter()
        everything = load_all(repo)
        load_s = time.perf_counter() - start
        gc.freeze()  # a million loaded pins must not slow the cyclic GC during the timings
        print(f"loaded {len(everything):,} pins in {load_s:.1f} s", flush=True)

        first = repo.pins.query(limit=PAGE)
        rows = []
        all_ok = True
        for case in cases(count, first.cursor):
            q_ms, page = median_ms(
                lambda c=case: repo.pins.query(limit=PAGE, **c.kwargs), args.runs)
            s_ms, (s_total, s_ids) = median_ms(
                lambda c=case: scan(everything, c.pred), args.scan_runs)
            if case.total_known is not None:
                s_total = case.total_known
            same = [p.id for p in page.pins] == s_ids and page.total == s_total
            all_ok &= same
            rows.append([
                case.label, f"{page.total:,}", f"{len(page.pins)}", f"{q_ms:.2f}",
                f"{s_ms:.1f}", ratio(s_ms, q_ms),
                "yes" if q_ms < TARGET_MS else "NO", "yes" if same else "DIFFERENT",
            ])
            print(f"  {case.label}: {q_ms:.2f} ms (scan {s_ms:.1f} ms)", flush=True)
        print(f"\nqueries at {count:,} pins: repo.pins.query(limit={PAGE}, ...), median of"
              f" {args.runs} runs; Python scan over {len(everything):,} loaded pins"
              f" (list comprehension + sort), median of {args.scan_runs} runs\n")
        print(table(
            ["query", "matches", "page", "pinfold ms", "scan ms", "scan/pinfold",
             f"< {TARGET_MS:.0f} ms", "same pins"],
            rows, {1, 2, 3, 4, 5}))
        if not all_ok:
            print("\nWARNING: some pinfold results differ from the Python scan", flush=True)
        if args.explain:
            print("\nstatements run by each query (median of 3 runs each) and their plans:")
            for case in cases(count, first.cursor):
                explain(repo, case)
        repo.close()
    finally:
        if args.keep or args.reuse:  # a reused repo was not ours to delete
            print(f"\nrepo kept at {where}")
        else:
            shutil.rmtree(where if args.dir else base, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            if args.floor and args.dir and not args.reuse:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(base, "floor.sqlite" + suffix))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
