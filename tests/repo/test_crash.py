"""Crash safety: a repo operation killed (SIGKILL) at any checkpoint leaves a repo that verifies,
keeps everything that was pinned, and whose garbage one gc collects; two processes (an importer
and a collector) share one repo without losing pinned blocks.

The operations run in ``crash_worker.py`` as subprocesses; ``PINFOLD_KILL_AFTER=N`` kills one at
its N-th checkpoint. A first run with ``CRASH_TRACE=1`` lists the checkpoints and the pin set
after each step, so a kill can be checked against the pin sets it may leave.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import crash_worker as cw
import pytest

from pinfold import CID, _faults
from pinfold.codecs.links import links_of
from pinfold.repo import Repo

WORKER = Path(cw.__file__)
ROOTS = cw.roots_of()
OPS = ("add", "pin", "unpin", "gc", "update", "mixed", "interchange")


# -- helpers ------------------------------------------------------------------------------------
def run_worker(path, *args, kill: int | None = None, trace: bool = False,
               timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PINFOLD_KILL_AFTER", "CRASH_TRACE")}
    env["CRASH_ROOTS"] = json.dumps(ROOTS)
    if kill is not None:
        env["PINFOLD_KILL_AFTER"] = str(kill)
    if trace:
        env["CRASH_TRACE"] = "1"
    return subprocess.run([sys.executable, str(WORKER), str(path), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout)


def walk(repo: Repo, cid: CID, recursive: bool = True) -> set[bytes]:
    """Read a DAG block by block (every read is verified); the multihashes it holds."""
    seen: set[bytes] = set()
    stack = [cid]
    while stack:
        c = stack.pop()
        if c.multihash in seen:
            continue
        data = repo.block_get(c)
        if c.multihash[:1] != b"\x00":
            seen.add(c.multihash)
        if recursive:
            stack.extend(links_of(c, data))
    return seen


def live_blocks(repo: Repo) -> set[bytes]:
    """Every block some pin keeps, found by reading the pinned DAGs (not the counts)."""
    live: set[bytes] = set()
    for pin in repo.pins.list():
        live |= walk(repo, pin.cid, pin.type == "recursive")
    return live


def pin_state(repo: Repo) -> list[list[str]]:
    return cw.pin_state(repo)


def allowed_states(states: list, n: int) -> list:
    """The pin sets a kill at checkpoint ``n`` may leave: before or after the step it hit."""
    for j, (count, _label, pins) in enumerate(states):
        if n <= count:
            return [pins] if j == 0 else [states[j - 1][2], pins]
    return [states[-1][2]]


def step_of(states: list, n: int) -> str:
    for count, label, _pins in states:
        if n <= count:
            return label
    return "after the last step"


def assert_no_temporaries(repo: Repo, context: str) -> None:
    """flatfs removes a dead writer's temporary files before its first write or delete (gc)."""
    if repo.backend == "fs":
        tmps = [f for _d, _s, files in os.walk(repo.blocks.path) for f in files
                if f.startswith(".tmp-")]
        assert tmps == [], f"{context}: temporary files left after reopening and a gc"


def check_repo(path, states: list, n: int, context: str) -> None:
    """What must hold after a kill at checkpoint ``n`` (or after a completed run)."""
    with Repo(path) as repo:
        assert repo.pins.conn.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0, context
        problems = repo.verify()
        assert problems == [], f"{context}: verify after the crash: {problems}"
        pins = pin_state(repo)
        assert pins in allowed_states(states, n), (
            f"{context}: pin set {pins} is neither the one before nor after the interrupted step")
        # what every state has (pinned before, not unpinned by the operation) is readable
        protected = [p for p in states[0][2] if all(p in s[2] for s in states)]
        for cid, ptype, _name in protected:
            walk(repo, CID(cid), ptype == "recursive")
        live = live_blocks(repo)
        repo.gc()
        assert_no_temporaries(repo, context)
        problems = repo.verify()
        assert problems == [], f"{context}: verify after gc: {problems}"
        assert set(repo.blocks.keys()) == live, (
            f"{context}: after gc the blockstore is not exactly the pinned blocks "
            f"({len(set(repo.blocks.keys()) - live)} unpinned left,"
            f" {len(live - set(repo.blocks.keys()))} pinned lost)")
        again = repo.gc()
        assert again.blocks == 0, f"{context}: a second gc freed {again.blocks} blocks"
        assert pin_state(repo) == pins


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """Prepared repos (closed), one per backend and fsync setting, made on first use."""
    made: dict[tuple[str, bool], Path] = {}

    def get(backend: str, fsync: bool) -> Path:
        key = (backend, fsync)
        if key not in made:
            path = tmp_path_factory.mktemp(f"base-{backend}-{int(fsync)}") / "repo"
            with Repo.init(path, backend=backend, fsync=fsync) as repo:
                roots = cw.prepare(repo)
            assert all(ROOTS[k] == v for k, v in roots.items())
            made[key] = path
        return made[key]

    return get


