"""A worker for the crash-safety tests: one repo operation on deterministic content.

    python crash_worker.py REPO OP [ARG]

OP is ``add``, ``pin``, ``unpin``, ``gc``, ``update`` or ``mixed`` (on a repo :func:`prepare`
made), ``stream COUNT DONE_FILE`` (add and pin COUNT DAGs, unpin some, then create DONE_FILE) or
``gcloop DONE_FILE`` (run gc until DONE_FILE exists).

With ``PINFOLD_KILL_AFTER=N`` pinfold kills this process at its N-th checkpoint. With
``CRASH_TRACE=1`` (and no kill) the worker prints, as JSON, the checkpoints it passed and the
pin set after each step, so that a test knows how many checkpoints there are and which pin sets
a crash may leave behind.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

from pinfold import CID, Entry  # noqa: E402
from pinfold.cid import get_hash  # noqa: E402
from pinfold.repo import Repo  # noqa: E402

CHUNK = 16384
OPTIONS = {"chunker": f"size-{CHUNK}"}


def blob(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


SHARED = blob("shared", 6 * CHUNK)


def dag(name: str, own: int = 10 * CHUNK) -> list[Entry]:
    """A directory of three files: one shared by every DAG, one of its own, and zeros (one leaf
    linked several times)."""
    return [
        Entry(f"{name}/common.bin", content=SHARED),
        Entry(f"{name}/own.bin", content=blob(name, own)),
        Entry(f"{name}/zeros.bin", content=bytes(4 * CHUNK + 100)),
    ]


def add_dag(repo: Repo, name: str, *, pin: bool = True, pin_name: str | None = None):
    return repo.add(dag(name), pin=pin, name=name if pin_name is None else pin_name,
                    **OPTIONS).root


def prepare(repo: Repo) -> dict[str, str]:
    """The state every operation starts from: pinned DAGs, a direct pin, loose DAGs and
    garbage. Returns the CIDs by role."""
    roots = {
        "keep": add_dag(repo, "keep"),
        "old": add_dag(repo, "old"),
        "loose": add_dag(repo, "loose", pin=False),
        "m2": add_dag(repo, "m2", pin=False),
        "junk": add_dag(repo, "junk", pin=False),
    }
    roots["direct"] = repo.block_put(blob("direct", 3000))
    repo.pin(roots["direct"], name="direct", recursive=False)
    for i in range(3):
        repo.block_put(blob(f"garbage-{i}", 2000 + i))
    return {k: str(v) for k, v in roots.items()}


def roots_of() -> dict[str, str]:
    """The roles of :func:`prepare`, recomputed (the content is deterministic)."""
    import pinfold

    out = {name: str(pinfold.cid_of(dag(name), **OPTIONS)) for name in
           ("keep", "old", "loose", "m2", "junk", "added", "m1", "carred")}
    out["direct"] = str(CID.v1("raw", get_hash("sha2-256").multihash(blob("direct", 3000))))
    return out


def pin_state(repo: Repo) -> list[list[str]]:
    return sorted([str(p.cid), p.type, p.name] for p in repo.pins.list())


def steps_for(op: str, roots: dict[str, str]):
    """The steps of an operation: (label, function of the repo)."""
    def add(repo):
        repo.add(dag("added") + [Entry("added/extra.bin", content=blob("extra", 5 * CHUNK))],
                 name="added", **OPTIONS)

    single = {
        "add": [("add", add)],
        "pin": [("pin", lambda r: r.pin(roots["loose"], name="loose"))],
        "unpin": [("unpin", lambda r: r.unpin(roots["old"]))],
        "gc": [("gc", lambda r: r.gc())],
        "update": [("update", lambda r: r.pins.update(roots["old"], roots["loose"]))],
    }
    if op in single:
        return single[op]
    if op == "interchange":
        def car_of(name: str) -> bytes:
            mem = Repo.memory()
            root = mem.add(dag(name), pin=False, **OPTIONS).root
            out = io.BytesIO()
            mem.export_car(root, out)
            return out.getvalue()

        def put_meta(r):
            r.dag_put({"file": CID(roots["carred"]), "name": "meta"}, pin=True, name="meta")

        return [
            ("dag import", lambda r: r.import_car(io.BytesIO(car_of("carred")), name="carred")),
            ("dag put", put_meta),
            ("unpin carred", lambda r: r.unpin(roots["carred"])),
            ("gc", lambda r: r.gc()),
        ]
    if op == "mixed":
        return [
            ("add m1", lambda r: add_dag(r, "m1")),
            ("unpin old", lambda r: r.unpin(roots["old"])),
            ("pin loose", lambda r: r.pin(roots["loose"], name="loose")),
            ("update m1 m2", lambda r: r.pins.update(roots["m1"], roots["m2"])),
            ("gc", lambda r: r.gc()),
            ("block put direct", lambda r: r.block_put(blob("mixed", 5000), pin=True)),
            ("unpin direct", lambda r: r.unpin(roots["direct"])),
            ("gc again", lambda r: r.gc()),
        ]
    raise SystemExit(f"unknown operation {op!r}")


def run_op(path: str, op: str) -> None:
    trace = os.environ.get("CRASH_TRACE") == "1"
    labels: list[str] = []
    if trace:
        from pinfold import _faults

        def checkpoint(where: str = "") -> None:
            labels.append(where)

        _faults.checkpoint = checkpoint
    repo = Repo(path)
    roots = json.loads(os.environ["CRASH_ROOTS"]) if "CRASH_ROOTS" in os.environ else roots_of()
    states = [[len(labels), "open", pin_state(repo)]]
    for label, fn in steps_for(op, roots):
        fn(repo)
        states.append([len(labels), label, pin_state(repo)])
    repo.close()
    if trace:
        json.dump({"labels": labels, "states": states}, sys.stdout)
    sys.stdout.flush()


def stream(path: str, count: int, done: str) -> None:
    """Add and pin ``count`` DAGs; each shares blocks with others (a common file, and a file
    whose blocks an earlier, unpinned DAG had), some are unpinned later; write garbage too."""
    repo = Repo(path)
    kept, dropped = [], []
    roots = []
    for i in range(count):
        entries = dag(f"s{i}", own=3 * CHUNK) + [
            Entry(f"s{i}/rot.bin", content=blob(f"rot-{i % 4}", 4 * CHUNK))]
        root = repo.add(entries, name=f"s{i}", **OPTIONS).root
        roots.append(str(root))
        repo.add(blob(f"stream-junk-{i}", 2 * CHUNK), pin=False, **OPTIONS)
        repo.block_put(blob(f"stream-block-{i}", 1000))
        if i >= 2 and (i - 2) % 3 != 0:
            repo.unpin(roots[i - 2])
            dropped.append(roots[i - 2])
    kept = [r for r in roots if r not in dropped]
    repo.close()
    tmp = done + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"kept": kept, "dropped": dropped}, f)
    os.replace(tmp, done)


def gcloop(path: str, done: str) -> None:
    repo = Repo(path)
    rounds = freed = 0
    repo.gc()
    print("ready", flush=True)
    while not os.path.exists(done):
        freed += repo.gc().blocks
        rounds += 1
    repo.close()
    print(json.dumps({"rounds": rounds, "freed": freed}), flush=True)


def main(argv: list[str]) -> None:
    path, op = argv[0], argv[1]
    if op == "stream":
        stream(path, int(argv[2]), argv[3])
    elif op == "gcloop":
        gcloop(path, argv[2])
    else:
        run_op(path, op)


if __name__ == "__main__":
    main(sys.argv[1:])
