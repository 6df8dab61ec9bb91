"""What presigned upload URLs need stored in the repo: the secret they are signed with and
the record of which were used, as two tables in the repo's ``access.sqlite`` (owner-only,
:class:`pinfold.access.store.AccessStore`), beside the API keys.

A URL is used once: an upload through it first *claims* its nonce (one row, taken in a
``BEGIN IMMEDIATE`` transaction, so two processes or threads never both hold it), then
either *commits* the claim (the URL is spent) or *releases* it (a refused or cut-off upload
does not use the URL up). A claim whose process died is taken over (its owner is a pid and
start token, :mod:`pinfold.process`). Rows of URLs long expired are dropped.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from ..access.store import AccessStore
from ..process import process_alive, process_start
from .errors import UploadError

KEEP_EXPIRED = 86400  # seconds a used URL's row outlives its expiry (clock skew and then some)

SCHEMA = """
CREATE TABLE IF NOT EXISTS upload_secrets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, secret BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS upload_claims (
    nonce TEXT PRIMARY KEY, state TEXT NOT NULL, pid INTEGER NOT NULL, start TEXT NOT NULL,
    at INTEGER NOT NULL, expires INTEGER NOT NULL);
"""


class UploadStore:
    """The upload tables of an access database (``store``: an
    :class:`~pinfold.access.store.AccessStore`; ``UploadStore(path)`` opens one at ``path``,
    ``":memory:"`` for a scratch one)."""

    def __init__(self, store: AccessStore | str) -> None:
        self._own = not isinstance(store, AccessStore)
        self.db = AccessStore(store) if isinstance(store, str) else store
        with self.db.tx() as c:
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    c.execute(stmt)

    @classmethod
    def for_repo(cls, repo: Any) -> UploadStore:
        """The upload tables of ``repo``'s access database."""
        return cls(repo.access.store)

    def __repr__(self) -> str:
        return f"UploadStore({self.db.path!r})"

    def tx(self):
        return self.db.tx()

    def close(self) -> None:
        """Close the database if this store opened it (a repo's is closed with the repo)."""
        if self._own:
            self.db.close()

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
        with self.db.read() as c:
            row = c.execute("SELECT state FROM upload_claims WHERE nonce = ?",
                            (nonce,)).fetchone()
        return row is not None and row[0] == "used"