def choose_kills(labels: list[str], rng: random.Random, *, exhaustive: int = 20,
                 sample: int = 10) -> list[int]:
    """Checkpoints to kill at: all of them for short operations; else the first few, the first
    and last of each kind, the last ones, and a seeded random sample."""
    total = len(labels)
    if total <= exhaustive:
        return list(range(1, total + 1))
    ns = set(range(1, 7)) | {total - 1, total}
    for label in set(labels):
        ns.add(labels.index(label) + 1)
        ns.add(total - labels[::-1].index(label))
    ns |= set(rng.sample(range(1, total + 1), min(sample, total)))
    return sorted(ns)


def sparse_copy(src: str, dst: str) -> None:
    """Copy a file keeping its holes: an LMDB map file is as large as its map (1 GiB) but
    mostly holes, and a plain copy would write all of it."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        fd = fi.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # no data after pos
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            fi.seek(start)
            fo.seek(start)
            left = end - start
            while left > 0:
                chunk = fi.read(min(left, 1 << 20))
                fo.write(chunk)
                left -= len(chunk)
            pos = end
        fo.truncate(size)


def copy_repo(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=sparse_copy)


def _copy_and_run(base: Path, dest: Path, op: str, kill: int | None, trace: bool = False):
    copy_repo(base, dest)
    return run_worker(dest, op, kill=kill, trace=trace)


# -- every checkpoint of every operation ---------------------------------------------------------
CASES = [(b, False, op) for b in ("fs", "lmdb") for op in OPS]
CASES += [(b, True, "mixed") for b in ("fs", "lmdb")]


@pytest.mark.parametrize(("backend", "fsync", "op"), CASES,
                         ids=[f"{b}-{'fsync' if f else 'nofsync'}-{op}" for b, f, op in CASES])
def test_kill_at_checkpoints(bases, tmp_path, backend, fsync, op):
    base = bases(backend, fsync)
    traced = _copy_and_run(base, tmp_path / "trace", op, None, trace=True)
    assert traced.returncode == 0, traced.stderr
    trace = json.loads(traced.stdout)
    labels, states = trace["labels"], trace["states"]
    assert states[-1][0] == len(labels) and len(labels) > 2

    rng = random.Random(f"{backend}-{fsync}-{op}")
    kills = choose_kills(labels, rng, sample=6 if fsync else 10)
    runs = [(n, tmp_path / f"k{n}") for n in kills]
    runs.append((len(labels) + 1, tmp_path / "complete"))  # never reached: runs to the end
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [(n, where, pool.submit(_copy_and_run, base, where, op, n)) for n, where in runs]
        for n, where, fut in futures:
            proc = fut.result()
            context = f"{backend} {op}: kill at checkpoint {n}/{len(labels)} " \
                      f"({labels[n - 1] if n <= len(labels) else 'none'}," \
                      f" in step {step_of(states, n)!r})"
            if n <= len(labels):
                assert proc.returncode == -signal.SIGKILL, \
                    f"{context}: exit {proc.returncode}\n{proc.stderr}"
            else:
                assert proc.returncode == 0, f"{context}: {proc.stderr}"
            check_repo(where, states, n, context)

    # the completed operation's result is there
    with Repo(tmp_path / "complete") as repo:
        pins = pin_state(repo)
        assert pins == states[-1][2]
        cids = {(c, t, nm) for c, t, nm in pins}
        if op == "add":
            assert any(t == "recursive" and nm == "added" for _c, t, nm in cids)
        elif op == "pin":
            assert (ROOTS["loose"], "recursive", "loose") in cids
        elif op == "unpin":
            assert all(c != ROOTS["old"] for c, _t, _n in cids)
        elif op == "update":
            assert (ROOTS["loose"], "recursive", "old") in cids
            assert all(c != ROOTS["old"] for c, _t, _n in cids)
        elif op == "gc":
            assert not repo.has(CID(ROOTS["junk"]))
            assert repo.stat().blocks == len(live_blocks(repo))
        elif op == "interchange":
            assert [n for _c, t, n in cids if t == "recursive" and n == "meta"] == ["meta"]
            assert all(c != ROOTS["carred"] for c, _t, _n in cids)
            assert repo.has(CID(ROOTS["carred"]))  # kept through the DAG-CBOR link
        elif op == "mixed":
            assert (ROOTS["m2"], "recursive", "m1") in cids
            assert (ROOTS["loose"], "recursive", "loose") in cids
            assert all(c not in (ROOTS["old"], ROOTS["m1"], ROOTS["direct"])
                       for c, _t, _n in cids)
            assert not repo.has(CID(ROOTS["old"]))


# -- an interrupted import ------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["fs", "lmdb"])
def test_interrupted_import_is_collected(bases, tmp_path, backend):
    base = tmp_path / "base"
    copy_repo(bases(backend, False), base)
    with Repo(base) as repo:
        repo.gc()  # only pinned blocks left
        before_keys = set(repo.blocks.keys())
        before_stat = repo.stat()
        pinned = {p.cid: p.type for p in repo.pins.list()}
    traced = _copy_and_run(base, tmp_path / "trace", "add", None, trace=True)
    labels = json.loads(traced.stdout)["labels"]
    written = [i + 1 for i, lab in enumerate(labels)
               if lab in ("flatfs: after rename", "lmdb: after commit")]
    assert written
    # mid-way through the blocks, and after the last block but before the pin
    for n in sorted({written[len(written) // 2], written[-1]}):
        where = tmp_path / f"k{n}"
        proc = _copy_and_run(base, where, "add", n)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        with Repo(where) as repo:  # the dead import's lease is reaped here
            partial = set(repo.blocks.keys()) - before_keys
            assert partial, "the import wrote no new block before it was killed"
            assert repo.stat().blocks == before_stat.blocks + len(partial)
            assert pin_state(repo) == pin_state_of(base)
            result = repo.gc()
            assert set(result.freed) == partial
            assert result.blocks == len(partial)
            after = repo.stat()
            assert (after.blocks, after.bytes) == (before_stat.blocks, before_stat.bytes)
            assert set(repo.blocks.keys()) == before_keys
            assert repo.verify() == []
            for cid, ptype in pinned.items():
                walk(repo, cid, ptype == "recursive")


def pin_state_of(path) -> list:
    with Repo(path) as repo:
        return pin_state(repo)


# -- two processes at once -----------------------------------------------------------------------
@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize("backend", ["fs", "lmdb"])
def test_import_and_gc_in_two_processes(tmp_path, backend, round_):
    path = tmp_path / "repo"
    with Repo.init(path, backend=backend, fsync=round_ == 0) as repo:
        keep = cw.add_dag(repo, "keep")
        keep_blocks = walk(repo, keep)
    done = tmp_path / "done.json"
    env = {k: v for k, v in os.environ.items() if k != "PINFOLD_KILL_AFTER"}
    gc_proc = subprocess.Popen([sys.executable, str(WORKER), str(path), "gcloop", str(done)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert gc_proc.stdout.readline().strip() == "ready", gc_proc.stderr.read()
        adder = run_worker(path, "stream", 10 + round_, done)
        assert adder.returncode == 0, adder.stderr
        out, err = gc_proc.communicate(timeout=120)
    finally:
        if gc_proc.poll() is None:
            gc_proc.kill()
            gc_proc.wait()
    assert gc_proc.returncode == 0, err
    assert json.loads(out)["rounds"] >= 1
    result = json.loads(done.read_text())
    with Repo(path) as repo:
        assert repo.verify() == []
        pinned = {str(p.cid) for p in repo.pins.list()}
        assert pinned == set(result["kept"]) | {str(keep)}
        assert not pinned & set(result["dropped"])
        for root in result["kept"]:
            walk(repo, CID(root))
        assert walk(repo, keep) == keep_blocks
        live = live_blocks(repo)
        repo.gc()
        assert_no_temporaries(repo, "after a concurrent gc")
        assert set(repo.blocks.keys()) == live
        assert repo.verify() == []
        assert repo.gc().blocks == 0


# -- another process opening the repo during an import -------------------------------------------
def test_opening_the_repo_does_not_break_an_import_in_progress(tmp_path, monkeypatch):
    """Opening a flatfs repo removes temporary files "a killed writer left behind" -- but it
    cannot tell them from those of a live import in another process (``pinfold repo stat``
    while ``pinfold add`` runs). Simulated deterministically: a second ``Repo(path)`` is opened
    while the importer has a block's temporary file written and not yet renamed."""
    path = tmp_path / "repo"
    Repo.init(path, backend="fs", fsync=False).close()
    opened = []

    def checkpoint(where: str = "") -> None:
        if where == "flatfs: before rename" and not opened:
            opened.append(where)
            Repo(path).close()  # what any other process opening the repo does

    monkeypatch.setattr(_faults, "checkpoint", checkpoint)
    with Repo(path) as repo:
        result = repo.add(cw.dag("busy"), **cw.OPTIONS)
        assert opened
        assert repo.verify() == []
        walk(repo, result.root)
