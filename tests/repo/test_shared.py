"""One repo shared by many processes: blocks on S3 (SeaweedFS), pins on PostgreSQL, with gc
running in a loop beside four writers, and every process killed (SIGKILL, at a checkpoint of
:mod:`pinfold._faults`) at random points. The writers run ``tests/shared_worker.py``."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pinfold import CID
from pinfold.exporter import cat_bytes
from pinfold.repo import Repo
from tests.repo.helpers import dag_blocks

WORKER = Path(__file__).resolve().parent.parent / "shared_worker.py"
WRITERS = 4


@pytest.fixture
def shared_repo(tmp_path, s3_bucket, pg_database) -> Path:
    path = tmp_path / "repo"
    Repo.init(path, backend=f"s3://{s3_bucket.name}/blocks", s3_endpoint=s3_bucket.endpoint,
              pinset=pg_database.url, gc_grace=0).close()
    return path


def spawn(path: Path, *args: str, kill: int | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PINFOLD_KILL_AFTER"}
    if kill is not None:
        env["PINFOLD_KILL_AFTER"] = str(kill)
    return subprocess.Popen([sys.executable, str(WORKER), str(path), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def reported(outputs: list[str]) -> tuple[dict[str, tuple[str, str]], set[str]]:
    """``{name: (cid, sha256)}`` of the pins the writers said they took, and the names they
    said they dropped again (or may have: see below)."""
    pinned: dict[str, tuple[str, str]] = {}
    dropped: set[str] = set()
    for out in outputs:
        lines = out.splitlines()
        for line in lines:
            parts = line.split()
            if parts[:1] == ["pinned"]:
                pinned[parts[3]] = (parts[1], parts[2])
            elif parts[:1] == ["unpinned"]:
                dropped.add(parts[2])
        last = lines[-1].split() if lines else []
        if last[:1] == ["pinned"] and int(last[3].rsplit("-", 1)[1]) % 4 == 1:
            # killed between this pin and the unpin that follows it: the unpin may have
            # committed before the kill came, unreported
            dropped.add(last[3])
    return pinned, dropped


def wait_for_sessions_to_end(repo: Repo) -> None:
    """Until the server has ended the sessions of the processes that died (it sees their
    sockets close; a writer's leases are alive as long as its session): a condition polled
    with a deadline, not a sleep standing in for one."""
    deadline = time.monotonic() + 60
    conn = repo.pins.conn  # the test's view of the server's sessions
    while True:
        n = conn.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name ="
                         " 'pinfold' AND pid <> pg_backend_pid() AND datname ="
                         " current_database()").fetchone()[0]
        if n == 0:
            return
        assert time.monotonic() < deadline, f"{n} sessions of dead processes still open"
        time.sleep(0.05)


def check(path: Path, outputs: list[str], *, complete: bool) -> None:
    """Every pin a writer reported is there with all its bytes (read back and compared); every
    pin there is one a writer took; ``repo verify`` is clean; after a last gc exactly the
    blocks of pinned DAGs are stored (the orphans of killed writers were collected)."""
    pinned, dropped = reported(outputs)
    with Repo(path) as repo:
        wait_for_sessions_to_end(repo)
        pins = {p.name: p for p in repo.pins.list()}
        expected = {name for name in pinned if name not in dropped}
        if complete:
            assert set(pins) == expected
        else:  # a killed writer may have pinned without saying so, or not unpinned yet
            assert expected <= set(pins)
        for name, pin in pins.items():
            assert pin.status == "pinned", pin
            data = cat_bytes(repo, CID(pin.cid))
            if name in pinned:
                assert str(pin.cid) == pinned[name][0]
                assert hashlib.sha256(data).hexdigest() == pinned[name][1]
        assert repo.verify() == []
        repo.gc()
        live: set[bytes] = set()
        for pin in pins.values():
            live |= dag_blocks(repo, pin.cid)
        assert set(repo.blocks.keys()) == live
        assert repo.verify() == []
        assert repo.pins.stats()["unreferenced_blocks"] == 0


def run_round(path: Path, tmp_path: Path, rng: random.Random | None,
              files: int) -> tuple[list[str], list[int]]:
    """Four writers and a gc loop at once (each killed at a random checkpoint, with ``rng``);
    the writers' outputs and every process's exit status."""
    stop = tmp_path / "stop"
    gc = spawn(path, "gcloop", str(stop), kill=rng.randint(2, 80) if rng else None)
    first = gc.stdout.readline().strip()
    writers = [spawn(path, "write", f"w{i}", str(files),
                     kill=rng.randint(5, 150) if rng else None) for i in range(WRITERS)]
    outputs, codes = [], []
    try:
        for w in writers:
            code, out, err = finished(w)
            if rng is None:
                assert code == 0 and out.endswith("done\n"), err
            else:
                assert code in (0, -9), err  # finished, or killed at its checkpoint
            outputs.append(out)
            codes.append(code)
        stop.touch()
        code, out, err = finished(gc)
        if rng is None:
            assert first == "ready" and code == 0, err
            assert int(out.split()[-1]) >= 1
        else:
            assert code in (0, -9), err
        codes.append(code)
    finally:
        for p in [gc, *writers]:
            if p.poll() is None:
                p.kill()
                p.wait()
    return outputs, codes


def test_four_writers_and_a_gc_loop_share_one_repo(shared_repo, tmp_path):
    outputs, _ = run_round(shared_repo, tmp_path, None, files=8)
    check(shared_repo, outputs, complete=True)


@pytest.mark.parametrize("seed", range(3))
def test_writers_and_gc_killed_at_random_points(shared_repo, tmp_path, seed):
    rng = random.Random(f"kill-{seed}")
    outputs, codes = run_round(shared_repo, tmp_path, rng, files=6)
    assert codes.count(-9) >= 2, codes  # the kill points fall inside the runs
    check(shared_repo, outputs, complete=False)
    # the repo goes on working: another round, nobody killed, on top of what was left
    again = tmp_path / "again"
    again.mkdir()
    more, _ = run_round(shared_repo, again, None, files=3)
    check(shared_repo, outputs + more, complete=False)
