"""The pin set's WAL checkpoints, in a thread of their own.

SQLite copies committed WAL pages back into the database file (a checkpoint) on the connection
whose commit takes the WAL past ``wal_autocheckpoint`` pages, inside that commit: a writer such
as gc, whose transactions each write thousands of pages, waits for the copy and its fsync at
every commit. Here a thread with its own connection does a ``PASSIVE`` checkpoint after a
commit, :data:`GAP` seconds later, if the writer has not begun another transaction by then
(whose commit wakes it again): between a writer's transactions, not during them, and one for
many small commits. A passive checkpoint waits for no reader or writer and copies only
committed pages, so what a commit made durable (its WAL sync) is unchanged, and SQLite
recovers a checkpoint cut short by a crash as it does its own.

A passive checkpoint cannot finish while writers keep appending, and the WAL starts again from
its beginning only after one does; so the writer keeps its own automatic checkpoint, at
:data:`HIGH_WATER` pages, which bounds the WAL if this thread falls behind (or another
process's writers keep it busy).
"""

from __future__ import annotations

import sqlite3
import threading

from .store import after_transactions, conn_lock, connect

GAP = 0.05  # seconds from a commit to its checkpoint (so small commits share one)
HIGH_WATER = 16384  # pages (64 MiB at 4 KiB): the writer checkpoints itself past this


class Checkpointer:
    """Checkpoints ``conn``'s database (the file at ``path``) after ``conn``'s transactions,
    from a daemon thread with its own connection, until :meth:`close` (or :meth:`stop`). It
    keeps no reference to ``conn``: a pin set dropped unclosed still has its connection closed
    by Python, and its :meth:`stop` (``weakref.finalize``) ends the thread."""

    def __init__(self, path: str, conn: sqlite3.Connection, *, durable: bool = True) -> None:
        self.key = id(conn)
        self.lock = conn_lock(conn)  # held while a transaction on conn is open
        self.own = connect(path, durable=durable)
        self.wake = threading.Event()
        self.done = threading.Event()
        self.ran = threading.Condition()
        self.runs = 0  # checkpoints done, and the last one's result (for tests, benchmarks)
        self.last = (0, 0)
        conn.execute(f"PRAGMA wal_autocheckpoint={HIGH_WATER}")
        self.own.execute("PRAGMA wal_autocheckpoint=0")  # it never writes; say so anyway
        self.thread = threading.Thread(target=self._run, name="pinfold-checkpoint",
                                       daemon=True)
        self.thread.start()
        after_transactions(self.key, self.wake.set)

    def _run(self) -> None:
        try:
            while True:
                self.wake.wait()
                # a writer that goes on (gc between its transactions) begins its next one
                # now; wait for it, so as not to copy pages while it works
                if self.done.wait(GAP):
                    return
                self.wake.clear()
                if self.done.is_set():  # stop() came between the two lines above
                    return
                if not self.lock.acquire(blocking=False):
                    continue  # a transaction is open: its end wakes this thread again
                self.lock.release()
                self.checkpoint()
        finally:
            self.own.close()

    def checkpoint(self) -> tuple[int, int]:
        """A passive checkpoint now: (pages in the WAL, pages copied back), or (-1, -1) where
        SQLite refused it: mostly because another connection holds the checkpoint lock (its
        checkpoint does the work); any other error is left to the writers, whose own
        statements and checkpoint meet it and report it."""
        try:
            (_busy, log, copied), = self.own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            return -1, -1
        with self.ran:
            self.runs += 1
            self.last = (log, copied)
            self.ran.notify_all()
        return log, copied

    def wait(self, runs: int, timeout: float | None = None) -> bool:
        """Wait until :attr:`runs` checkpoints have been done (False: ``timeout`` passed)."""
        with self.ran:
            return self.ran.wait_for(lambda: self.runs >= runs, timeout)

    def stop(self) -> None:
        """Tell the thread to end (after the checkpoint it is doing); it closes its
        connection as it ends."""
        after_transactions(self.key, self.wake.set, remove=True)
        self.done.set()
        self.wake.set()

    def close(self) -> None:
        """Stop the thread and wait for it; the writer's own connection, closed after this,
        is then the last and checkpoints what is left, as SQLite always does."""
        self.stop()
        self.thread.join()
