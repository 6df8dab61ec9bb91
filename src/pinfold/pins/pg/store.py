"""The PostgreSQL pin set's database: the connection, the schema, transactions and locks.

The tables are those of the SQLite pin set (:mod:`pinfold.pins.store`), in a schema of their
own (``pinfold`` unless told otherwise: one database may hold several pin sets, beside an
application's tables), with PostgreSQL types and four additions: ``pins.name_fold`` and
``pin_meta.text_fold`` (names and strings lower-cased by Python, so case-insensitive queries
fold exactly as the SQLite pin set does), ``unreferenced.since`` (the gc grace period, see
:mod:`pinfold.pins.pg.pinset`), the writer of each lease; and ``pins.network``
(``public``/``private``, issue 15), there from the start.

The components shared with the SQLite pin set (:mod:`pinfold.pins.refcount`,
:mod:`~pinfold.pins.leases`, :mod:`~pinfold.pins.catalogue`) speak portable SQL apart from two
spellings, which :class:`Connection` translates: ``?`` placeholders (to ``%s``) and
``INSERT OR IGNORE`` (to ``ON CONFLICT DO NOTHING``). ``BEGIN IMMEDIATE``, their transaction,
becomes ``BEGIN`` with the pin set's write lock.

Locks (PostgreSQL advisory locks, keyed by two int4, the second derived from the schema):

- the **write lock** ``(LOCK_SPACE, key of the schema)``, transaction-scoped: every mutating
  transaction takes it exclusively (so operations are serializable, as under SQLite's one
  write lock), except :meth:`Lease.record <pinfold.pins.interface.Lease.record>`, which takes
  it shared (records of many writers run at once; they insert rows in key order, so they
  never deadlock). gc runs in exclusive transactions, so nothing records, pins or
  re-references a block between gc listing it and gc's commit.
- a **writer lock** ``(key of the schema's writers, writer id)``, session-scoped: each open
  pin set is a *writer* with an id from a sequence and holds this lock for as long as its
  session lives. Its leases and its two-step pins carry the id; they are alive exactly while
  the lock is held. A process that dies (SIGKILL, a lost host) loses its session, and the
  server drops the lock: at once for a closed socket, after the TCP keepalive timeouts set
  here (about a minute) for a host that vanished.
"""

from __future__ import annotations

import decimal
import re
import socket
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from ... import _faults
from ...errors import PinfoldError
from ..store import conn_lock, end_savepoint

LOCK_SPACE = 0x70696E66  # "pinf": the pin sets' write locks, (LOCK_SPACE, schema key)
DEFAULT_SCHEMA = "pinfold"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCHEMA_VERSION = 2  # 2: refs.size

# keepalives so that the server notices a vanished client (and drops its writer lock) in
# about 30 + 3 * 10 s, and the client notices a vanished server as fast
KEEPALIVES = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10",
              "keepalives_count": "3"}
