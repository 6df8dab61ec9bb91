"""The SQLite pin set's database: pins, per-block reference counts, GC candidates, import
leases; the connection, the schema (and its migrations) and the transaction.

One SQLite file (WAL, synchronous=FULL), so that a pin record and every reference count it
changes commit together or not at all, and several processes can share it. A repo made without
fsync opens it with synchronous=NORMAL (WAL stays consistent; the last commits may be lost at a
power cut, as the blocks may). A transaction that need not survive a power cut (``durable=False``:
one that a later start redoes, such as the end of a lease, which reaping repeats) commits
without a sync; WAL keeps commits in order, so a later synced commit makes it durable too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

from .. import _faults
from .sqlquery import regexp_function

# 2: pins.owner_pid / owner_start (the process that pins a 'pinning' pin)
# 3: pins.network ('public'/'private'), refs.prc (references from public pins; issue 15)
# 4: refs.id (rows in the order they were made; was a table keyed by mh)
# 5: one metadata index (pin_meta_value) and one name index (pins_name_nocase); time-ordered ids
# 6: refs.size (the block's bytes, as its writer recorded them; NULL: not known)
SCHEMA_VERSION = 6

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pins (
    id TEXT PRIMARY KEY,
    cid BLOB NOT NULL,
    mh BLOB NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL CHECK (type IN ('recursive', 'direct')),
    created INTEGER NOT NULL UNIQUE,
    size INTEGER,
    status TEXT NOT NULL DEFAULT 'pinned'
        CHECK (status IN ('queued', 'pinning', 'pinned', 'failed')),
    reason TEXT,
    owner_pid INTEGER,  -- a 'pinning' pin: the process taking its references, and
    -- owner_start: its start token (pinfold.process), so a reused pid is not it;
    -- network: 'public' or 'private' (checked by add)
    owner_start TEXT,
    network TEXT NOT NULL DEFAULT 'public'
);
CREATE INDEX IF NOT EXISTS pins_mh ON pins(mh, type, status);
CREATE INDEX IF NOT EXISTS pins_name_nocase ON pins(name COLLATE NOCASE);
-- names are found through pins_name_nocase alone (exact: NOCASE narrows, == decides): one
-- B-tree fewer for every new pin to update; dropped from old repos (version 5)
DROP INDEX IF EXISTS pins_name;
CREATE INDEX IF NOT EXISTS pins_status ON pins(status, created);
CREATE INDEX IF NOT EXISTS pins_size ON pins(size);
CREATE INDEX IF NOT EXISTS pins_created ON pins(created);
-- names for substring search (trigram index, kept in step by triggers)
CREATE VIRTUAL TABLE IF NOT EXISTS pin_names USING fts5(
    name, content='pins', content_rowid='rowid', tokenize='trigram case_sensitive 0');
CREATE TRIGGER IF NOT EXISTS pins_ai AFTER INSERT ON pins BEGIN
    INSERT INTO pin_names(rowid, name) VALUES (new.rowid, new.name);
END;
CREATE TRIGGER IF NOT EXISTS pins_ad AFTER DELETE ON pins BEGIN
    INSERT INTO pin_names(pin_names, rowid, name) VALUES ('delete', old.rowid, old.name);
    DELETE FROM pin_meta WHERE pin = old.id;
    DELETE FROM pin_groups WHERE pin = old.id;
END;
CREATE TRIGGER IF NOT EXISTS pins_au AFTER UPDATE OF name ON pins BEGIN
    INSERT INTO pin_names(pin_names, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO pin_names(rowid, name) VALUES (new.rowid, new.name);
END;
-- typed key-values: num holds numbers, booleans (0/1) and times (epoch s); text strings/ISO
CREATE TABLE IF NOT EXISTS pin_meta (
    pin TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    num NUMERIC,
    text TEXT,
    PRIMARY KEY (pin, key)
) WITHOUT ROWID;
-- one index for both columns (a row has a number, or a string with num NULL, or a time with
-- both): what a query compares, numbers on (key, type, num), strings on (key, type, NULL, text)
CREATE INDEX IF NOT EXISTS pin_meta_value ON pin_meta(key, type, num, text);
-- version 4's two indexes, (key, type, num) and (key, type, text), dropped from old repos
DROP INDEX IF EXISTS pin_meta_num;
DROP INDEX IF EXISTS pin_meta_text;
CREATE TABLE IF NOT EXISTS groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pin_groups (
    pin TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (pin, grp)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pin_groups_grp ON pin_groups(grp, pin);
-- rc: recursive references (recursive pins on the block + live parents linking to it)
-- dc: direct pins on the block. A block is kept while rc > 0 or dc > 0.
-- links: the block's child CIDs, packed (NULL: not known yet). cid: the block's CID as met.
-- prc: the part of rc that public pins make: public recursive pins on the block + parents
-- with prc > 0 linking to it (so prc <= rc; a block is public while prc > 0)
-- size: the block's length in bytes as its writer recorded it (NULL: not known, e.g. a row
-- from before version 6 or one a pin made): gc reports what it frees without a stat per file
-- id: the row's place, in the order rows were made (an import or a pin records a DAG's blocks
-- together), so that the rows an unpin or a gc rewrites share pages, not one page each at
-- random places in a table keyed by hashes; mh is looked up through its unique index
CREATE TABLE IF NOT EXISTS refs (
    id INTEGER PRIMARY KEY,
    mh BLOB NOT NULL UNIQUE,
    cid BLOB NOT NULL,
    rc INTEGER NOT NULL DEFAULT 0,
    dc INTEGER NOT NULL DEFAULT 0,
    links BLOB,
    prc INTEGER NOT NULL DEFAULT 0,
    size INTEGER
);
-- (no index on rc: nearly every row is live, so one would only double the pages that a pin or
-- an unpin rewrites, at random places, and its cost grew with the repo; dropped from old repos)
DROP INDEX IF EXISTS refs_live;
-- the rows with both counts zero (a writer's pending blocks, blocks on the unreferenced list,
-- and those gc has collected until it deletes their rows): gc's sweep of the rows of what it
-- collected goes through these alone, not through every live row of its stretch of the table
-- (1M rows, 100k collected: 0.34 s -> 0.09 s). Live rows, nearly all of them, are not in it:
-- a pin of live rows does not touch it, and an unpin adds to it only the rows it frees
CREATE INDEX IF NOT EXISTS refs_zero ON refs(mh) WHERE rc = 0 AND dc = 0;
-- blocks that nothing references any more: what gc looks at (cost follows what it frees)
CREATE TABLE IF NOT EXISTS unreferenced (mh BLOB PRIMARY KEY) WITHOUT ROWID;
-- imports in progress: their blocks are never collected
CREATE TABLE IF NOT EXISTS leases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pid INTEGER NOT NULL,
    pid_start TEXT NOT NULL,
    started INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    mh BLOB NOT NULL,
    lease INTEGER NOT NULL,
    PRIMARY KEY (mh, lease)
) WITHOUT ROWID;
"""


