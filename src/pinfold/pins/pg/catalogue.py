"""The catalogue of the PostgreSQL pin set: the SQLite catalogue's records, metadata, groups
and queries (:class:`pinfold.pins.catalogue.Catalogue`), with what PostgreSQL spells or stores
differently: folded copies of names and strings (written here), the upsert of metadata, and
the query builder of :mod:`pinfold.pins.pg.sqlquery`.
"""

from __future__ import annotations

from ...cid import CID
from ..catalogue import Catalogue
from ..meta import Value, check_key_count
from ..records import Pin, PinError, check_name, new_pin_id
from ..sqlquery import regexp_function
from ..store import monotonic_ns
from . import sqlquery
from .store import Connection, Transaction, numeric_number


class PgCatalogue(Catalogue):
    conn: Connection  # type: ignore[assignment]

    def build(self, q, *, scan: bool = False):  # type: ignore[override]
        return sqlquery.build(q, self.regexp_ids, scan=scan)

    def estimated_count(self) -> int:
        """The planner's estimate (an exact COUNT(*) reads the whole table under MVCC), or
        the exact count while the table has never been analysed."""
        row = self.conn.execute("SELECT reltuples::int8 FROM pg_class WHERE oid ="
                                " 'pins'::regclass").fetchone()
        return int(row[0]) if row and row[0] >= 0 else self.count()

    def regexp_ids(self, key: str, pattern: str, ignore_case: bool) -> list[str]:
        """The pins whose string under ``key`` a Python regexp search finds ``pattern`` in."""
        test = ("i" if ignore_case else "") + "\x00" + pattern
        return [pin for pin, text in self.conn.execute(
            "SELECT pin, text FROM pin_meta WHERE key = ? AND type = 'string'", (key,))
            if regexp_function(test, text)]

    def insert(self, c: Connection, cid: CID, name: str, type: str, status: str,  # type: ignore[override]
               reason: str | None, owner: tuple[int, str] | None,
               values: dict[str, Value | None], groups: list[str],
               network: str = "public", size: int | None = None) -> Pin:
        found = self.group_rows(c, groups, create=True)
        created = monotonic_ns(c)
        pin_id = new_pin_id(created)
        writer, where = owner if owner is not None else (None, None)
        c.execute(
            "INSERT INTO pins(id, cid, mh, name, name_fold, type, created, size, status, reason,"
            " owner_pid, owner_start, network) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (pin_id, cid.bytes, cid.multihash, name, name.lower(), type, created, size,
             status, reason, writer, where, network),
        )
        self.write_meta(c, pin_id, values, replace=True)
        c.executemany("INSERT OR IGNORE INTO pin_groups(pin, grp) VALUES (?, ?)",
                      [(pin_id, g) for g, _ in found])
        return self.as_written(pin_id, cid, name, type, created, status, reason, values,
                               [n for _, n in found], network, size)

    @staticmethod
    def read_number(num: float | int | None) -> float | int | None:
        """A float goes to NUMERIC as its shortest ``repr`` and comes back by
        :func:`~pinfold.pins.pg.store.numeric_number` (an integral one of 17 digits or more
        reads back as the integer its ``repr`` spells, not the float's exact value)."""
        return numeric_number(repr(num)) if isinstance(num, float) else num

    @staticmethod
    def write_meta(c: Connection, pin_id: str, values: dict[str, Value | None],  # type: ignore[override]
                   replace: bool) -> None:
        if replace:
            c.execute("DELETE FROM pin_meta WHERE pin = ?", (pin_id,))
        for key, v in values.items():
            if v is None:
                c.execute("DELETE FROM pin_meta WHERE pin = ? AND key = ?", (pin_id, key))
            else:
                fold = v.text.lower() if v.text is not None else None
                c.execute(
                    "INSERT INTO pin_meta(pin, key, type, num, text, text_fold)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pin, key) DO UPDATE SET"
                    " type = excluded.type, num = excluded.num, text = excluded.text,"
                    " text_fold = excluded.text_fold",
                    (pin_id, key, v.type, v.num, v.text, fold))
        check_key_count(c.execute("SELECT COUNT(*) FROM pin_meta WHERE pin = ?",
                                  (pin_id,)).fetchone()[0])

    def rename(self, pin_id: str, name: str) -> Pin:
        check_name(name)
        with Transaction(self.conn) as c:
            if c.execute("UPDATE pins SET name = ?, name_fold = ? WHERE id = ?",
                         (name, name.lower(), pin_id)).rowcount == 0:
                raise PinError(f"no pin with id {pin_id}")
        return self.get(pin_id)
