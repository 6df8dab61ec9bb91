"""pinfold.pins.checkpointer: WAL checkpoints in the pin set's own thread, not in writers'
commits; the WAL bounded, closed cleanly, and a kill at any moment leaves a pin set that
verifies with every committed pin in it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap

from pinfold.pins.checkpointer import HIGH_WATER
from pinfold.repo import Repo

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "src")


def _blob(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_a_commit_wakes_a_checkpoint_that_copies_the_wal_back(tmp_path):
    repo = Repo.init(str(tmp_path / "r"))
    cp = repo.pins.checkpointer
    assert cp is not None and cp.thread.is_alive()
    # the writer checkpoints itself only past the high-water mark
    assert repo.pins.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == HIGH_WATER
    before = cp.runs
    repo.add(_blob(1, 300_000), chunker="size-1024", raw_leaves=True, name="a")
    assert cp.wait(before + 1, timeout=60)
    log, copied = cp.last
    assert log >= copied > 0  # it copied committed pages back into the database file
    # a checkpoint of its own, now: everything committed is copied back
    log, copied = cp.checkpoint()
    assert log == copied
    repo.close()


def test_closing_the_pin_set_stops_the_thread_and_leaves_no_wal(tmp_path):
    path = str(tmp_path / "r")
    repo = Repo.init(path)
    cp = repo.pins.checkpointer
    repo.add(_blob(2, 200_000), chunker="size-1024", raw_leaves=True, name="b")
    repo.close()
    assert not cp.thread.is_alive()
    # the checkpointer's connection closed first, so the writer's was the last and SQLite
    # checkpointed and removed the WAL as it does at the last close
    assert not os.path.exists(os.path.join(path, "pins.sqlite-wal"))
    repo = Repo(path)
    assert [p.name for p in repo.pins.list()] == ["b"]
    repo.close()


def test_a_scratch_pin_set_has_no_checkpointer():
    repo = Repo.memory()
    assert repo.pins.checkpointer is None
    repo.add(b"scratch", name="s")
    assert len(repo.pins.list()) == 1
    repo.close()


def test_two_pin_sets_on_one_file_each_checkpoint_without_harm(tmp_path):
    path = str(tmp_path / "r")
    one = Repo.init(path)
    two = Repo(path)
    for k in range(4):
        (one if k % 2 else two).add(_blob(10 + k, 100_000), chunker="size-1024",
                                     raw_leaves=True, name=f"p{k}")
    assert one.pins.checkpointer.wait(1, 60) and two.pins.checkpointer.wait(1, 60)
    two.close()
    assert sorted(p.name for p in one.pins.list()) == ["p0", "p1", "p2", "p3"]
    assert one.verify() == []
    one.close()


WORKER = textwrap.dedent("""
    import random, sys
    sys.path.insert(0, {src!r})
    from pinfold.repo import Repo
    repo = Repo({path!r})
    cp = repo.pins.checkpointer
    plain = cp.checkpoint

    def announced():  # tells the test that a checkpoint is starting, so it can kill in it
        print("checkpoint", flush=True)
        return plain()

    cp.checkpoint = announced
    i = 0
    while True:
        data = random.Random(i).randbytes(400_000)
        repo.add(data, chunker="size-1024", raw_leaves=True, name=f"keep{{i}}")
        print("kept", i, flush=True)
        junk = repo.add(random.Random(-1 - i).randbytes(2_000_000), chunker="size-1024",
                        raw_leaves=True, name="junk")
        repo.unpin(junk.root)
        repo.gc()  # big delete transactions: long checkpoints
        i += 1
""")


def test_a_kill_during_a_checkpoint_leaves_every_committed_pin(tmp_path):
    """The worker pins, unpins and collects in a loop and is killed (SIGKILL) as one of its
    checkpoints starts, after a random number of them: every pin it reported committed is
    there, the database passes SQLite's integrity check, and the repo verifies."""
    path = str(tmp_path / "r")
    Repo.init(path).close()
    rng = random.Random(13)
    kept = 0
    for _kill in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WORKER.format(src=SRC, path=path)],
                                stdout=subprocess.PIPE, text=True)
        checkpoints = rng.randint(1, 6)
        while True:  # to the start of a checkpoint, once something is kept
            line = proc.stdout.readline()
            assert line, "the worker stopped before it was killed"
            if line.startswith("kept"):
                kept = max(kept, int(line.split()[1]) + 1)
                continue
            checkpoints -= 1
            if checkpoints <= 0 and kept:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        repo = Repo(path)
        assert repo.pins.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {p.name for p in repo.pins.list()}
        assert {f"keep{i}" for i in range(kept)} <= names
        assert repo.verify() == []
        repo.close()


def test_a_pin_set_dropped_unclosed_stops_its_thread(tmp_path):
    import gc

    repo = Repo.init(str(tmp_path / "r"))
    repo.add(_blob(3, 100_000), chunker="size-1024", raw_leaves=True, name="d")
    thread = repo.pins.checkpointer.thread
    del repo
    gc.collect()
    thread.join(timeout=60)
    assert not thread.is_alive()
    repo = Repo(str(tmp_path / "r"))
    assert [p.name for p in repo.pins.list()] == ["d"]
    repo.close()


def test_a_close_right_after_a_commit_does_not_hang(tmp_path):
    """close() racing the thread's wake-up (the stop must not be lost between its wait and
    its clearing of the wake-up): many opens, one commit each, closed at once."""
    path = str(tmp_path / "r")
    Repo.init(path).close()
    for k in range(30):
        repo = Repo(path)
        repo.add(b"x%d" % k, name=f"n{k}")
        repo.close()
        assert not repo.pins.checkpointer.thread.is_alive()
