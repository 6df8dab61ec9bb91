"""The PostgreSQL pin set: :class:`~pinfold.pins.interface.Pinner` on one PostgreSQL database,
shared by any number of processes on any number of hosts.

It is the SQLite pin set's composition (:class:`pinfold.pins.PinSet`: what pairs record
changes with count changes) over PostgreSQL parts: the catalogue, counts and leases of this
package, on one connection (:mod:`.store`). What differs is who owns what:

- **Writers, not pids.** Each open pin set is a writer with a session lock; its leases and the
  two-step pins it takes name it. :meth:`reap_leases` and :meth:`recover` ask the server which
  writers still hold their locks, which any host can ask.
- **One write lock.** Mutating transactions take the pin set's advisory write lock (records
  take it shared), so operations are serializable with the same outcomes as SQLite's. Block
  bytes are written outside it, which is where an add spends its time.
- **A grace period for reaped leases.** When a dead writer's lease is reaped, its blocks wait
  ``grace`` seconds before gc may delete them, so that an upload the dead process had in
  flight lands (and is then collected) instead of landing after gc and staying an orphan.
  Blocks unpinned or left by a lease that closed normally are collectable at once.

The protocol, and what it costs, is written down in docs/scale-out.md.
"""

from __future__ import annotations

import os
import socket

from ...blockstore.base import Blockstore
from ...cid import CID
from ..leases import Leases
from ..pinset import PinSet
from .catalogue import PgCatalogue
from .leases import PgLeases
from .refcount import PgRefCounts
from .store import (
    DEFAULT_SCHEMA,
    Connection,
    Transaction,
    init_schema,
    live_writers,
    writer_session,
)

DEFAULT_GRACE = 600.0  # seconds: longer than any upload's retries (boto3: 60 s timeouts)


class PgPinSet(PinSet):
    """A pin set in the PostgreSQL database ``dsn`` (a libpq connection string or
    ``postgresql://`` URL; the password comes from ``PGPASSWORD`` or ``~/.pgpass``), reading
    links from ``blocks``, in the tables of ``schema`` (several pin sets may share one
    database). ``grace``: seconds a reaped lease's blocks are kept from gc."""

    def __init__(self, dsn: str, blocks: Blockstore, *, grace: float = DEFAULT_GRACE,
                 schema: str = DEFAULT_SCHEMA) -> None:
        self.path = _public_dsn(dsn)
        self.blocks = blocks
        self.grace = float(grace)
        self.conn = Connection(dsn, schema)  # type: ignore[assignment]
        try:
            self.trigram = init_schema(self.conn)
            self.writer = writer_session(self.conn)
            self.records = PgCatalogue(self.conn)  # type: ignore[arg-type]
            self.refs = PgRefCounts(self.conn, blocks)  # type: ignore[arg-type]
            self.refs.grace = self.grace
            self.leases: Leases = PgLeases(self.conn, self.writer)
            self.reap_leases()
            self.recover()
            if self.conn.execute(
                    "SELECT 1 FROM pins WHERE status = 'queued' LIMIT 1").fetchone():
                self.complete_queued()
        except BaseException:
            self.conn.close()
            raise

    def __repr__(self) -> str:
        return f"PgPinSet({self.path!r})"

    def close(self) -> None:
        self.conn.close()

    def tx(self, atomic: bool = False) -> Transaction:  # type: ignore[override]
        return Transaction(self.conn, atomic=atomic)

    def transaction(self, atomic: bool = False) -> Transaction:  # type: ignore[override]
        return Transaction(self.conn, atomic=atomic)

    def _owner(self) -> tuple[tuple[int, str], str]:
        where = f"{socket.gethostname()}:{os.getpid()}"
        return (self.writer, where), f"pinning in process {where} (writer {self.writer})"

    def recover(self) -> tuple[int, int]:
        finished = failed = 0
        rows = self.records.with_status("pinning", "id, cid, type, owner_pid, network")
        if not rows:
            return 0, 0
        alive = live_writers(self.conn)
        for pin_id, cid_b, ptype, writer, net in rows:
            if writer is not None and writer in alive:
                continue
            with self.tx() as c:
                if self.records.status(c, pin_id) != "pinning":  # type: ignore[arg-type]
                    continue
                if self._activate(c, pin_id, CID.from_bytes(cid_b), ptype,  # type: ignore[arg-type]
                                  None, queue="fail", network=net)[0] == "pinned":
                    finished += 1
                else:
                    failed += 1
        return finished, failed


def _public_dsn(dsn: str) -> str:
    """The connection string without a password (what reprs, errors and ``repo stat`` show)."""
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ImportError:
        return "postgresql://…"
    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - reported when connecting
        return "postgresql://…"
    parts.pop("password", None)
    return make_conninfo(**{k: str(v) for k, v in parts.items()})
