"""Reference counts of the PostgreSQL pin set: the SQLite pin set's
(:class:`pinfold.pins.refcount.RefCounts`, whose statements run here unchanged), with gc's
two questions asked with the grace period: an unreferenced entry whose ``since`` is later
than ``now() - grace`` (the blocks of a reaped lease, for ``grace`` seconds) is neither a
candidate nor taken off the list. ``now()`` is the transaction's start, so both questions of
one gc transaction use one cut-off.
"""

from __future__ import annotations

from .. import refcount
from ..refcount import RefCounts, sweep_refs
from .store import Connection

_RIPE = "u.since <= now() - make_interval(secs => ?)"


class PgRefCounts(RefCounts):
    grace: float = 0.0  # seconds (set by the pin set)
    row_key = "mh"  # a heap table: rows lie where they were written whatever the key

    def candidates(self, c: Connection,  # type: ignore[override]
                   limit: int) -> list[tuple[bytes, int | None]]:
        return [(bytes(r[0]), r[1]) for r in c.execute(
            f"""SELECT u.mh, r.size FROM unreferenced u LEFT JOIN refs r ON r.mh = u.mh
               WHERE {_RIPE}
               AND COALESCE(r.rc, 0) = 0 AND COALESCE(r.dc, 0) = 0
               AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.mh = u.mh)
               ORDER BY u.mh LIMIT ?""", (self.grace, limit))]

    def collected(self, c: Connection, last: bytes, count: int) -> None:  # type: ignore[override]
        c.execute(
            f"""DELETE FROM unreferenced u WHERE u.mh <= ? AND {_RIPE} AND NOT EXISTS
               (SELECT 1 FROM pending p WHERE p.mh = u.mh)""", (last, self.grace))
        sweep_refs(c, refcount.SWEEP_FACTOR * count)  # type: ignore[arg-type]
