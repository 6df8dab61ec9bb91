"""The access database: ``access.sqlite`` in the repo, readable and writable by its owner only.

Tables: ``link_secrets`` (the current HMAC secret of access links), ``api_keys`` (a SHA-256
hash of each secret, never the secret), ``gateway_tokens`` (likewise), ``settings`` (the
gateway rules as JSON). Every process that opens the repo reads the same rows. Writes run in
``BEGIN IMMEDIATE`` transactions, so a key's use count is taken atomically across processes;
one lock serializes the threads of a process on its connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SCHEMA = """
CREATE TABLE IF NOT EXISTS link_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, secret BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL, max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0,
    expires INTEGER, created INTEGER NOT NULL, revoked INTEGER);
CREATE TABLE IF NOT EXISTS gateway_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL, revoked INTEGER);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

FILE_MODE = 0o600


class AccessStore:
    """One connection to the access database (``":memory:"`` for a scratch one)."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            os.close(fd)
            os.chmod(path, FILE_MODE)  # also an older file made with a looser umask
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, timeout=60.0, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout=60000")
        if path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
        with self.tx() as c:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)
        if path != ":memory:":
            for suffix in ("-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.chmod(path + suffix, FILE_MODE)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), holding the lock."""
        with self.lock:
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            yield self.conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()
