"""A worker for the shared-store tests (tests/repo/test_shared.py): one process of many on one
repo whose blocks are on S3 and whose pins are on PostgreSQL.

    python shared_worker.py REPO write SEED COUNT   add and pin COUNT files, unpin some
    python shared_worker.py REPO gcloop STOP_FILE   run gc until STOP_FILE exists

``write`` prints ``pinned <cid> <sha256 of the file> <name>`` after each pin has returned and
``unpinned <cid> <name>`` after each unpin (flushed, so a killed writer's output says what it had
finished), and ``done`` at the end. ``gcloop`` prints ``ready``, then ``rounds N`` at the end.
With ``PINFOLD_KILL_AFTER=N`` pinfold kills the process at its N-th checkpoint
(:mod:`pinfold._faults`).
"""

from __future__ import annotations

import hashlib
import os
import random
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

from pinfold.repo import Repo  # noqa: E402

CHUNK = 8192
OPTIONS = {"chunker": f"size-{CHUNK}"}


def blob(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


def content(seed: str, k: int) -> bytes:
    """File ``k`` of writer ``seed``: its own bytes, and a part every writer shares (and, for
    every third file, a whole file another writer adds too)."""
    if k % 3 == 0:
        return blob(f"overlap-{k}", 6 * CHUNK + 17)
    return blob("common", 4 * CHUNK) + blob(f"{seed}-{k}", (3 + k % 4) * CHUNK + k)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def write(path: str, seed: str, count: int) -> None:
    with Repo(path) as repo:
        for k in range(count):
            data = content(seed, k)
            root = repo.add(data, name=f"{seed}-{k}", **OPTIONS).root
            say(f"pinned {root} {hashlib.sha256(data).hexdigest()} {seed}-{k}")
            if k % 4 == 1:  # garbage for the gc to find
                repo.unpin(root, name=f"{seed}-{k}")
                say(f"unpinned {root} {seed}-{k}")
    say("done")


def gcloop(path: str, stop: str) -> None:
    rounds = 0
    with Repo(path) as repo:
        say("ready")
        while not os.path.exists(stop):
            repo.gc()
            rounds += 1
    say(f"rounds {rounds}")


if __name__ == "__main__":
    where, op, *rest = sys.argv[1:]
    if op == "write":
        write(where, rest[0], int(rest[1]))
    elif op == "gcloop":
        gcloop(where, rest[0])
    else:
        raise SystemExit(f"unknown op {op!r}")