SESSION_SETTINGS = ("SET tcp_keepalives_idle = 30", "SET tcp_keepalives_interval = 10",
                    "SET tcp_keepalives_count = 3")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS pins (
        id TEXT PRIMARY KEY,
        cid BYTEA NOT NULL,
        mh BYTEA NOT NULL,
        name TEXT COLLATE "C" NOT NULL DEFAULT '',
        name_fold TEXT COLLATE "C" NOT NULL DEFAULT '',
        type TEXT NOT NULL CHECK (type IN ('recursive', 'direct')),
        created BIGINT NOT NULL UNIQUE,
        size BIGINT,
        status TEXT NOT NULL DEFAULT 'pinned'
            CHECK (status IN ('queued', 'pinning', 'pinned', 'failed')),
        reason TEXT,
        owner_pid BIGINT,   -- a 'pinning' pin: the writer id whose session takes its refs
        owner_start TEXT,   -- and where that writer runs (host:pid), for people
        network TEXT NOT NULL DEFAULT 'public' CHECK (network IN ('public', 'private')))""",
    "CREATE INDEX IF NOT EXISTS pins_mh ON pins(mh, type, status)",
    "CREATE INDEX IF NOT EXISTS pins_name ON pins(name)",
    "CREATE INDEX IF NOT EXISTS pins_name_fold ON pins(name_fold)",
    "CREATE INDEX IF NOT EXISTS pins_status ON pins(status, created)",
    "CREATE INDEX IF NOT EXISTS pins_size ON pins(size)",
    """CREATE TABLE IF NOT EXISTS pin_meta (
        pin TEXT NOT NULL REFERENCES pins(id) ON DELETE CASCADE,
        key TEXT COLLATE "C" NOT NULL,
        type TEXT NOT NULL,
        num NUMERIC,
        text TEXT COLLATE "C",
        text_fold TEXT COLLATE "C",
        PRIMARY KEY (pin, key))""",
    "CREATE INDEX IF NOT EXISTS pin_meta_num ON pin_meta(key, type, num)",
    "CREATE INDEX IF NOT EXISTS pin_meta_text ON pin_meta(key, type, text)",
    """CREATE TABLE IF NOT EXISTS groups (
        id TEXT PRIMARY KEY,
        name TEXT COLLATE "C" NOT NULL UNIQUE,
        created BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS pin_groups (
        pin TEXT NOT NULL REFERENCES pins(id) ON DELETE CASCADE,
        grp TEXT NOT NULL,
        PRIMARY KEY (pin, grp))""",
    "CREATE INDEX IF NOT EXISTS pin_groups_grp ON pin_groups(grp, pin)",
    """CREATE TABLE IF NOT EXISTS refs (
        mh BYTEA PRIMARY KEY,
        cid BYTEA NOT NULL,
        rc BIGINT NOT NULL DEFAULT 0,
        dc BIGINT NOT NULL DEFAULT 0,
        links BYTEA,
        prc BIGINT NOT NULL DEFAULT 0,  -- references from public pins (issue 15, branch access)
        size BIGINT)  -- the block's length as its writer recorded it (NULL: not known)
    """,
    # since: when gc may delete the block ('-infinity': at once; a reaped lease's blocks:
    # after the grace period, see pinset.py)
    """CREATE TABLE IF NOT EXISTS unreferenced (
        mh BYTEA PRIMARY KEY,
        since TIMESTAMPTZ NOT NULL DEFAULT '-infinity')""",
    "CREATE SEQUENCE IF NOT EXISTS writer_ids AS INTEGER CYCLE",
    """CREATE TABLE IF NOT EXISTS leases (
        id BIGSERIAL PRIMARY KEY,
        writer INTEGER NOT NULL,
        place TEXT NOT NULL,
        started TIMESTAMPTZ NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS pending (
        mh BYTEA NOT NULL,
        lease BIGINT NOT NULL,
        PRIMARY KEY (mh, lease))""",
    "CREATE INDEX IF NOT EXISTS pending_lease ON pending(lease)",
]
# substring search on names: trigram indexes when the server has pg_trgm (contrib); without
# them the same queries scan
TRIGRAM = [
    "CREATE INDEX IF NOT EXISTS pins_name_trgm ON pins USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS pins_name_fold_trgm ON pins USING gin (name_fold gin_trgm_ops)",
]


class PgPinSetError(PinfoldError):
    """The PostgreSQL pin set cannot do what was asked: the server is unreachable or refused,
    the connection was lost, or a value PostgreSQL cannot hold (text with NUL characters)."""


def place() -> str:
    """Where this process runs, for people reading leases: ``host:pid``."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


_TRANSLATED: dict[str, str] = {}
_OR_IGNORE = re.compile(r"^\s*INSERT OR IGNORE INTO", re.S)


def translate(sql: str) -> str:
    """A statement of the shared components in PostgreSQL's spelling (cached)."""
    out = _TRANSLATED.get(sql)
    if out is None:
        out = sql.replace("%", "%%").replace("?", "%s")
        if _OR_IGNORE.match(out):
            out = _OR_IGNORE.sub("INSERT INTO", out, count=1) + " ON CONFLICT DO NOTHING"
        _TRANSLATED[sql] = out
    return out


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise PgPinSetError("the PostgreSQL pin set needs psycopg 3: pip install "
                            "'pinfold[postgres]'") from None
    return psycopg


def _error(exc: Exception) -> PgPinSetError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "NUL" in text:
        return PgPinSetError("a PostgreSQL pin set cannot hold text with NUL characters")
    return PgPinSetError(f"PostgreSQL pin set: {text}")


class Connection:
    """One psycopg connection (autocommit; transactions are explicit), with the SQLite
    components' spelling translated and every database error a :class:`PgPinSetError`."""

    def __init__(self, conninfo: str, schema: str = DEFAULT_SCHEMA) -> None:
        if not isinstance(schema, str) or not _SCHEMA_NAME.match(schema):
            raise PgPinSetError(f"not a pin-set schema name: {schema!r} (lower-case letters,"
                                " digits and _)")
        self.schema = schema
        self.lock_key = _key("pins:" + schema)
        self.writer_space = _key("writers:" + schema)
        psycopg = _psycopg()
        from psycopg.conninfo import conninfo_to_dict

        try:
            given = conninfo_to_dict(conninfo)
        except psycopg.Error as exc:
            raise PgPinSetError(f"not a PostgreSQL connection string: {_error(exc)}") from None
        extra = {k: v for k, v in KEEPALIVES.items() if k not in given}
        extra.setdefault("application_name", "pinfold")
        try:
            self.raw = psycopg.connect(conninfo, autocommit=True, **extra)
        except psycopg.Error as exc:
            raise _error(exc) from None
        _register_numbers(self.raw)
        self.Error = psycopg.Error
        for stmt in SESSION_SETTINGS:
            self.execute(stmt)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, args: Sequence[Any] | dict = ()) -> Any:
        if sql == "BEGIN IMMEDIATE":
            self.begin(shared=False)
            return None
        try:
            return self.raw.execute(translate(sql), args or None)
        except self.Error as exc:
            raise _error(exc) from None
        except ValueError as exc:  # psycopg refuses a value before sending it (NUL in text)
            raise _error(exc) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        try:
            with self.raw.cursor() as cur:
                cur.executemany(translate(sql), rows)
        except self.Error as exc:
            raise _error(exc) from None
        except ValueError as exc:
            raise _error(exc) from None

    def begin(self, *, shared: bool) -> None:
        self.execute("BEGIN")
        lock = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        self.execute(f"SELECT {lock}(?, ?)", (LOCK_SPACE, self.lock_key))

    def close(self) -> None:
        try:
            self.raw.close()
        except self.Error:
            pass


class Transaction:
    """``BEGIN`` with the write lock (``shared``: its shared form) … ``COMMIT`` (``ROLLBACK``
    on error); nested uses join the outer one (``atomic``: as a savepoint that an error rolls
    back, as :class:`pinfold.pins.store.Transaction`)."""

    def __init__(self, conn: Connection, *, shared: bool = False, atomic: bool = False) -> None:
        self.conn = conn
        self.shared = shared
        self.atomic = atomic
        self.outer = False
        self.savepoint = False
        self.lock = conn_lock(conn)  # other threads on this connection wait, never join

    def __enter__(self) -> Connection:
        self.lock.acquire()
        try:
            if not self.conn.in_transaction:
                self.conn.begin(shared=self.shared)
                self.outer = True
            elif self.atomic:
                self.conn.execute("SAVEPOINT nested_tx")
                self.savepoint = True
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.savepoint:
                end_savepoint(self.conn, "nested_tx", exc_type is None)
            self._end(exc_type)
        finally:
            self.lock.release()

    def _end(self, exc_type) -> None:
        if not self.outer:
            return
        if exc_type is None:
            _faults.checkpoint("postgres: before commit")
            self.conn.execute("COMMIT")
            _faults.checkpoint("postgres: after commit")
        else:
            try:
                self.conn.execute("ROLLBACK")
            except PgPinSetError:
                pass  # the connection is gone: so is the transaction


def init_schema(conn: Connection) -> bool:
    """Create the schema and what is missing in it, make it the connection's search path;
    return whether name searches have trigram indexes."""
    with Transaction(conn):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {conn.schema}")
        conn.execute(f"SET LOCAL search_path TO {conn.schema}")
        for stmt in SCHEMA:
            conn.execute(stmt)
        # a schema made before sizes were recorded (looked up first: ALTER TABLE would take
        # the table's exclusive lock on every open, beside other hosts' work)
        if not conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = ?"
                " AND table_name = 'refs' AND column_name = 'size'", (conn.schema,)).fetchone():
            conn.execute("ALTER TABLE refs ADD COLUMN size BIGINT")
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT(key)"
            " DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
    conn.execute(f"SET search_path TO {conn.schema}")
    have = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone()
    if have is None:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
            have = (1,)
        except PgPinSetError:
            have = None  # not installed, or not ours to install: names are scanned
    if have is not None:
        conn.execute(f"SET search_path TO {conn.schema}, public")
        with Transaction(conn):
            for stmt in TRIGRAM:
                conn.execute(stmt)
    return have is not None