def _statements(script: str) -> list[str]:
    """Split a schema into statements, keeping trigger bodies whole."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    return out


def _lower(text: str | None) -> str | None:
    """Unicode lower case (SQLite's lower() folds only A-Z)."""
    return text.lower() if isinstance(text, str) else text


def connect(path: str, *, durable: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=60000")
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("PRAGMA cache_size=-131072")  # 128 MiB of page cache
    conn.execute("PRAGMA mmap_size=268435456")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.create_function("pinfold_regexp", 2, regexp_function, deterministic=True)
    conn.create_function("pinfold_lower", 1, _lower, deterministic=True)
    return conn


def init_schema(conn: sqlite3.Connection) -> None:
    """Create what is missing and bring an older database up to :data:`SCHEMA_VERSION`."""
    with Transaction(conn):
        columns = {r[1] for r in conn.execute("PRAGMA table_info(pins)")}
        if columns and "owner_pid" not in columns:  # a version 1 database
            conn.execute("ALTER TABLE pins ADD COLUMN owner_pid INTEGER")
            conn.execute("ALTER TABLE pins ADD COLUMN owner_start TEXT")
        if columns and "network" not in columns:  # version 1 or 2: every pin is public
            conn.execute("ALTER TABLE pins ADD COLUMN network TEXT NOT NULL DEFAULT 'public'")
            conn.execute("ALTER TABLE refs ADD COLUMN prc INTEGER NOT NULL DEFAULT 0")
            conn.execute("UPDATE refs SET prc = rc WHERE rc > 0")  # all references public
        if columns and "id" not in {r[1] for r in conn.execute("PRAGMA table_info(refs)")}:
            _number_refs(conn)  # versions 1-3
        refs_columns = {r[1] for r in conn.execute("PRAGMA table_info(refs)")}
        if refs_columns and "size" not in refs_columns:  # versions 1-5
            conn.execute("ALTER TABLE refs ADD COLUMN size INTEGER")
        for stmt in _statements(SCHEMA):
            conn.execute(stmt)
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT(key)"
            " DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))


def _number_refs(conn: sqlite3.Connection) -> None:
    """Version 4's ``refs``: the same rows, with an ``id`` (in the old table's key order: which
    rows were made together is not known, so old DAGs' rows stay scattered; rows made from now
    on are in order)."""
    conn.execute("ALTER TABLE refs RENAME TO refs_v3")
    table = next(st for st in _statements(SCHEMA) if "TABLE IF NOT EXISTS refs " in st)
    conn.execute(table)
    conn.execute("INSERT INTO refs(mh, cid, rc, dc, links, prc)"
                 " SELECT mh, cid, rc, dc, links, prc FROM refs_v3 ORDER BY mh")
    conn.execute("DROP TABLE refs_v3")


def adopt_legacy_owners(conn: sqlite3.Connection) -> None:
    """Version 1 recorded the owner of a ``pinning`` pin only in its ``reason`` text
    (``pinning in process <pid> <start>``): move it into the owner columns, once per row (such
    rows are rare: a process that died, or still runs, an older pinfold). A row whose text
    names no process gets owner 0, which is never alive, so it is recovered. Run (in a
    transaction) before recovery looks at the owners."""
    rows = conn.execute("SELECT id, reason FROM pins WHERE status = 'pinning'"
                        " AND owner_pid IS NULL").fetchall()
    for pin_id, reason in rows:
        parts = (reason or "").split()
        pid, start = 0, ""
        if len(parts) >= 4 and parts[:3] == ["pinning", "in", "process"]:
            try:
                pid, start = int(parts[3]), (parts[4] if len(parts) > 4 else "")
            except ValueError:
                pass
        conn.execute("UPDATE pins SET owner_pid = ?, owner_start = ? WHERE id = ?",
                     (pid, start, pin_id))


_conn_locks: dict[int, threading.RLock] = {}
_conn_locks_guard = threading.Lock()


def conn_lock(conn: object) -> threading.RLock:
    """The one re-entrant lock of a connection's transactions. A transaction belongs to the
    thread that began it: threads sharing a connection (a web app's workers over one Repo) wait
    for each other's transactions instead of joining them (where one thread's rollback would
    undo another's writes). Nested uses in the same thread still join the outer one."""
    key = id(conn)
    with _conn_locks_guard:
        lock = _conn_locks.get(key)
        if lock is None:
            lock = _conn_locks[key] = threading.RLock()
        return lock


_commit_hooks: dict[int, Callable[[], None]] = {}


def after_transactions(key: int, hook: Callable[[], None], *, remove: bool = False) -> None:
    """Call ``hook`` (quick: it runs in the committing thread) at the end of each outermost
    :class:`Transaction` on the connection whose ``id()`` is ``key``, committed or rolled
    back; ``remove``: no longer (only if ``hook`` is still the one there: a connection made
    later may have been given the same ``id()`` and a hook of its own)."""
    with _conn_locks_guard:
        if not remove:
            _commit_hooks[key] = hook
        elif _commit_hooks.get(key) == hook:
            del _commit_hooks[key]


class Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error); nested uses in the same thread
    join the outer one, other threads wait for it (:func:`conn_lock`).

    ``IMMEDIATE`` takes the write lock at the start, so two processes never interleave the
    read-modify-write of reference counts. ``durable=False``: the commit is not synced (see the
    module text); joined to an outer transaction it commits as that one does. ``atomic``: joined
    to an outer transaction, its part is a savepoint that an error rolls back, so an operation
    of several writes that raises half-way leaves none of them in a caller's transaction that
    catches the error and goes on.
    """

    def __init__(self, conn: sqlite3.Connection, *, durable: bool = True,
                 atomic: bool = False) -> None:
        self.conn = conn
        self.outer = False
        self.durable = durable
        self.atomic = atomic
        self.savepoint = False
        self.restore = 0
        self.lock = conn_lock(conn)

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            return self._begin()
        except BaseException:
            self.lock.release()
            raise

    def _begin(self) -> sqlite3.Connection:
        if not self.conn.in_transaction:
            if not self.durable:
                level = self.conn.execute("PRAGMA synchronous").fetchone()[0]
                if level > 1:
                    self.conn.execute("PRAGMA synchronous=NORMAL")
                    self.restore = level
            self.conn.execute("BEGIN IMMEDIATE")
            self.outer = True
        elif self.atomic:
            self.conn.execute("SAVEPOINT nested_tx")
            self.savepoint = True
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.savepoint:
                end_savepoint(self.conn, "nested_tx", exc_type is None)
            if self.outer:
                try:
                    if exc_type is None:
                        _faults.checkpoint("sqlite: before commit")
                        self.conn.execute("COMMIT")
                        _faults.checkpoint("sqlite: after commit")
                    else:
                        self.conn.execute("ROLLBACK")
                finally:
                    if self.restore:
                        self.conn.execute(f"PRAGMA synchronous={self.restore}")
                    hook = _commit_hooks.get(id(self.conn))
                    if hook is not None:
                        hook()
        finally:
            self.lock.release()


def end_savepoint(conn: Any, name: str, keep: bool) -> None:
    """Release savepoint ``name``, rolled back first unless ``keep`` (SQLite and PostgreSQL
    spell both alike)."""
    if not keep:
        conn.execute(f"ROLLBACK TO {name}")
    conn.execute(f"RELEASE {name}")


_last_ns = 0
_ns_lock = threading.Lock()


def monotonic_ns(conn: sqlite3.Connection) -> int:
    """A creation time in ns, strictly greater than any pin's (unique, monotonic)."""
    global _last_ns
    with _ns_lock:
        now = time.time_ns()
        row = conn.execute("SELECT MAX(created) FROM pins").fetchone()
        floor = max(_last_ns, row[0] or 0)
        if now <= floor:
            now = floor + 1
        _last_ns = now
        return now
