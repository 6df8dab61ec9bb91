"""Leases of the PostgreSQL pin set: a lease belongs to a *writer* (an open pin set, one
database session holding its writer lock, :mod:`pinfold.pins.pg.store`), not to a pid, so that
any host can tell whether it is alive. Recording takes the write lock shared (many writers
record at once, rows in key order); opening needs no lock; closing and reaping take it
exclusively. A reaped lease's blocks become gc candidates only after the grace period, which
covers the writes its dead process may still have had in flight.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...cid import CID
from ...codecs.links import pack
from ..leases import FORGET_SIZES, RECORD_REFS, Leases, SQLiteLease
from .store import Connection, Transaction, live_writers, place


class PgLeases(Leases):
    conn: Connection  # type: ignore[assignment]

    def __init__(self, conn: Connection, writer: int) -> None:
        super().__init__(conn)  # type: ignore[arg-type]
        self.writer = writer

    def open(self) -> SQLiteLease:
        row = self.conn.execute("INSERT INTO leases(writer, place) VALUES (?, ?) RETURNING id",
                                (self.writer, place())).fetchone()
        return SQLiteLease(self, int(row[0]))

    def record(self, lease: SQLiteLease,
               items: list[tuple[CID, Sequence[CID] | None, int | None]]) -> None:
        rows = sorted({cid.multihash: (cid, links, size) for cid, links, size in items}.items())
        with Transaction(self.conn, shared=True) as c:
            c.executemany("INSERT INTO pending(mh, lease) VALUES (?, ?) ON CONFLICT DO NOTHING",
                          [(mh, lease.id) for mh, _ in rows])
            c.executemany(
                RECORD_REFS,
                [(mh, cid.bytes, pack(links) if links is not None else None, size)
                 for mh, (cid, links, size) in rows])
        lease.mhs.update(mh for mh, _ in rows)

    def end(self, lease: SQLiteLease, *, failed: bool = False) -> None:
        with Transaction(self.conn) as c:
            self.release(c, lease.id, forget_sizes=failed)  # type: ignore[arg-type]

    @staticmethod
    def release(c: Connection, lease_id: int, *, reaped: bool = False,  # type: ignore[override]
                forget_sizes: bool = False) -> None:
        """Drop a lease: its blocks that nothing references become gc candidates, at once or
        (``reaped``: its process died, its writes may still land) after the grace period.
        ``forget_sizes``: its writer failed or died, so their recorded sizes may be of
        blocks never written, and are dropped."""
        if forget_sizes:
            c.execute(FORGET_SIZES, (lease_id,))
        on_listed = "DO UPDATE SET since = excluded.since" if reaped else "DO NOTHING"
        c.execute(
            f"""INSERT INTO unreferenced(mh, since)
               SELECT p.mh, {"now()" if reaped else "'-infinity'::timestamptz"}
               FROM pending p LEFT JOIN refs r ON r.mh = p.mh
               WHERE p.lease = ? AND COALESCE(r.rc, 0) = 0 AND COALESCE(r.dc, 0) = 0
               ON CONFLICT (mh) {on_listed}""", (lease_id,))
        c.execute("DELETE FROM pending WHERE lease = ?", (lease_id,))
        c.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def reap(self) -> int:
        rows = self.conn.execute("SELECT id, writer FROM leases").fetchall()
        if not rows:
            return 0
        alive = live_writers(self.conn)
        dead = [r[0] for r in rows if r[1] not in alive]
        if dead:
            with Transaction(self.conn) as c:
                for lease_id in dead:
                    self.release(c, lease_id, reaped=True, forget_sizes=True)
        return len(dead)

    def pending_keys(self) -> set[bytes]:
        return {bytes(r[0]) for r in self.conn.execute("SELECT mh FROM pending")}
