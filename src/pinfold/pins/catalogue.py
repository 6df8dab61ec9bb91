"""The catalogue of the SQLite pin set: pin records, their metadata and groups, and queries.

The ``pins``, ``pin_meta``, ``groups`` and ``pin_groups`` tables. Nothing here touches a
reference count: :class:`~pinfold.pins.pinset.PinSet` pairs each record change with the count
changes it implies, in one transaction. Methods taking ``c`` run in the caller's transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..cid import CID
from .meta import NUMBER, Value, check_key_count, check_meta
from .query import Query, validate
from .records import Group, Page, Pin, PinError, check_name, new_pin_id
from .sqlquery import build
from .store import Transaction, monotonic_ns

PIN_COLS = "id, cid, name, type, created, size, status, reason, network"


def check_groups(groups: Iterable[str]) -> list[str]:
    """Group names or ids as a list, each checked (a non-empty string of valid text, no
    longer than a name may be): what :meth:`Catalogue.group_rows` takes."""
    groups = list(groups)
    for g in groups:
        if not isinstance(g, str) or not g:
            raise PinError(f"a group is a non-empty name or id, not {g!r}")
        check_name(g, "group name")
    return groups


def row_pin(row: tuple, meta: dict | None = None, groups: tuple = ()) -> Pin:
    """A :class:`Pin` from a row of :data:`PIN_COLS` (metadata and groups given apart)."""
    return Pin(row[0], CID.from_bytes(row[1]), row[2], row[3], row[4], row[5], row[6], row[7],
               meta or {}, groups, row[8])


_I64 = 1 << 63


class Catalogue:
    # the query builder: ``build(query, scan=...)`` (:func:`pinfold.pins.sqlquery.build`)
    build = staticmethod(build)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- records --------------------------------------------------------------------------
    @staticmethod
    def on_mh(c: sqlite3.Connection, mh: bytes) -> list[tuple[str, str, str, str, str]]:
        """``(id, name, type, status, network)`` of every record on a CID: what ``add`` asks
        of them (is it a repeat, :meth:`recursive_on`, :meth:`pinned_direct_ids`) in one
        lookup."""
        return c.execute("SELECT id, name, type, status, network FROM pins WHERE mh = ?",
                         (mh,)).fetchall()

    @staticmethod
    def recursive_on(c: sqlite3.Connection, mh: bytes) -> bool:
        return c.execute("SELECT 1 FROM pins WHERE mh = ? AND type = 'recursive'",
                         (mh,)).fetchone() is not None

    def insert(self, c: sqlite3.Connection, cid: CID, name: str, type: str, status: str,
               reason: str | None, owner: tuple[int, str] | None,
               values: dict[str, Value | None], groups: list[str],
               network: str = "public", size: int | None = None) -> Pin:
        """A new record with its metadata and groups (created if missing): the :class:`Pin`
        that :meth:`get` would read back (see :meth:`as_written`)."""
        found = self.group_rows(c, groups, create=True)
        created = monotonic_ns(c)
        pin_id = new_pin_id(created)
        pid, start = owner if owner is not None else (None, None)
        c.execute(
            "INSERT INTO pins(id, cid, mh, name, type, created, size, status, reason,"
            " owner_pid, owner_start, network) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (pin_id, cid.bytes, cid.multihash, name, type, created, size, status,
             reason, pid, start, network),
        )
        # a new id has no metadata yet: no delete, no count query, one statement for all keys
        rows = [(pin_id, key, v.type, v.num, v.text) for key, v in values.items()
                if v is not None]
        check_key_count(len(rows))
        if rows:
            c.executemany("INSERT INTO pin_meta(pin, key, type, num, text)"
                          " VALUES (?, ?, ?, ?, ?)", rows)
        if found:
            c.executemany("INSERT OR IGNORE INTO pin_groups(pin, grp) VALUES (?, ?)",
                          [(pin_id, g) for g, _ in found])
        return self.as_written(pin_id, cid, name, type, created, status, reason, values,
                               [n for _, n in found], network, size)

    def as_written(self, pin_id: str, cid: CID, name: str, type: str, created: int,
                   status: str, reason: str | None, values: dict[str, Value | None],
                   group_names: list[str], network: str, size: int | None = None) -> Pin:
        """The :class:`Pin` a just-inserted record reads back as, built from what was written
        instead of read (a read is ~15% of an ``add``): metadata in key order (the order of
        ``pin_meta``'s key), numbers as the column gives them back (:meth:`read_number`),
        group names distinct and sorted (``hydrate``'s ``ORDER BY g.name``). A test compares
        it with :meth:`get` for every kind of value."""
        meta: dict[str, Any] = {}
        for key in sorted(values):
            v = values[key]
            if v is not None:
                meta[key] = self.read_number(v.num) if v.type == NUMBER else v.to_python()
        return Pin(pin_id, CID.from_bytes(cid.bytes), name, type, created, size, status, reason,
                   meta, tuple(sorted(set(group_names))), network)

    @staticmethod
    def read_number(num: float | int | None) -> float | int | None:
        """A metadata number as the ``NUMERIC`` column reads it back: SQLite keeps a float
        with no fractional part strictly inside int64's range as an integer (``3.0`` reads
        back ``3``; ``sqlite3VdbeIntegerAffinity``)."""
        if isinstance(num, float) and num.is_integer() and -_I64 < num < _I64:
            return int(num)
        return num

    @staticmethod
    def status(c: sqlite3.Connection, pin_id: str) -> str | None:
        row = c.execute("SELECT status FROM pins WHERE id = ?", (pin_id,)).fetchone()
        return row[0] if row is not None else None

    @staticmethod
    def set_status(c: sqlite3.Connection, pin_id: str, status: str, reason: str | None,
                   size: int | None = None) -> None:
        """Set a record's status (its owner goes: only ``pinning`` has one; only ``pinned``
        has a size)."""
        if status == "pinned":
            c.execute("UPDATE pins SET status = 'pinned', reason = NULL, size = ?,"
                      " owner_pid = NULL, owner_start = NULL WHERE id = ?", (size, pin_id))
        else:
            c.execute("UPDATE pins SET status = ?, reason = ?, size = NULL, owner_pid = NULL,"
                      " owner_start = NULL WHERE id = ?", (status, reason, pin_id))

    @staticmethod
    def delete(c: sqlite3.Connection, pin_id: str, *, status: str | None = None) -> None:
        if status is None:
            c.execute("DELETE FROM pins WHERE id = ?", (pin_id,))
        else:
            c.execute("DELETE FROM pins WHERE id = ? AND status = ?", (pin_id, status))

    @staticmethod
    def pinned_direct_ids(c: sqlite3.Connection, mh: bytes) -> list[str]:
        return [r[0] for r in c.execute(
            "SELECT id FROM pins WHERE mh = ? AND type = 'direct' AND status = 'pinned'",
            (mh,)).fetchall()]

    @staticmethod
    def rows(c: sqlite3.Connection, where: str, args: tuple) -> list[tuple]:
        """Records (rows of :data:`PIN_COLS`) matching a condition on ``pins``."""
        return c.execute(f"SELECT {PIN_COLS} FROM pins WHERE {where}", args).fetchall()

    def with_status(self, status: str, cols: str) -> list[tuple]:
        return self.conn.execute(
            f"SELECT {cols} FROM pins WHERE status = ? ORDER BY created", (status,)).fetchall()

    def pinned_roots(self) -> list[tuple[CID, str]]:
        return [(CID.from_bytes(cid), ptype) for cid, ptype in self.conn.execute(
            "SELECT cid, type FROM pins WHERE status = 'pinned'").fetchall()]

    def public_roots(self) -> list[bytes]:
        """The multihash of every pinned public recursive pin."""
        return [r[0] for r in self.conn.execute(
            "SELECT mh FROM pins WHERE type = 'recursive' AND status = 'pinned'"
            " AND network = 'public'")]

    def public_direct_on(self, mh: bytes) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM pins WHERE mh = ? AND type = 'direct' AND status = 'pinned'"
            " AND network = 'public' LIMIT 1", (mh,)).fetchone() is not None

    def pinned_types(self, mh: bytes) -> set[str]:
        return {r[0] for r in self.conn.execute(
            "SELECT type FROM pins WHERE mh = ? AND status = 'pinned'", (mh,))}

    def recursive_roots(self) -> set[bytes]:
        return {r[0] for r in self.conn.execute(
            "SELECT mh FROM pins WHERE type = 'recursive' AND status = 'pinned'")}

    def estimated_count(self) -> int:
        """About how many pins there are (what a query plan is chosen by): here exact."""
        return self.count()

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM pins").fetchone()[0]

    def get(self, pin_id: str) -> Pin:
        row = self.conn.execute(f"SELECT {PIN_COLS} FROM pins WHERE id = ?",
                                (pin_id,)).fetchone()
        if row is None:
            raise PinError(f"no pin with id {pin_id}")
        return self.hydrate([row])[0]

    def hydrate(self, rows: list[tuple]) -> list[Pin]:
        """Pins from rows, with their metadata (keys in order) and group names (sorted): two
        queries per page."""
        if not rows:
            return []
        ids = [r[0] for r in rows]
        meta: dict[str, dict[str, Any]] = {i: {} for i in ids}
        groups: dict[str, list[str]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for pin, key, vtype, num, text in self.conn.execute(
                    f"SELECT pin, key, type, num, text FROM pin_meta WHERE pin IN ({marks})"
                    " ORDER BY pin, key", part):
                meta[pin][key] = Value(vtype, num, text).to_python()
            for pin, gname in self.conn.execute(
                    f"SELECT pg.pin, g.name FROM pin_groups pg JOIN groups g ON g.id = pg.grp"
                    f" WHERE pg.pin IN ({marks}) ORDER BY g.name", part):
                groups[pin].append(gname)
        return [row_pin(r, meta[r[0]], tuple(groups[r[0]])) for r in rows]

    # -- queries --------------------------------------------------------------------------
    def run_query(self, query: Query) -> Page:
        validate(query)
        # one more than a page: whether it comes back says if there is a next page
        probe = replace(query, limit=query.limit + 1) if query.limit is not None else query
        sql, args, count_sql, count_args = self.build(probe)
        total = self.conn.execute(count_sql, count_args).fetchone()[0]
        if query.limit is not None and total and (query.meta or query.name is not None):
            # many matches: walking pins newest first finds a page sooner than sorting them
            everyone = self.estimated_count()
            if query.limit * everyone / total < total:
                sql, args, _, _ = self.build(probe, scan=True)
        ids = [r[0] for r in self.conn.execute(sql, args)]
        more = query.limit is not None and len(ids) > query.limit
        if more:
            ids = ids[: query.limit]
        rows = []
        if ids:
            by_id = {}
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                for r in self.conn.execute(
                        f"SELECT {PIN_COLS} FROM pins WHERE id IN ({','.join('?' * len(part))})",
                        part):
                    by_id[r[0]] = r
            rows = [by_id[i] for i in ids if i in by_id]
        pins = self.hydrate(rows)
        next_cursor = pins[-1].created if more and pins else None
        return Page(pins, total, next_cursor)

    # -- metadata -------------------------------------------------------------------------
    @staticmethod
    def write_meta(c: sqlite3.Connection, pin_id: str, values: dict[str, Value | None],
                   replace: bool) -> None:
        if replace:
            c.execute("DELETE FROM pin_meta WHERE pin = ?", (pin_id,))
        for key, v in values.items():
            if v is None:
                c.execute("DELETE FROM pin_meta WHERE pin = ? AND key = ?", (pin_id, key))
            else:
                c.execute("INSERT OR REPLACE INTO pin_meta(pin, key, type, num, text)"
                          " VALUES (?, ?, ?, ?, ?)", (pin_id, key, v.type, v.num, v.text))
        check_key_count(c.execute("SELECT COUNT(*) FROM pin_meta WHERE pin = ?",
                                  (pin_id,)).fetchone()[0])

    def update_meta(self, pin_id: str, changes: dict[str, Any], *,
                    replace: bool = False) -> Pin:
        values = check_meta(changes, allow_none=not replace)
        # atomic: too many keys is found after the writes (write_meta), and must undo them
        with Transaction(self.conn, atomic=True) as c:
            if not c.execute("SELECT 1 FROM pins WHERE id = ?", (pin_id,)).fetchone():
                raise PinError(f"no pin with id {pin_id}")
            self.write_meta(c, pin_id, values, replace=replace)
        return self.get(pin_id)

    def rename(self, pin_id: str, name: str) -> Pin:
        check_name(name)
        with Transaction(self.conn) as c:
            if c.execute("UPDATE pins SET name = ? WHERE id = ?", (name, pin_id)).rowcount == 0:
                raise PinError(f"no pin with id {pin_id}")
        return self.get(pin_id)

    # -- groups ---------------------------------------------------------------------------
    @staticmethod
    def group_rows(c: sqlite3.Connection, groups: Iterable[str], *,
                   create: bool) -> list[tuple[str, str]]:
        """``(id, name)`` of each group given by name or id (created if missing and
        ``create``)."""
        groups = check_groups(groups)  # all before any is created: a bad one leaves none
        found = []
        for g in groups:
            row = c.execute("SELECT id, name FROM groups WHERE id = ? OR name = ?",
                            (g, g)).fetchone()
            if row is None:
                if not create:
                    raise PinError(f"no group named {g!r}")
                gid = uuid.uuid4().hex
                c.execute("INSERT INTO groups(id, name, created) VALUES (?, ?, ?)",
                          (gid, g, monotonic_ns(c)))
                found.append((gid, g))
            else:
                found.append((row[0], row[1]))
        return found

    @classmethod
    def group_ids(cls, c: sqlite3.Connection, groups: Iterable[str], *,
                  create: bool) -> list[str]:
        return [gid for gid, _ in cls.group_rows(c, groups, create=create)]

    def group_id(self, name_or_id: str) -> str:
        return self.group_ids(self.conn, [name_or_id], create=False)[0]

    def group_create(self, name: str) -> Group:
        check_name(name, "group name")
        if not name:
            raise PinError("a group needs a name")
        with Transaction(self.conn) as c:
            if c.execute("SELECT 1 FROM groups WHERE name = ?", (name,)).fetchone():
                raise PinError(f"a group named {name!r} exists already")
            gid = self.group_ids(c, [name], create=True)[0]
        return self.group(gid)

    def group(self, name_or_id: str) -> Group:
        row = self.conn.execute(
            "SELECT g.id, g.name, g.created, (SELECT COUNT(*) FROM pin_groups pg"
            " WHERE pg.grp = g.id) FROM groups g WHERE g.id = ? OR g.name = ?",
            (name_or_id, name_or_id)).fetchone()
        if row is None:
            raise PinError(f"no group named {name_or_id!r}")
        return Group(*row)

    def groups(self) -> list[Group]:
        return [Group(*r) for r in self.conn.execute(
            "SELECT g.id, g.name, g.created, (SELECT COUNT(*) FROM pin_groups pg"
            " WHERE pg.grp = g.id) FROM groups g ORDER BY g.name")]

    def group_rename(self, name_or_id: str, new_name: str) -> Group:
        check_name(new_name, "group name")
        if not new_name:
            raise PinError("a group needs a name")
        with Transaction(self.conn) as c:
            gid = self.group(name_or_id).id
            if c.execute("SELECT 1 FROM groups WHERE name = ? AND id != ?",
                         (new_name, gid)).fetchone():
                raise PinError(f"a group named {new_name!r} exists already")
            c.execute("UPDATE groups SET name = ? WHERE id = ?", (new_name, gid))
        return self.group(gid)

    def group_delete(self, name_or_id: str) -> None:
        with Transaction(self.conn) as c:
            gid = self.group(name_or_id).id
            c.execute("DELETE FROM pin_groups WHERE grp = ?", (gid,))
            c.execute("DELETE FROM groups WHERE id = ?", (gid,))

    def group_add(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        with Transaction(self.conn, atomic=True) as c:  # a missing pin undoes the others
            gid = self.group(name_or_id).id
            n = 0
            for pid in pin_ids:
                if not c.execute("SELECT 1 FROM pins WHERE id = ?", (pid,)).fetchone():
                    raise PinError(f"no pin with id {pid}")
                n += c.execute("INSERT OR IGNORE INTO pin_groups(pin, grp) VALUES (?, ?)",
                               (pid, gid)).rowcount
            return n

    def group_remove(self, name_or_id: str, pin_ids: Iterable[str]) -> int:
        with Transaction(self.conn) as c:
            gid = self.group(name_or_id).id
            return sum(c.execute("DELETE FROM pin_groups WHERE pin = ? AND grp = ?",
                                 (pid, gid)).rowcount for pid in pin_ids)