def writer_session(conn: Connection) -> int:
    """A new writer id, its session lock taken (held until the connection ends)."""
    writer = conn.execute("SELECT nextval('writer_ids')").fetchone()[0]
    conn.execute("SELECT pg_advisory_lock(?, ?)", (conn.writer_space, writer))
    return int(writer)


def live_writers(conn: Connection) -> set[int]:
    """The writer ids whose sessions are alive (hold their lock) on this database."""
    return {int(r[0]) for r in conn.execute(
        "SELECT objid::int8 FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid::int8 = ? AND objsubid = 2 AND database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())",
        (conn.writer_space,))}


def _key(text: str) -> int:
    """An advisory lock key (int4) for a name."""
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


# -- numbers: metadata values come back as the SQLite pin set gives them ----------------------
_I64 = 1 << 63


def numeric_number(text: str) -> int | float:
    """A NUMERIC value (its text) as a metadata number: an ``int`` when integral and in
    int64's range (as SQLite's NUMERIC affinity keeps an integer), else a ``float``. A float
    is written as its shortest ``repr``, so ``numeric_number(repr(x))`` is what ``x`` reads
    back as."""
    d = decimal.Decimal(text)
    if d == d.to_integral_value() and -_I64 <= d < _I64:
        return int(d)
    return float(d)


def _register_numbers(raw: Any) -> None:
    """Floats go to NUMERIC columns by their shortest repr (exact); NUMERIC values come back
    as an ``int`` when integral and 64-bit (as SQLite's NUMERIC affinity keeps them), else
    as a ``float``."""
    from psycopg.adapt import Dumper, Loader
    from psycopg.postgres import types

    numeric_oid = types["numeric"].oid

    class FloatAsNumeric(Dumper):
        oid = numeric_oid

        def dump(self, obj: float) -> bytes:
            return repr(obj).encode()

    class NumericAsNumber(Loader):
        def load(self, data: Any) -> int | float:
            return numeric_number(bytes(data).decode())

    raw.adapters.register_dumper(float, FloatAsNumeric)
    raw.adapters.register_loader("numeric", NumericAsNumber)
