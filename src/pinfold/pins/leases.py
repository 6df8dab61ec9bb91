"""Leases of the SQLite pin set: writers in progress and the blocks they hold pending.

A lease is a row of ``leases`` (its process's pid and start token); each block it records is a
row of ``pending`` (and gets a ``refs`` row with its CID and links, so a later pin needs no
block read). A lease whose process is gone is reaped: its blocks that nothing keeps join the
unreferenced list, as when it closes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence

from ..cid import CID
from ..codecs.links import pack
from ..process import process_alive, process_start
from .interface import Lease
from .store import Transaction

# a row known from earlier keeps its counts and gets the links and the size if it lacked them
# (the same statement in SQLite and PostgreSQL)
RECORD_REFS = (
    "INSERT INTO refs(mh, cid, links, size) VALUES (?, ?, ?, ?) ON CONFLICT (mh)"
    " DO UPDATE SET links = COALESCE(refs.links, excluded.links),"
    " size = COALESCE(refs.size, excluded.size)"
    " WHERE (refs.links IS NULL AND excluded.links IS NOT NULL)"
    " OR (refs.size IS NULL AND excluded.size IS NOT NULL)")


# the sizes of a failed lease's blocks that nothing references (before its pending rows go)
FORGET_SIZES = (
    "UPDATE refs SET size = NULL WHERE size IS NOT NULL AND rc = 0 AND dc = 0"
    " AND mh IN (SELECT mh FROM pending WHERE lease = ?)")


class SQLiteLease(Lease):
    """A lease; its ``leases`` row is written with its first record (a lease that records
    nothing holds nothing), so a one-block write commits twice, not three times."""

    def __init__(self, leases: Leases, lease_id: int | None) -> None:
        self.leases = leases
        self.id = lease_id
        self.mhs: set[bytes] = set()
        self.closed = False

    def record(self, items: Iterable[tuple[CID, Sequence[CID] | None, int | None]
                                     | tuple[CID, Sequence[CID] | None]]) -> None:
        self.leases.record(self, [item if len(item) == 3 else (*item, None) for item in items])

    def close(self, *, failed: bool = False) -> None:
        if not self.closed:
            self.leases.end(self, failed=failed)
            self.closed = True


class Leases:
    """The ``leases`` and ``pending`` tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def open(self) -> SQLiteLease:
        return SQLiteLease(self, None)

    @staticmethod
    def _insert(c: sqlite3.Connection) -> int:
        pid = os.getpid()
        cur = c.execute(
            "INSERT INTO leases(pid, pid_start, started) VALUES (?, ?, strftime('%s'))",
            (pid, process_start(pid)),
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def record(self, lease: SQLiteLease,
               items: list[tuple[CID, Sequence[CID] | None, int | None]]) -> None:
        with Transaction(self.conn) as c:
            if lease.id is None:
                lease.id = self._insert(c)
            c.executemany(
                "INSERT OR IGNORE INTO pending(mh, lease) VALUES (?, ?)",
                [(cid.multihash, lease.id) for cid, _, _ in items],
            )
            c.executemany(
                RECORD_REFS,
                [(cid.multihash, cid.bytes, pack(links) if links is not None else None, size)
                 for cid, links, size in items],
            )
        lease.mhs.update(cid.multihash for cid, _, _ in items)

    def end(self, lease: SQLiteLease, *, failed: bool = False) -> None:
        if lease.id is None:
            return
        # not synced: if a power cut loses it, the lease row is there to be reaped, which
        # releases it the same way
        with Transaction(self.conn, durable=False) as c:
            self.release(c, lease.id, forget_sizes=failed)

    @staticmethod
    def release(c: sqlite3.Connection, lease_id: int, *, forget_sizes: bool = False) -> None:
        """Drop a lease: its blocks that nothing references become gc candidates
        (``forget_sizes``: its writer failed or died, so their recorded sizes may be of
        blocks never written, and are dropped)."""
        if forget_sizes:
            c.execute(FORGET_SIZES, (lease_id,))
        c.execute(
            """INSERT OR IGNORE INTO unreferenced(mh)
               SELECT p.mh FROM pending p LEFT JOIN refs r ON r.mh = p.mh
               WHERE p.lease = ? AND COALESCE(r.rc, 0) = 0 AND COALESCE(r.dc, 0) = 0""",
            (lease_id,),
        )
        c.execute("DELETE FROM pending WHERE lease = ?", (lease_id,))
        c.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def reap(self) -> int:
        """Finish the leases of writers whose process is gone; return how many."""
        rows = self.conn.execute("SELECT id, pid, pid_start FROM leases").fetchall()
        dead = [r[0] for r in rows if not process_alive(r[1], r[2])]
        if dead:
            with Transaction(self.conn) as c:
                for lease_id in dead:
                    self.release(c, lease_id, forget_sizes=True)
        return len(dead)

    def pending_keys(self) -> set[bytes]:
        return {r[0] for r in self.conn.execute("SELECT mh FROM pending")}
