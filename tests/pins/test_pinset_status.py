"""pinfold.pins.pinset, pin statuses: queued pins completed as their blocks arrive, and pins
interrupted between their two steps finished or failed at open."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import pinfold
from pinfold import CID
from pinfold.pins.store import monotonic_ns
from pinfold.process import process_start
from pinfold.repo import Repo
from tests.repo.helpers import BACKENDS, raw_cid

from .helpers import OPTS, QDATA, QROOT, names, qblocks

SRC = str(Path(__file__).resolve().parents[2] / "src")


def reopen(repo: Repo) -> Repo:
    """Open the repo again (a memory repo cannot be: its pin set recovers in place)."""
    if repo.backend == "memory":
        repo.pins.recover()
        return repo
    repo.close()
    return Repo(repo.path)


def kept_nothing_for(repo: Repo, blocks) -> None:
    for blk in blocks:
        assert not repo.pins.is_kept(blk.cid.multihash)


def assert_pinned_and_kept(repo: Repo, pin_id: str, blocks) -> None:
    pin = repo.pins.get(pin_id)
    assert pin.status == "pinned" and pin.reason is None
    assert pin.size == pinfold.add(QDATA, **OPTS).roots[0].size
    assert repo.pins.pinned_type(QROOT) == "recursive"
    freed = repo.gc()
    freed_set = set(freed.freed)
    assert not freed_set & {b.cid.multihash for b in blocks}
    assert all(repo.has(b.cid) for b in blocks)
    assert repo.verify() == []


def test_queued_pin_holds_nothing_and_completes_through_add(repo):
    blocks = qblocks()
    assert blocks[-1].cid == QROOT
    pin = repo.pin(QROOT, name="q", queue=True, meta={"k": 1}, groups=["later"])
    assert (pin.status, pin.size) == ("queued", None)
    assert "block not found" in pin.reason
    assert repo.pins.stats()["kept_blocks"] == 0
    # a block of it that arrives alone is not kept: the queued pin holds no references
    repo.block_put(blocks[0].data, codec="dag-pb", cid_version=0)
    kept_nothing_for(repo, blocks)
    assert repo.pins.get(pin.id).status == "queued"
    assert repo.gc().freed == [blocks[0].cid.multihash]
    assert repo.verify() == []
    # the whole content arrives, unpinned: the queued pin takes it
    repo.add(QDATA, pin=False, **OPTS)
    assert_pinned_and_kept(repo, pin.id, blocks)
    done = repo.pins.get(pin.id)
    assert done.meta == {"k": 1} and done.groups == ("later",)
    assert done.size == pinfold.add(QDATA, **OPTS).roots[0].size
    assert names(repo, status="pinned") == ["q"]


@pytest.mark.parametrize("root_first", [False, True], ids=["leaves-first", "root-first"])
def test_queued_pin_completes_through_block_put(repo, root_first):
    blocks = qblocks()
    pin = repo.pin(QROOT, name="q", queue=True)
    order = [blocks[-1], *blocks[:-1]] if root_first else blocks
    for blk in order[:-1]:
        assert repo.block_put(blk.data, codec="dag-pb", cid_version=0) == blk.cid
        assert repo.pins.get(pin.id).status == "queued"  # partial arrival: still queued
        kept_nothing_for(repo, blocks)
    repo.block_put(order[-1].data, codec="dag-pb", cid_version=0)
    assert_pinned_and_kept(repo, pin.id, blocks)


def test_queued_direct_pin(repo):
    data = b"direct, later"
    cid = raw_cid(data)
    pin = repo.pin(cid, name="d", recursive=False, queue=True)
    assert pin.status == "queued" and pin.type == "direct"
    assert repo.pins.pinned_type(cid) is None
    assert repo.block_put(data) == cid
    assert repo.pins.get(pin.id).status == "pinned"
    assert repo.pins.pinned_type(cid) == "direct"
    assert repo.gc().blocks == 0 and repo.has(cid)
    assert repo.verify() == []


def test_pin_without_queue_refuses_missing_blocks(repo):
    with pytest.raises(pinfold.BlockNotFoundError):
        repo.pin(QROOT, name="nope")
    assert repo.pins.list() == []


# -- crash recovery of an interrupted pin -------------------------------------------------------
CRASH_SCRIPT = r"""
import json, random, sys
from pinfold import _faults
from pinfold.repo import Repo

path, mode, op, cid = sys.argv[1:5]
labels = []
if mode == "trace":
    def checkpoint(where=""):
        labels.append(where)
    _faults.checkpoint = checkpoint
repo = Repo(path)
labels.append("<op>")
try:
    if op == "pin":
        repo.pin(cid, name="crashy", meta={"k": 1}, groups=["g"])
    else:  # the content of QDATA arrives, unpinned
        data = random.Random("queued content").randbytes(5 * 1024 + 100)
        repo.add(data, pin=False, chunker="size-1024")
except Exception as exc:
    print(type(exc).__name__)
