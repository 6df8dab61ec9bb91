"""The pin set: pins, reference counts and garbage collection.

A block is kept while ``rc > 0`` (a recursive pin on it, or a *live* parent linking to it) or
``dc > 0`` (a direct pin on it). When a block's ``rc`` goes 0 → 1 it becomes live and adds one
reference to each of its children; 1 → 0 takes them back. Pinning a DAG whose root is already
live costs one update; unpinning costs what it releases; gc deletes only blocks on the
``unreferenced`` list, so its cost follows what it frees, not the size of the repo.

Imports take a *lease*: the blocks they write are recorded as pending (in a committed
transaction, before their bytes are written), and gc never touches a pending block. A lease
whose process died is reaped: its blocks become collectable.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .. import _faults
from ..blockstore.base import BaseBlockstore, identity_data
from ..cid import CID, DAG_PB
from ..codecs import dagpb
from ..codecs.links import links_of, pack, unpack
from ..errors import BlockNotFoundError, CorruptBlockError, DecodeError, PinfoldError
from .store import (
    Transaction,
    connect,
    init_schema,
    monotonic_ns,
    process_alive,
    process_start,
)

MAX_NAME_BYTES = 255
PIN_TYPES = ("recursive", "direct")


class PinError(PinfoldError):
    """A pin operation that cannot be done (not pinned, already pinned another way, ...)."""


@dataclass(frozen=True)
class Pin:
    id: str
    cid: CID
    name: str
    type: str
    created: int  # ns since the epoch, unique and increasing
    size: int | None = None


@dataclass
class GCResult:
    blocks: int = 0
    bytes: int = 0
    freed: list[bytes] = field(default_factory=list)  # multihashes


@dataclass
class Problem:
    """Something ``verify`` found wrong."""

    kind: str  # "missing", "corrupt", "refcount", "undecodable"
    cid: CID | None
    detail: str


def _check_name(name: str) -> str:
    if not isinstance(name, str):
        raise PinError(f"pin name must be a string, not {type(name).__name__}")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise PinError(f"pin name is longer than {MAX_NAME_BYTES} bytes")
    return name


def _row_pin(row: tuple) -> Pin:
    return Pin(row[0], CID.from_bytes(row[1]), row[2], row[3], row[4], row[5])


_PIN_COLS = "id, cid, name, type, created, size"


class Lease:
    """An import in progress: its blocks are pending (never collected) until it finishes."""

    def __init__(self, pins: PinSet, lease_id: int) -> None:
        self.pins = pins
        self.id = lease_id
        self.mhs: set[bytes] = set()

    def record(self, items: Iterable[tuple[CID, list[CID] | None]]) -> None:
        """Mark blocks as pending and remember their links; call before writing their bytes."""
        self.pins._record(self, list(items))

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.pins._end_lease(self)


class PinSet:
    def __init__(self, path: str | os.PathLike, blocks: BaseBlockstore) -> None:
        self.path = os.fspath(path)
        self.blocks = blocks
        self.conn: sqlite3.Connection = connect(self.path)
        init_schema(self.conn)
        self.reap_leases()

    def close(self) -> None:
        self.conn.close()

    def tx(self) -> Transaction:
        return Transaction(self.conn)

    # -- leases (imports in progress) ---------------------------------------------------
    def lease(self) -> Lease:
        pid = os.getpid()
        with self.tx() as c:
            cur = c.execute(
                "INSERT INTO leases(pid, pid_start, started) VALUES (?, ?, strftime('%s'))",
                (pid, process_start(pid)),
            )
            lease_id = cur.lastrowid
        return Lease(self, int(lease_id))

    def _record(self, lease: Lease, items: list[tuple[CID, list[CID] | None]]) -> None:
        with self.tx() as c:
            c.executemany(
                "INSERT OR IGNORE INTO pending(mh, lease) VALUES (?, ?)",
                [(cid.multihash, lease.id) for cid, _ in items],
            )
            c.executemany(
                "INSERT OR IGNORE INTO refs(mh, cid, links) VALUES (?, ?, ?)",
                [(cid.multihash, cid.bytes, pack(links) if links is not None else None)
                 for cid, links in items],
            )
            # a row known from earlier may lack its links
            c.executemany(
                "UPDATE refs SET links = ? WHERE mh = ? AND links IS NULL",
                [(pack(links), cid.multihash) for cid, links in items if links is not None],
            )
        lease.mhs.update(cid.multihash for cid, _ in items)

    def _end_lease(self, lease: Lease) -> None:
        with self.tx() as c:
            self._release_pending(c, lease.id)

    def _release_pending(self, c: sqlite3.Connection, lease_id: int) -> None:
        """Drop a lease: its blocks that nothing references become gc candidates."""
        c.execute(
            """INSERT OR IGNORE INTO unreferenced(mh)
               SELECT p.mh FROM pending p LEFT JOIN refs r ON r.mh = p.mh
               WHERE p.lease = ? AND COALESCE(r.rc, 0) = 0 AND COALESCE(r.dc, 0) = 0""",
            (lease_id,),
        )
        c.execute("DELETE FROM pending WHERE lease = ?", (lease_id,))
        c.execute("DELETE FROM leases WHERE id = ?", (lease_id,))

    def reap_leases(self) -> int:
        """Finish the leases of imports whose process is gone; return how many."""
        rows = self.conn.execute("SELECT id, pid, pid_start FROM leases").fetchall()
        dead = [r[0] for r in rows if not process_alive(r[1], r[2])]
        if dead:
            with self.tx() as c:
                for lease_id in dead:
                    self._release_pending(c, lease_id)
        return len(dead)

    # -- reference counting -------------------------------------------------------------
    def _links(self, cid: CID, known: bytes | None, check: bool) -> list[CID]:
        if known is not None:
            if check and not self.blocks.has(cid):
                raise BlockNotFoundError(cid)
            return unpack(known)
        data = self.blocks.get(cid)
        try:
            return links_of(cid, data)
        except DecodeError as exc:
            raise PinError(f"cannot read the links of {cid}: {exc}") from None

    def _incref(self, c: sqlite3.Connection, root: CID, trusted: set[bytes] | None = None) -> None:
        stack = [root]
        while stack:
            cid = stack.pop()
            mh = cid.multihash
            row = c.execute("SELECT rc, links FROM refs WHERE mh = ?", (mh,)).fetchone()
            if row is not None and row[0] > 0:
                c.execute("UPDATE refs SET rc = rc + 1 WHERE mh = ?", (mh,))
                continue
            check = not (trusted is not None and mh in trusted)
            children = self._links(cid, row[1] if row else None, check)
            if row is None:
                c.execute("INSERT INTO refs(mh, cid, rc, dc, links) VALUES (?, ?, 1, 0, ?)",
                          (mh, cid.bytes, pack(children)))
            else:
                c.execute("UPDATE refs SET rc = 1, links = ? WHERE mh = ?", (pack(children), mh))
            c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))
            stack.extend(children)
            _faults.checkpoint("pin: block referenced")

    def _decref(self, c: sqlite3.Connection, root_mh: bytes) -> None:
        stack = [root_mh]
        while stack:
            mh = stack.pop()
            row = c.execute("SELECT rc, dc, links FROM refs WHERE mh = ?", (mh,)).fetchone()
            if row is None or row[0] <= 0:
                continue  # already released (a repair by gc --full fixes any drift)
            if row[0] > 1:
                c.execute("UPDATE refs SET rc = rc - 1 WHERE mh = ?", (mh,))
                continue
            c.execute("UPDATE refs SET rc = 0 WHERE mh = ?", (mh,))
            if row[1] == 0:
                c.execute("INSERT OR IGNORE INTO unreferenced(mh) VALUES (?)", (mh,))
            stack.extend(cid.multihash for cid in unpack(row[2]))

    def _add_direct(self, c: sqlite3.Connection, cid: CID) -> None:
        mh = cid.multihash
        if not self.blocks.has(cid):
            raise BlockNotFoundError(cid)
        c.execute("INSERT OR IGNORE INTO refs(mh, cid) VALUES (?, ?)", (mh, cid.bytes))
        c.execute("UPDATE refs SET dc = dc + 1 WHERE mh = ?", (mh,))
        c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))

    def _remove_direct(self, c: sqlite3.Connection, mh: bytes) -> None:
        c.execute("UPDATE refs SET dc = dc - 1 WHERE mh = ? AND dc > 0", (mh,))
        c.execute(
            """INSERT OR IGNORE INTO unreferenced(mh)
               SELECT mh FROM refs WHERE mh = ? AND rc = 0 AND dc = 0""", (mh,))

    def dag_size(self, cid: CID) -> int | None:
        """Cumulative size of the DAG: for DAG-PB the root block plus its links' Tsizes."""
        try:
            data = self.blocks.get(cid)
        except BlockNotFoundError:
            return None
        if cid.codec_code == DAG_PB:
            try:
                return len(data) + sum(lk.tsize or 0 for lk in dagpb.decode(data).links)
            except DecodeError:
                return len(data)
        return len(data)

    # -- pins ---------------------------------------------------------------------------
    def add(self, cid: CID, *, name: str = "", type: str = "recursive",
            lease: Lease | None = None) -> Pin:
        """Pin ``cid``. Pinning the same CID with the same name and type again is a no-op.

        A recursive pin needs the whole DAG in the blockstore (``BlockNotFoundError``
        otherwise, and nothing changes); it replaces direct pins on the same CID, as in Kubo.
        A direct pin on a CID that is pinned recursively is refused.
        """
        cid = CID(cid) if not isinstance(cid, CID) else cid
        _check_name(name)
        if type not in PIN_TYPES:
            raise PinError(f"unknown pin type {type!r} (use recursive or direct)")
        mh = cid.multihash
        with self.tx() as c:
            same = c.execute(
                f"SELECT {_PIN_COLS} FROM pins WHERE mh = ? AND name = ? AND type = ?",
                (mh, name, type),
            ).fetchone()
            if same is not None:
                return _row_pin(same)
            if type == "direct":
                if c.execute("SELECT 1 FROM pins WHERE mh = ? AND type = 'recursive'",
                             (mh,)).fetchone():
                    raise PinError(f"{cid} is already pinned recursively")
                self._add_direct(c, cid)
            else:
                self._incref(c, cid, lease.mhs if lease is not None else None)
                for (pin_id,) in c.execute(
                        "SELECT id FROM pins WHERE mh = ? AND type = 'direct'", (mh,)).fetchall():
                    self._remove_direct(c, mh)
                    c.execute("DELETE FROM pins WHERE id = ?", (pin_id,))
            pin = Pin(uuid.uuid4().hex, cid, name, type, monotonic_ns(c), self.dag_size(cid))
            c.execute(
                "INSERT INTO pins(id, cid, mh, name, type, created, size) VALUES (?,?,?,?,?,?,?)",
                (pin.id, cid.bytes, mh, pin.name, pin.type, pin.created, pin.size),
            )
            return pin

    def _remove(self, c: sqlite3.Connection, pin: Pin) -> None:
        if pin.type == "recursive":
            self._decref(c, pin.cid.multihash)
        else:
            self._remove_direct(c, pin.cid.multihash)
        c.execute("DELETE FROM pins WHERE id = ?", (pin.id,))

    def remove(self, cid: CID | str | None = None, *, pin_id: str | None = None,
               name: str | None = None) -> list[Pin]:
        """Unpin: every pin on ``cid`` (or only the one named ``name``), or pin ``pin_id``.
        The blocks nothing references any more become collectable by :meth:`gc`."""
        with self.tx() as c:
            if pin_id is not None:
                rows = c.execute(f"SELECT {_PIN_COLS} FROM pins WHERE id = ?",
                                 (pin_id,)).fetchall()
                if not rows:
                    raise PinError(f"no pin with id {pin_id}")
            else:
                if cid is None:
                    raise PinError("name a CID or a pin id to unpin")
                cid = CID(cid)
                query = f"SELECT {_PIN_COLS} FROM pins WHERE mh = ?"
                args: tuple = (cid.multihash,)
                if name is not None:
                    query += " AND name = ?"
                    args += (name,)
                rows = c.execute(query, args).fetchall()
                if not rows:
                    raise PinError(f"{cid} is not pinned" + (
                        f" with name {name!r}" if name is not None else
                        " (or only pinned indirectly)"))
            pins = [_row_pin(r) for r in rows]
            for pin in pins:
                self._remove(c, pin)
            return pins

    def update(self, old: CID | str, new: CID | str, *, unpin: bool = True) -> Pin:
        """Re-point the recursive pin on ``old`` to ``new`` in one transaction: ``new`` is
        referenced before ``old`` is released, so blocks both share never become collectable."""
        old, new = CID(old), CID(new)
        with self.tx() as c:
            rows = c.execute(f"SELECT {_PIN_COLS} FROM pins WHERE mh = ? AND type = 'recursive'",
                             (old.multihash,)).fetchall()
            if not rows:
                raise PinError(f"{old} is not pinned recursively")
            if c.execute("SELECT 1 FROM pins WHERE mh = ? AND type = 'recursive'",
                         (new.multihash,)).fetchone() and old.multihash != new.multihash:
                raise PinError(f"{new} is already pinned recursively")
            # every named pin on OLD moves to NEW, keeping its name
            pins = [self.add(new, name=name) for name in dict.fromkeys(r[2] for r in rows)]
            if unpin and old.multihash != new.multihash:
                for r in rows:
                    self._remove(c, _row_pin(r))
            return pins[0]

    def get(self, pin_id: str) -> Pin:
        row = self.conn.execute(f"SELECT {_PIN_COLS} FROM pins WHERE id = ?",
                                (pin_id,)).fetchone()
        if row is None:
            raise PinError(f"no pin with id {pin_id}")
        return _row_pin(row)

    def list(self, *, type: str | None = None, cid: CID | str | None = None) -> list[Pin]:
        """Pins, newest first; ``type`` is recursive or direct (indirect: :meth:`indirect`)."""
        query = f"SELECT {_PIN_COLS} FROM pins"
        cond, args = [], []
        if type is not None:
            if type not in PIN_TYPES:
                raise PinError(f"unknown pin type {type!r}")
            cond.append("type = ?")
            args.append(type)
        if cid is not None:
            cond.append("mh = ?")
            args.append(CID(cid).multihash)
        if cond:
            query += " WHERE " + " AND ".join(cond)
        query += " ORDER BY created DESC"
        return [_row_pin(r) for r in self.conn.execute(query, args)]

    def indirect(self) -> Iterator[CID]:
        """Blocks kept only because a recursively pinned DAG contains them."""
        roots = {r[0] for r in self.conn.execute(
            "SELECT mh FROM pins WHERE type = 'recursive'")}
        for mh, cid in self.conn.execute("SELECT mh, cid FROM refs WHERE rc > 0"):
            if mh not in roots:
                yield CID.from_bytes(cid)

    def pinned_type(self, cid: CID) -> str | None:
        """``recursive``, ``direct``, ``indirect`` or None."""
        mh = cid.multihash
        types = {r[0] for r in self.conn.execute("SELECT type FROM pins WHERE mh = ?", (mh,))}
        if "recursive" in types:
            return "recursive"
        row = self.conn.execute("SELECT rc, dc FROM refs WHERE mh = ?", (mh,)).fetchone()
        if row and row[0] > 0:
            return "indirect"
        if "direct" in types or (row and row[1] > 0):
            return "direct"
        return None

    def is_kept(self, mh: bytes) -> bool:
        row = self.conn.execute("SELECT rc, dc FROM refs WHERE mh = ?", (mh,)).fetchone()
        return bool(row and (row[0] > 0 or row[1] > 0))

    def note_unreferenced(self, mhs: Iterable[bytes]) -> None:
        """Blocks stored outside an import (``block put``): collectable unless referenced."""
        with self.tx() as c:
            for mh in mhs:
                if not self.is_kept(mh) and not c.execute(
                        "SELECT 1 FROM pending WHERE mh = ?", (mh,)).fetchone():
                    c.execute("INSERT OR IGNORE INTO unreferenced(mh) VALUES (?)", (mh,))

    def forget(self, mh: bytes) -> None:
        with self.tx() as c:
            c.execute("DELETE FROM refs WHERE mh = ? AND rc = 0 AND dc = 0", (mh,))
            c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))

    # -- garbage collection -------------------------------------------------------------
    def gc(self, *, full: bool = False, batch: int = 1000) -> GCResult:
        """Delete unreferenced blocks. ``full``: mark and sweep from the pins, repairing the
        reference counts first if they disagree with the DAGs."""
        self.reap_leases()
        if full:
            return self._gc_full()
        result = GCResult()
        while True:
            with self.tx() as c:
                rows = c.execute(
                    """SELECT u.mh FROM unreferenced u LEFT JOIN refs r ON r.mh = u.mh
                       WHERE COALESCE(r.rc, 0) = 0 AND COALESCE(r.dc, 0) = 0
                       AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.mh = u.mh)
                       LIMIT ?""", (batch,)).fetchall()
                if not rows:
                    c.execute(
                        """DELETE FROM unreferenced WHERE mh IN (SELECT u.mh FROM unreferenced u
                           JOIN refs r ON r.mh = u.mh WHERE r.rc > 0 OR r.dc > 0)""")
                    return result
                for (mh,) in rows:
                    self._delete_block(c, mh, result)

    def _delete_block(self, c: sqlite3.Connection, mh: bytes, result: GCResult) -> None:
        size = self.blocks.size_of(mh)
        if size is not None and self.blocks.delete_mh(mh):
            result.blocks += 1
            result.bytes += size
            result.freed.append(mh)
        c.execute("DELETE FROM refs WHERE mh = ?", (mh,))
        c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))

    def recount(self) -> tuple[dict[bytes, list], list[Problem]]:
        """Reference counts recomputed from the pins by walking their DAGs:
        ``{mh: [rc, dc, cid_bytes, packed_links]}`` and any block that could not be read."""
        counts: dict[bytes, list] = {}
        problems: list[Problem] = []
        known = {mh: links for mh, links in self.conn.execute(
            "SELECT mh, links FROM refs WHERE links IS NOT NULL")}
        pins = self.conn.execute("SELECT cid, type FROM pins").fetchall()
        for cid_bytes, ptype in pins:
            root = CID.from_bytes(cid_bytes)
            if ptype == "direct":
                entry = counts.setdefault(root.multihash, [0, 0, root.bytes, None])
                entry[1] += 1
                continue
            stack = [root]
            while stack:
                cid = stack.pop()
                mh = cid.multihash
                entry = counts.get(mh)
                if entry is not None and entry[0] > 0:
                    entry[0] += 1
                    continue
                if entry is None:
                    entry = counts[mh] = [0, 0, cid.bytes, None]
                entry[0] = 1
                try:
                    if mh in known and (identity_data(cid) is not None or self.blocks.has(cid)):
                        children = unpack(known[mh])
                    else:
                        children = links_of(cid, self.blocks.get(cid))
                except (BlockNotFoundError, CorruptBlockError, DecodeError) as exc:
                    problems.append(Problem(
                        "missing" if isinstance(exc, BlockNotFoundError) else "corrupt",
                        cid, str(exc)))
                    continue
                entry[3] = pack(children)
                stack.extend(children)
        return counts, problems

    def check_counts(self) -> list[Problem]:
        """Compare stored reference counts with recomputed ones (``repo verify``)."""
        counts, problems = self.recount()
        stored = {mh: (rc, dc, cid) for mh, rc, dc, cid in self.conn.execute(
            "SELECT mh, rc, dc, cid FROM refs WHERE rc > 0 OR dc > 0")}
        for mh, (rc, dc, cid_b, _) in counts.items():
            got = stored.pop(mh, (0, 0, cid_b))
            if (got[0], got[1]) != (rc, dc):
                problems.append(Problem("refcount", CID.from_bytes(cid_b),
                                        f"stored rc={got[0]} dc={got[1]}, expected rc={rc}"
                                        f" dc={dc}"))
        for _mh, (rc, dc, cid_b) in stored.items():
            problems.append(Problem("refcount", CID.from_bytes(cid_b),
                                    f"stored rc={rc} dc={dc}, but nothing pinned reaches it"))
        return problems

    def _gc_full(self) -> GCResult:
        result = GCResult()
        with self.tx() as c:
            counts, problems = self.recount()
            missing = [p for p in problems if p.kind in ("missing", "corrupt")]
            if missing:
                raise PinError(
                    f"pinned DAGs are incomplete ({missing[0].detail}); nothing was deleted."
                    " Run 'pinfold pin verify'")
            # repair counts
            c.execute("UPDATE refs SET rc = 0, dc = 0 WHERE rc > 0 OR dc > 0")
            for mh, (rc, dc, cid_b, links) in counts.items():
                c.execute(
                    """INSERT INTO refs(mh, cid, rc, dc, links) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT(mh) DO UPDATE SET rc = excluded.rc, dc = excluded.dc,
                       links = COALESCE(excluded.links, refs.links)""",
                    (mh, cid_b, rc, dc, links))
            pending = {r[0] for r in c.execute("SELECT mh FROM pending")}
            for mh in list(self.blocks.keys()):
                if mh in counts or mh in pending:
                    continue
                self._delete_block(c, mh, result)
            c.execute("DELETE FROM refs WHERE rc = 0 AND dc = 0 AND mh NOT IN "
                      "(SELECT mh FROM pending)")
            c.execute("DELETE FROM unreferenced")
        return result

    # -- verification -------------------------------------------------------------------
    def verify_pins(self) -> list[Problem]:
        """Every block of every pinned DAG present and intact (``pin verify``)."""
        problems: list[Problem] = []
        seen: set[bytes] = set()
        for cid_bytes, ptype in self.conn.execute("SELECT cid, type FROM pins").fetchall():
            stack = [CID.from_bytes(cid_bytes)]
            while stack:
                cid = stack.pop()
                if cid.multihash in seen:
                    continue
                seen.add(cid.multihash)
                try:
                    data = self.blocks.get(cid)
                except BlockNotFoundError:
                    problems.append(Problem("missing", cid, f"block not found: {cid}"))
                    continue
                except CorruptBlockError as exc:
                    problems.append(Problem("corrupt", cid, str(exc)))
                    continue
                if ptype == "recursive":
                    try:
                        stack.extend(links_of(cid, data))
                    except DecodeError as exc:
                        problems.append(Problem("undecodable", cid, str(exc)))
        return problems

    def stats(self) -> dict[str, int]:
        c = self.conn
        pins = c.execute("SELECT COUNT(*) FROM pins").fetchone()[0]
        live = c.execute("SELECT COUNT(*) FROM refs WHERE rc > 0 OR dc > 0").fetchone()[0]
        unref = c.execute("SELECT COUNT(*) FROM unreferenced").fetchone()[0]
        return {"pins": pins, "kept_blocks": live, "unreferenced_blocks": unref}

    def kept_keys(self) -> Iterator[bytes]:
        for (mh,) in self.conn.execute("SELECT mh FROM refs WHERE rc > 0 OR dc > 0"):
            yield mh
