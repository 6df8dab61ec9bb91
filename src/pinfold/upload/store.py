"""The upload database: ``uploads.sqlite`` in the repo (owner-only), holding the secret that
presigned upload URLs are signed with and the record of which URLs were used.

A URL is used once: an upload through it first *claims* its nonce (one row, taken in a
``BEGIN IMMEDIATE`` transaction, so two processes or threads never both hold it), then
either *commits* the claim (the URL is spent) or *releases* it (a refused or cut-off upload
does not use the URL up). A claim whose process died is taken over (its owner is a pid and
start token, :mod:`pinfold.process`). Rows of URLs long expired are dropped.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..process import process_alive, process_start
from .errors import UploadError

FILE = "uploads.sqlite"
FILE_MODE = 0o600
KEEP_EXPIRED = 86400  # seconds a used URL's row outlives its expiry (clock skew and then some)

SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, secret BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS upload_claims (
    nonce TEXT PRIMARY KEY, state TEXT NOT NULL, pid INTEGER NOT NULL, start TEXT NOT NULL,
    at INTEGER NOT NULL, expires INTEGER NOT NULL);
"""


class UploadStore:
    """One connection to a repo's upload database (``":memory:"``: a scratch one)."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            os.close(fd)
            os.chmod(path, FILE_MODE)
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

    @classmethod
    def for_repo(cls, repo_path: str) -> UploadStore:
        return cls(":memory:" if repo_path == ":memory:" else os.path.join(repo_path, FILE))

    def __repr__(self) -> str:
        return f"UploadStore({self.path!r})"

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- the signing secret -------------------------------------------------------------------
    def secret(self) -> bytes:
        """The current signing secret (made on first use)."""
        with self.tx() as c:
            row = c.execute("SELECT secret FROM upload_secrets ORDER BY id DESC LIMIT 1"
                            ).fetchone()
            if row is not None:
                return bytes(row[0])
            secret = secrets.token_bytes(32)
            c.execute("INSERT INTO upload_secrets (secret, created) VALUES (?, ?)",
                      (secret, int(time.time())))
            return secret

    def rotate(self) -> None:
        """A new secret: every URL signed before stops working."""
        with self.tx() as c:
            c.execute("DELETE FROM upload_secrets")
            c.execute("INSERT INTO upload_secrets (secret, created) VALUES (?, ?)",
                      (secrets.token_bytes(32), int(time.time())))

    # -- single use -----------------------------------------------------------------------------
    def claim(self, nonce: str, expires: int) -> None:
        """Hold ``nonce`` for an upload in progress, or refuse: 403 if the URL was used, 409
        if another upload through it is running."""
        now = int(time.time())
        pid = os.getpid()
        with self.tx() as c:
            c.execute("DELETE FROM upload_claims WHERE expires < ?", (now - KEEP_EXPIRED,))
            row = c.execute("SELECT state, pid, start FROM upload_claims WHERE nonce = ?",
                            (nonce,)).fetchone()
            if row is not None:
                state, owner, start = row
                if state == "used":
                    raise UploadError("this upload URL was used already", 403)
                if process_alive(owner, start):
                    raise UploadError("an upload through this URL is in progress", 409)
            c.execute("INSERT OR REPLACE INTO upload_claims (nonce, state, pid, start, at,"
                      " expires) VALUES (?, 'pending', ?, ?, ?, ?)",
                      (nonce, pid, process_start(pid), now, expires))

    def commit(self, nonce: str) -> None:
        """The upload succeeded: the URL is spent."""
        with self.tx() as c:
            c.execute("UPDATE upload_claims SET state = 'used' WHERE nonce = ?", (nonce,))

    def release(self, nonce: str) -> None:
        """The upload was refused or cut off: the URL may be used again."""
        with self.tx() as c:
            c.execute("DELETE FROM upload_claims WHERE nonce = ? AND state = 'pending'",
                      (nonce,))

    def used(self, nonce: str) -> bool:
        with self.lock:
            row = self.conn.execute("SELECT state FROM upload_claims WHERE nonce = ?",
                                    (nonce,)).fetchone()
        return row is not None and row[0] == "used"
