"""The SQLite pin set: :class:`~pinfold.pins.interface.Pinner` on one SQLite file.

It composes the parts that share the file and its transactions: the catalogue of records
(:mod:`~pinfold.pins.catalogue`), the reference counts (:mod:`~pinfold.pins.refcount`), the
leases (:mod:`~pinfold.pins.leases`); gc is :func:`pinfold.pins.gc.collect` over it. What is
here pairs a record change with the count changes it implies, in one transaction: pinning,
unpinning, re-pointing, and finishing queued or interrupted pins.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..blockstore.base import Blockstore
from ..cid import CID
from ..errors import BlockNotFoundError
from ..process import process_alive, process_start
from .catalogue import Catalogue, check_groups, row_pin
from .checkpointer import Checkpointer
from .gc import collect
from .interface import Lease, Pinner
from .leases import Leases
from .meta import check_meta
from .query import Query
from .records import (
    GCResult,
    Group,
    Page,
    Pin,
    PinError,
    Problem,
    check_name,
    check_network,
    check_type,
)
from .refcount import RefCounts, sweep_refs
from .store import Transaction, adopt_legacy_owners, connect, end_savepoint, init_schema
from .walk import Counts, dag_size


class PinSet(Pinner):
    """The pin set of a repo, in ``pins.sqlite`` (``":memory:"`` for a scratch one).

    ``conn`` and :meth:`tx` are this implementation's own (the tests of its tables use them);
    code that may run on another pin set uses :class:`~pinfold.pins.interface.Pinner` only.
    ``durable=False`` (a repo without fsync) commits without syncing the database."""

    def __init__(self, path: str | os.PathLike, blocks: Blockstore, *,
                 durable: bool = True) -> None:
        self.path = os.fspath(path)
        self.blocks = blocks
        self.conn: sqlite3.Connection = connect(self.path, durable=durable)
        init_schema(self.conn)
        self.records = Catalogue(self.conn)
        self.refs = RefCounts(self.conn, blocks)
        self.leases = Leases(self.conn)
        self.reap_leases()
        self.recover()
        if self.conn.execute("SELECT 1 FROM pins WHERE status = 'queued' LIMIT 1").fetchone():
            self.complete_queued()  # blocks may have arrived just before a crash
        self.checkpointer: Checkpointer | None = None
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            self.checkpointer = Checkpointer(self.path, self.conn, durable=durable)
            weakref.finalize(self, self.checkpointer.stop)  # a pin set dropped unclosed

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        try:
            self.conn.execute("PRAGMA optimize")  # keeps the planner's statistics current
        except sqlite3.Error:
            pass
        self.conn.close()

    def tx(self, atomic: bool = False) -> Transaction:
        """:meth:`transaction`, binding the SQLite connection (for this implementation's
        own tests and benchmarks); ``atomic``: see :class:`~pinfold.pins.store.Transaction`."""
        return Transaction(self.conn, atomic=atomic)

    def transaction(self, atomic: bool = False) -> Transaction:
        return Transaction(self.conn, atomic=atomic)

    def claim(self, key: str, value: str) -> str:
        """Store a setting of the pin set (``key`` in its ``meta`` table) unless one is
        stored, and return what is stored: how a repo binds a pin set to its blockstore
        (:mod:`pinfold.repo.parts`)."""
        with self.tx() as c:
            c.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                      (key, value))
            return c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    # -- leases ---------------------------------------------------------------------------
    def lease(self) -> Lease:
        return self.leases.open()

    def reap_leases(self) -> int:
        return self.leases.reap()

    # -- pins -----------------------------------------------------------------------------
    def add(self, cid: CID | str, *, name: str = "", type: str = "recursive",
            lease: Lease | None = None, meta: dict[str, Any] | None = None,
            groups: Iterable[str] = (), queue: bool = False, network: str = "public") -> Pin:
        cid = CID(cid) if not isinstance(cid, CID) else cid
        check_name(name)
        check_type(type)
        check_network(network)
        values = check_meta(meta)
        groups = check_groups(groups)  # checked before anything is written (_add_now)
        mh = cid.multihash
        two_phase = type == "recursive" and lease is None and not self.conn.in_transaction
        with self.tx() as c:
            # the records on this CID, read once: is this add a repeat (same CID, name, type
            # and network, not failed), is the CID pinned recursively, which direct pins a
            # recursive one replaces
            on = self.records.on_mh(c, mh)
            for pid, pname, ptype, pstatus, pnet in on:
                if (pname, ptype, pnet) == (name, type, network) and pstatus != "failed":
                    return self.records.get(pid)
            if type == "direct" and any(r[2] == "recursive" for r in on):
                raise PinError(f"{cid} is already pinned recursively")
            if two_phase:
                owner, reason = self._owner()
                pin = self.records.insert(c, cid, name, type, "pinning", reason, owner,
                                          values, groups, network)
            else:
                return self._add_now(c, cid, name, type, lease, values, groups, queue,
                                     network, [r[0] for r in on
                                               if r[2] == "direct" and r[3] == "pinned"])
        try:
            with self.tx() as c:
                if self.records.status(c, pin.id) == "pinning":
                    self._activate(c, pin.id, cid, type, lease, queue, network)
        except BaseException:
            with self.tx() as c:
                self.records.delete(c, pin.id, status="pinning")
            raise
        return self.get(pin.id)

    def _add_now(self, c: sqlite3.Connection, cid: CID, name: str, type: str,
                 lease: Lease | None, values: dict, groups: list[str], queue: bool | str,
                 network: str, direct_ids: list[str]) -> Pin:
        """An add in one transaction: the references taken first, under a savepoint, then
        the record written as it is from then on (not rewritten) and handed back as written,
        not read (Catalogue.as_written). An add that fails leaves nothing behind, even in a
        caller's transaction that goes on: if blocks are missing, the references taken so far
        go back and no record is written (with ``queue`` it is written ``queued``, with
        ``"fail"`` ``failed``). The record comes after the savepoint, so that its pages (the
        pin's row, its indexes, its metadata) are not copied to the savepoint's journal:
        what it writes was checked before (``add``) and cannot fail half-way."""
        size = dag_size(self.blocks, cid)
        missing = self._refs_or_missing(c, cid, type, lease, network, size is not None,
                                        direct_ids)
        if missing is not None:
            status, reason = self._missing_status(queue, missing)
            return self.records.insert(c, cid, name, type, status, reason, None, values,
                                       groups, network)
        return self.records.insert(c, cid, name, type, "pinned", None, None, values, groups,
                                   network, size)

    def _refs_or_missing(self, c: sqlite3.Connection, cid: CID, type: str,
                         lease: Lease | None, network: str, root_seen: bool = False,
                         direct_ids: list[str] | None = None) -> BlockNotFoundError | None:
        """:meth:`_take_refs` under a savepoint: if blocks are missing, the references taken
        so far go back and the error is returned (any other error: rolled back, raised)."""
        c.execute("SAVEPOINT take_refs")
        try:
            self._take_refs(c, cid, type, lease, network, root_seen, direct_ids)
        except BlockNotFoundError as exc:
            end_savepoint(c, "take_refs", keep=False)
            return exc
        except BaseException:
            end_savepoint(c, "take_refs", keep=False)
            raise
        end_savepoint(c, "take_refs", keep=True)
        return None

    @staticmethod
    def _missing_status(queue: bool | str, missing: BlockNotFoundError) -> tuple[str, str]:
        """The ``(status, reason)`` of a pin whose blocks are missing: ``queued`` with
        ``queue=True``, ``failed`` with ``queue="fail"``; without ``queue`` the error is
        raised."""
        if queue == "fail":
            return "failed", f"interrupted and cannot finish: {missing}"
        if not queue:
            raise missing
        return "queued", f"waiting for blocks ({missing})"

    def _take_refs(self, c: sqlite3.Connection, cid: CID, type: str, lease: Lease | None,
                   network: str, root_seen: bool = False,
                   direct_ids: list[str] | None = None) -> None:
        """The references a pin takes (a recursive pin replaces the CID's direct ones);
        ``root_seen``: the caller found the root in the store just now (its size was read),
        so it is not looked up again; ``direct_ids``: the pinned direct records on the CID,
        if the caller read them in this transaction."""
        mh = cid.multihash
        if type == "direct":
            self.refs.add_direct(c, cid)
            return
        self.refs.incref(c, cid, lease.mhs if lease is not None else None,
                         public=network == "public", root_seen=root_seen)
        if direct_ids is None:
            direct_ids = self.records.pinned_direct_ids(c, mh)
        for other in direct_ids:
            self.refs.remove_direct(c, mh)
            self.records.delete(c, other)

    def _owner(self) -> tuple[tuple[int, str], str]:
        """Who takes a two-step pin's references (what :meth:`recover` checks), and the
        ``reason`` its record shows meanwhile: here this process, a pid and its start token."""
        pid = os.getpid()
        start = process_start(pid)
        return (pid, start), f"pinning in process {pid} {start}"

    def _activate(self, c: sqlite3.Connection, pin_id: str, cid: CID, type: str,
                  lease: Lease | None, queue: bool | str,
                  network: str = "public") -> tuple[str, str | None, int | None]:
        """Take the references of a pin row and mark it ``pinned``; its ``(status, reason,
        size)`` after. If blocks are missing: ``queue=True`` leaves it ``queued``,
        ``queue="fail"`` marks it ``failed``, else the error is raised (the caller's
        transaction then drops the row)."""
        missing = self._refs_or_missing(c, cid, type, lease, network)
        if missing is not None:
            status, reason = self._missing_status(queue, missing)
            self.records.set_status(c, pin_id, status, reason)
            return status, reason, None
        size = dag_size(self.blocks, cid)
        self.records.set_status(c, pin_id, "pinned", None, size)
        return "pinned", None, size

    def complete_queued(self) -> list[Pin]:
        done = []
        for pin_id, cid_b, ptype, net in self.records.with_status("queued",
                                                                  "id, cid, type, network"):
            with self.tx() as c:
                if self.records.status(c, pin_id) != "queued":
                    continue
                if self._activate(c, pin_id, CID.from_bytes(cid_b), ptype, None, queue=True,
                                  network=net)[0] == "pinned":
                    done.append(pin_id)
        return [self.get(i) for i in done]

    def recover(self) -> tuple[int, int]:
        finished = failed = 0
        cols = "id, cid, type, owner_pid, owner_start, network"
        rows = self.records.with_status("pinning", cols)
        if any(r[3] is None for r in rows):  # left by an older pinfold
            with self.tx() as c:
                adopt_legacy_owners(c)
            rows = self.records.with_status("pinning", cols)
        for pin_id, cid_b, ptype, pid, start, net in rows:
            if pid is not None and process_alive(pid, start or ""):
                continue
            with self.tx() as c:
                if self.records.status(c, pin_id) != "pinning":
                    continue
                if self._activate(c, pin_id, CID.from_bytes(cid_b), ptype, None, queue="fail",
                                  network=net)[0] == "pinned":
                    finished += 1
                else:
                    failed += 1
        return finished, failed

    def _remove(self, c: sqlite3.Connection, pin: Pin) -> None:
        # only a pinned pin holds references (queued, pinning and failed ones hold none)
        if self.records.status(c, pin.id) == "pinned":
            if pin.type == "recursive":
                self.refs.decref(c, pin.cid.multihash, public=pin.network == "public")
            else:
                self.refs.remove_direct(c, pin.cid.multihash)
        self.records.delete(c, pin.id)

    def remove(self, cid: CID | str | None = None, *, pin_id: str | None = None,
               name: str | None = None) -> list[Pin]:
        with self.tx() as c:
            if pin_id is not None:
                rows = self.records.rows(c, "id = ?", (pin_id,))
                if not rows:
                    raise PinError(f"no pin with id {pin_id}")
            else:
                if cid is None:
                    raise PinError("name a CID or a pin id to unpin")
                cid = CID(cid)
                if name is None:
                    rows = self.records.rows(c, "mh = ?", (cid.multihash,))
                else:
                    rows = self.records.rows(c, "mh = ? AND name = ?", (cid.multihash, name))
                if not rows:
                    raise PinError(f"{cid} is not pinned" + (
                        f" with name {name!r}" if name is not None else
                        " (or only pinned indirectly)"))
            pins = [row_pin(r) for r in rows]
            for pin in pins:
                self._remove(c, pin)
            return pins

    def update(self, old: CID | str, new: CID | str, *, unpin: bool = True) -> Pin:
        old, new = CID(old), CID(new)
        with self.tx(atomic=True) as c:  # an add that fails after another undoes it
            rows = self.records.rows(c, "mh = ? AND type = 'recursive'", (old.multihash,))
            if not rows:
                raise PinError(f"{old} is not pinned recursively")
            if self.records.recursive_on(c, new.multihash) and old.multihash != new.multihash:
                raise PinError(f"{new} is already pinned recursively")
            # every named pin on OLD moves to NEW, keeping its name
            moved: dict[str, Pin] = {}
            for old_pin in self.records.hydrate(rows):
                moved.setdefault(old_pin.name, old_pin)
            pins = [self.add(new, name=p.name, meta=p.meta, groups=p.groups, network=p.network)
                    for p in moved.values()]
            if unpin and old.multihash != new.multihash:
                for r in rows:
                    self._remove(c, row_pin(r))
            return pins[0]

    # -- the catalogue --------------------------------------------------------------------
    def get(self, pin_id: str) -> Pin:
        return self.records.get(pin_id)

    def run_query(self, query: Query) -> Page:
        return self.records.run_query(query)

    def update_meta(self, pin_id: str, changes: dict[str, Any], *,
                    replace: bool = False) -> Pin:
        return self.records.update_meta(pin_id, changes, replace=replace)

    def rename(self, pin_id: str, name: str) -> Pin:
        return self.records.rename(pin_id, name)

    def group_create(self, name: str) -> Group:
        return self.records.group_create(name)

    def group(self, name_or_id: str) -> Group:
        return self.records.group(name_or_id)

    def group_id(self, name_or_id: str) -> str:
        return self.records.group_id(name_or_id)

    def groups(self) -> list[Group]:
        return self.records.groups()

    def group_rename(self, name_or_id: str, new_name: str) -> Group:
        return self.records.group_rename(name_or_id, new_name)

    def group_delete(self, name_or_id: str) -> None:
        self.records.group_delete(name_or_id)

    def group_add(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        return self.records.group_add(name_or_id, pin_ids)

    def group_remove(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        return self.records.group_remove(name_or_id, pin_ids)

    # -- reachability and counts ----------------------------------------------------------
    def pinned_type(self, cid: CID) -> str | None:
        types = self.records.pinned_types(cid.multihash)
        if "recursive" in types:
            return "recursive"
        counts = self.refs.counts(cid.multihash)
        if counts and counts[0] > 0:
            return "indirect"
        if "direct" in types or (counts and counts[1] > 0):
            return "direct"
        return None

    def reach(self, cid: CID) -> str | None:
        counts = self.refs.public_counts(cid.multihash)
        if counts is None:
            return None
        rc, dc, prc = counts
        if prc > 0 or (dc > 0 and self.records.public_direct_on(cid.multihash)):
            return "public"
        if rc > 0 or dc > 0:
            return "private"
        return None

    def check_counts(self) -> list[Problem]:
        """The shared check, and the public counts (``prc``) against the public pins."""
        problems = super().check_counts()
        for mh, got, want in self.refs.public_drift(self.records.public_roots()):
            cid = self.refs.known_cid(mh)
            problems.append(Problem("refcount", cid, f"stored public prc={got}, expected"
                                                     f" prc={want}"))
        return problems

    def is_kept(self, mh: bytes) -> bool:
        counts = self.refs.counts(mh)
        return bool(counts and (counts[0] > 0 or counts[1] > 0))

    def indirect(self) -> Iterator[CID]:
        roots = self.records.recursive_roots()
        for mh, cid in self.refs.live():
            if mh not in roots:
                yield CID.from_bytes(cid)

    def kept_keys(self) -> Iterator[bytes]:
        return self.refs.kept_keys()

    def known_cid(self, mh: bytes) -> CID | None:
        return self.refs.known_cid(mh)

    def forget(self, mh: bytes) -> None:
        with self.tx() as c:
            self.refs.forget(c, mh)

    def stats(self) -> dict[str, int]:
        kept, unreferenced = self.refs.stats()
        return {"pins": self.records.count(), "kept_blocks": kept,
                "unreferenced_blocks": unreferenced}

    # -- what gc uses ---------------------------------------------------------------------
    def gc(self, *, full: bool = False, batch: int = 50000, chunk: int = 25000) -> GCResult:
        """:func:`pinfold.pins.gc.collect` over this pin set and its blockstore."""
        return collect(self.blocks, self, full=full, batch=batch, chunk=chunk)

    def gc_candidates(self, limit: int) -> list[tuple[bytes, int | None]]:
        return self.refs.candidates(self.conn, limit)

    def gc_collected(self, last: bytes, count: int) -> None:
        self.refs.collected(self.conn, last, count)

    def gc_tidy(self) -> None:
        self.refs.tidy(self.conn)

    def pinned_roots(self) -> list[tuple[CID, str]]:
        return self.records.pinned_roots()

    def known_links(self) -> Mapping[bytes, bytes]:
        return self.refs.known_links()

    def stored_counts(self) -> Iterator[tuple[bytes, int, int, bytes]]:
        return self.refs.stored_counts()

    def pending_keys(self) -> set[bytes]:
        return self.leases.pending_keys()

    def replace_counts(self, counts: Counts) -> None:
        with self.tx() as c:
            self.refs.replace_counts(c, counts)
            for mh in self.records.public_roots():
                self.refs.incref_public(c, mh)

    @staticmethod
    def _sweep_refs(c: sqlite3.Connection, budget: int) -> int:
        return sweep_refs(c, budget)