repo.close()
print(json.dumps(labels))
"""


def run_crash_process(path, op: str, cid, *, kill: int | None = None
                      ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PINFOLD_KILL_AFTER"}
    env["PYTHONPATH"] = SRC
    if kill is not None:
        env["PINFOLD_KILL_AFTER"] = str(kill)
    return subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(path),
                           "trace" if kill is None else "kill", op, str(cid)],
                          env=env, capture_output=True, text=True, timeout=60)


def traced_labels(path, op: str, cid) -> list[str]:
    """The checkpoints an operation passes, and "<op>" where it starts (run on a twin repo)."""
    traced = run_crash_process(path, op, cid)
    assert traced.returncode == 0, traced.stderr
    return json.loads(traced.stdout.splitlines()[-1])


@pytest.mark.parametrize("blocks", ["present", "absent"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_pin_killed_between_its_two_phases_is_finished_or_failed_at_open(tmp_path, backend,
                                                                         blocks):
    def prepare(path):
        with Repo.init(path, backend=backend, fsync=False) as repo:
            if blocks == "present":
                repo.add(QDATA, pin=False, **OPTS)

    path = tmp_path / "repo"
    prepare(path)
    # find the checkpoint right after the first phase commits, on a twin of the repo
    prepare(tmp_path / "trace")
    labels = traced_labels(tmp_path / "trace", "pin", QROOT)
    start = labels.index("<op>")
    kill_at = labels.index("sqlite: after commit", start)  # 1-based count of real checkpoints
    killed = run_crash_process(path, "pin", QROOT, kill=kill_at)
    assert killed.returncode == -9, killed.stderr
    # the dead process left its pin row 'pinning'
    conn = sqlite3.connect(path / "pins.sqlite")
    rows = conn.execute("SELECT status, reason FROM pins").fetchall()
    conn.close()
    assert len(rows) == 1 and rows[0][0] == "pinning"
    assert rows[0][1].startswith("pinning in process ")
    with Repo(path) as repo:
        (pin,) = repo.pins.list()
        assert pin.name == "crashy" and pin.meta == {"k": 1} and pin.groups == ("g",)
        if blocks == "present":
            assert pin.status == "pinned" and pin.reason is None
            assert pin.size == pinfold.add(QDATA, **OPTS).roots[0].size
            assert repo.gc().blocks == 0
            assert all(repo.has(b.cid) for b in qblocks())
        else:
            assert pin.status == "failed"
            assert "block not found" in pin.reason
            assert repo.pins.stats()["kept_blocks"] == 0
        assert repo.verify() == []
    with Repo(path) as repo:  # recovery is done once
        assert repo.pins.list()[0].status == ("pinned" if blocks == "present" else "failed")


@pytest.mark.parametrize("backend", BACKENDS)
def test_queued_pin_whose_blocks_arrived_before_a_crash_is_pinned_at_open(tmp_path, backend):
    """The blocks of a queued pin are stored (their import committed), and the process dies
    before it completes the queued pin. The DAG has arrived, so the pin must be pinned when
    the repo next opens, and gc must not delete its blocks. Found: only ``Repo.store`` /
    ``block_put`` call ``complete_queued``; ``PinSet.__init__`` (reap_leases + recover) does
    not, so the pin stays queued and the next ``gc`` deletes the whole DAG it waits for."""
    def prepare(path):
        with Repo.init(path, backend=backend, fsync=False) as repo:
            repo.pin(QROOT, name="waiting", queue=True)

    path = tmp_path / "repo"
    prepare(path)
    prepare(tmp_path / "trace")
    labels = traced_labels(tmp_path / "trace", "add", QROOT)
    start = labels.index("<op>")
    first_ref = labels.index("pin: block referenced", start)  # complete_queued starts
    kill_at = max(i for i in range(start, first_ref) if labels[i] == "sqlite: after commit")
    killed = run_crash_process(path, "add", QROOT, kill=kill_at)
    assert killed.returncode == -9, killed.stderr
    with Repo(path) as repo:
        assert all(repo.has(b.cid) for b in qblocks()), "the import did not finish"
        assert repo.pins.list()[0].status == "pinned"
        freed = set(repo.gc().freed)
        assert not freed & {b.cid.multihash for b in qblocks()}, "gc deleted the DAG"
        assert repo.verify() == []


def _pinning_row(repo: Repo, cid: CID, name: str, reason: str) -> str:
    pin_id = uuid.uuid4().hex
    with repo.pins.tx() as c:
        c.execute("INSERT INTO pins(id, cid, mh, name, type, created, size, status, reason)"
                  " VALUES (?,?,?,?,?,?,?,?,?)",
                  (pin_id, cid.bytes, cid.multihash, name, "recursive", monotonic_ns(c), None,
                   "pinning", reason))
    return pin_id


@pytest.mark.sqlite_only  # owners are pids here (PostgreSQL's: tests/pins/test_postgres.py)
def test_pinning_rows_of_dead_processes_are_recovered(repo):
    repo.add(QDATA, pin=False, **OPTS)
    dead = "pinning in process 999999999 x"
    present = _pinning_row(repo, QROOT, "present", dead)
    absent = _pinning_row(repo, raw_cid(b"never arrives"), "absent", dead)
    me = os.getpid()
    live = _pinning_row(repo, raw_cid(b"live"), "live", f"pinning in process {me}"
                        f" {process_start(me)}")
    assert names(repo, status="pinning") == ["live", "absent", "present"]
    repo = reopen(repo)
    by_name = {p.name: p for p in repo.pins.list()}
    assert by_name["present"].status == "pinned"
    assert by_name["present"].size == pinfold.add(QDATA, **OPTS).roots[0].size
    assert by_name["absent"].status == "failed"
    assert "block not found" in by_name["absent"].reason
    # a pin whose process still runs is left to it
    assert by_name["live"].status == "pinning"
    assert names(repo, status="failed") == ["absent"]
    assert {by_name["present"].id, by_name["absent"].id, by_name["live"].id} == {
        present, absent, live}
    assert repo.gc().blocks == 0
    assert all(repo.has(b.cid) for b in qblocks())
    assert repo.verify() == []
    # a failed pin can be pinned again once its blocks are there
    repo.block_put(b"never arrives")
    again = repo.pin(raw_cid(b"never arrives"), name="absent")
    assert again.status == "pinned" and again.id != absent
    repo.close()
