"""Reference counts of the SQLite pin set: the ``refs`` and ``unreferenced`` tables.

A block is kept while ``rc > 0`` (a recursive pin on it, or a *live* parent linking to it) or
``dc > 0`` (a direct pin on it). When a block's ``rc`` goes 0 → 1 it becomes live and adds one
reference to each of its children; 1 → 0 takes them back. Pinning a DAG whose root is already
live costs one update; unpinning costs what it releases; gc deletes only blocks on the
``unreferenced`` list, so its cost follows what it frees, not the size of the repo. Both walks
go a DAG level at a time (:mod:`pinfold.pins.walk`) with batched statements.

``prc`` is the public part of ``rc``, kept the same way over the same recorded links: a
public recursive pin adds one to its root's ``prc``, and a block whose ``prc`` goes 0 → 1
adds one to each child's (1 → 0 takes them back). A public pin's ``prc`` walk runs after its
``rc`` walk, so every block it meets has a row with its links: it reads no block and stops
where the DAG is public already. Whether some public pin reaches a block is then one lookup
(``prc > 0``), which is what the gateway asks per request (:meth:`reach`).

Every method taking ``c`` runs in the caller's transaction (:class:`~pinfold.pins.store.
Transaction`); the others read outside one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping

from .. import _faults
from ..blockstore.base import Blockstore
from ..cid import CID, RAW
from ..codecs.links import links_of, pack, unpack, unpack_mhs
from ..errors import BlockNotFoundError, DecodeError
from .records import PinError
from .walk import Counts, KeyLevel, walk_keys

# gc sweeps this many rows of ``refs`` (in key order) per block it frees, deleting those of
# collected blocks (see sweep_refs)
SWEEP_FACTOR = 4


class RefCounts:
    # the column a row is rewritten by, once read: SQLite's ``id``, in the order rows were
    # made (see store.SCHEMA); a backend whose table is kept otherwise may use ``mh``
    row_key = "id"

    def __init__(self, conn: sqlite3.Connection, blocks: Blockstore) -> None:
        self.conn = conn
        self.blocks = blocks

    # -- taking and releasing references --------------------------------------------------
    def _links(self, cid: CID, known: bytes | None, check: bool) -> list[CID]:
        if known is not None:
            if check and not self.blocks.has(cid):
                raise BlockNotFoundError(cid)
            return unpack(known)
        if cid.codec_code == RAW:  # no links: present is all a reference needs (as Kubo)
            if check and not self.blocks.has(cid):
                raise BlockNotFoundError(cid)
            return []
        data = self.blocks.get(cid)
        try:
            return links_of(cid, data)
        except DecodeError as exc:
            raise PinError(f"cannot read the links of {cid}: {exc}") from None

    @staticmethod
    def rows(c: sqlite3.Connection, mhs: list[bytes], cols: str) -> dict[bytes, tuple]:
        out: dict[bytes, tuple] = {}
        for start in range(0, len(mhs), 500):
            part = mhs[start : start + 500]
            for row in c.execute(
                    f"SELECT mh, {cols} FROM refs WHERE mh IN ({','.join('?' * len(part))})",
                    part):
                out[row[0]] = row[1:]
        return out

    def incref(self, c: sqlite3.Connection, root: CID, trusted: set[bytes] | None = None,
               public: bool = False, root_seen: bool = False) -> None:
        """Add one recursive reference to ``root`` (and with ``public`` one public reference,
        what :meth:`incref_public` would add after it, in the same walk); blocks that become
        live reference their children in turn, blocks whose ``prc`` becomes positive add one
        to their children's. Blocks in ``trusted`` (recorded by the caller's lease), and the
        root if ``root_seen`` (the caller just found it in the store), are not checked to be
        present.

        A level at a time, each level one read of its rows and one batch of writes: ``{mh:
        [cid, k, pk]}``, the ``rc`` and the ``prc`` references each block gains."""
        key = self.row_key
        level: dict[bytes, list] = {root.multihash: [root, 1, 1 if public else 0]}
        while level:
            rows = self.rows(c, list(level), f"rc, prc, links, {key}")
            bumps, inserts, lives = [], [], []
            nxt: dict[bytes, list] = {}
            get = nxt.get
            for mh, (cid, k, pk) in level.items():
                row = rows.get(mh)
                if row is not None and (row[0] > 0 or k == 0):
                    # live already (or only a public reference arriving): counts go up;
                    # its children gain a public reference if it becomes public
                    rc, prc, links, rid = row
                    bumps.append((k, pk, rid))
                    children = unpack(links) if pk and prc <= 0 and links else []
                    gained = (0, 1)
                elif row is None and k == 0:
                    continue  # an identity block, never stored (it has no links)
                else:
                    check = not ((trusted is not None and mh in trusted)
                                 or (root_seen and mh == root.multihash))
                    children = self._links(cid, row[2] if row else None, check)
                    packed = pack(children)
                    became_public = pk > 0 and (row is None or row[1] <= 0)
                    if row is None:
                        inserts.append((mh, cid.bytes, k, pk, packed))
                    else:
                        lives.append((k, row[1] + pk, packed, row[3], mh))
                    gained = (1, 1 if became_public else 0)
                    _faults.checkpoint("pin: block referenced")
                for child in children:
                    entry = get(child.multihash)
                    if entry is None:
                        nxt[child.multihash] = [child, gained[0], gained[1]]
                    else:
                        entry[1] += gained[0]
                        entry[2] += gained[1]
            # (a statement with no rows is not run: a raw-block pin has only ``lives``)
            if bumps:
                c.executemany(f"UPDATE refs SET rc = rc + ?, prc = prc + ? WHERE {key} = ?",
                              bumps)
            if inserts:
                c.executemany("INSERT INTO refs(mh, cid, rc, dc, prc, links)"
                              " VALUES (?, ?, ?, 0, ?, ?)", inserts)
            if lives:
                c.executemany(f"UPDATE refs SET rc = ?, prc = ?, links = ? WHERE {key} = ?",
                              [r[:4] for r in lives])
            if inserts or lives:
                c.executemany("DELETE FROM unreferenced WHERE mh = ?",
                              [(r[0],) for r in inserts] + [(r[4],) for r in lives])
            level = nxt

    def decref(self, c: sqlite3.Connection, root_mh: bytes, public: bool = False) -> None:
        """Take one recursive reference from ``root_mh`` (and with ``public`` one public
        reference); blocks whose ``rc`` reaches zero release their children's and join the
        unreferenced list, blocks whose ``prc`` reaches zero release their children's ``prc``.

        Both counts go down in one walk, a level at a time: each level is one read of its
        rows and one rewrite, and a block's links are unpacked once, whichever count releases
        them. ``(k, pk)`` per block: the ``rc`` and the ``prc`` references it loses."""
        level: dict[bytes, list[int]] = {root_mh: [1, 1 if public else 0]}
        while level:
            rows = self.rows(c, list(level), f"rc, dc, prc, links, {self.row_key}")
            updates, freed = [], []
            nxt: dict[bytes, list[int]] = {}
            get = nxt.get
            for mh, (k, pk) in level.items():
                row = rows.get(mh)
                if row is None:
                    continue
                rc, dc, prc, links, key = row
                # a count already at zero stays there (a repair by gc --full fixes any drift)
                new_rc = max(rc - k, 0) if rc > 0 else rc
                new_prc = max(prc - pk, 0) if prc > 0 else prc
                if new_rc == rc and new_prc == prc:
                    continue
                updates.append((new_rc, new_prc, key))
                gone = rc > 0 and new_rc == 0
                public_gone = prc > 0 and new_prc == 0
                if gone and dc == 0:
                    freed.append((mh,))
                if (gone or public_gone) and links:
                    for child in unpack_mhs(links):
                        entry = get(child)
                        if entry is None:
                            nxt[child] = [gone, public_gone]
                        else:
                            entry[0] += gone
                            entry[1] += public_gone
            c.executemany(f"UPDATE refs SET rc = ?, prc = ? WHERE {self.row_key} = ?",
                          updates)
            c.executemany("INSERT OR IGNORE INTO unreferenced(mh) VALUES (?)", freed)
            level = nxt

    def incref_public(self, c: sqlite3.Connection, root_mh: bytes) -> None:
        """Add one public reference to ``root_mh`` (after :meth:`incref` took its ``rc``);
        blocks whose ``prc`` becomes positive add one to their children's."""

        def expand(level: KeyLevel) -> Iterator[list[bytes]]:
            rows = self.rows(c, list(level), f"prc, links, {self.row_key}")
            updates = []
            for mh, k in level.items():
                row = rows.get(mh)
                if row is None:
                    continue  # an identity block, never stored (it has no links)
                updates.append((row[0] + k, row[2]))
                if row[0] <= 0 and row[1] is not None:
                    yield unpack_mhs(row[1])
            c.executemany(f"UPDATE refs SET prc = ? WHERE {self.row_key} = ?", updates)

        walk_keys((root_mh,), expand)

    def public_counts(self, mh: bytes) -> tuple[int, int, int] | None:
        """``(rc, dc, prc)`` of a block, or ``None``."""
        row = self.conn.execute("SELECT rc, dc, prc FROM refs WHERE mh = ?", (mh,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def public_drift(self, public_roots: Iterable[bytes]) -> list[tuple[bytes, int, int]]:
        """``(mh, stored prc, expected prc)`` of every block whose ``prc`` differs from the
        one the public recursive pins give, recomputed in memory over the recorded links
        (for ``repo verify``)."""
        links = self.known_links()
        expected: dict[bytes, int] = {}
        level: dict[bytes, int] = {}
        for mh in public_roots:
            level[mh] = level.get(mh, 0) + 1
        while level:
            nxt: dict[bytes, int] = {}
            for mh, k in level.items():
                before = expected.get(mh, 0)
                expected[mh] = before + k
                if before == 0 and mh in links:
                    for child in unpack_mhs(links[mh]):
                        nxt[child] = nxt.get(child, 0) + 1
            level = nxt
        stored = {mh: prc for mh, prc in self.conn.execute(
            "SELECT mh, prc FROM refs WHERE prc > 0")}
        out = []
        for mh in set(stored) | {m for m, v in expected.items() if v > 0}:
            if mh not in stored and not self.counts(mh):
                continue  # an identity block: never counted
            if stored.get(mh, 0) != expected.get(mh, 0):
                out.append((mh, stored.get(mh, 0), expected.get(mh, 0)))
        return out

    def add_direct(self, c: sqlite3.Connection, cid: CID) -> None:
        mh = cid.multihash
        if not self.blocks.has(cid):
            raise BlockNotFoundError(cid)
        c.execute("INSERT OR IGNORE INTO refs(mh, cid) VALUES (?, ?)", (mh, cid.bytes))
        c.execute("UPDATE refs SET dc = dc + 1 WHERE mh = ?", (mh,))
        c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))

    @staticmethod
    def remove_direct(c: sqlite3.Connection, mh: bytes) -> None:
        c.execute("UPDATE refs SET dc = dc - 1 WHERE mh = ? AND dc > 0", (mh,))
        c.execute(
            """INSERT OR IGNORE INTO unreferenced(mh)
               SELECT mh FROM refs WHERE mh = ? AND rc = 0 AND dc = 0""", (mh,))

    # -- questions ------------------------------------------------------------------------
    def counts(self, mh: bytes) -> tuple[int, int] | None:
        row = self.conn.execute("SELECT rc, dc FROM refs WHERE mh = ?", (mh,)).fetchone()
        return (row[0], row[1]) if row else None

    def known_cid(self, mh: bytes) -> CID | None:
        row = self.conn.execute("SELECT cid FROM refs WHERE mh = ?", (mh,)).fetchone()
        return CID.from_bytes(row[0]) if row else None

    def live(self) -> Iterator[tuple[bytes, bytes]]:
        """``(mh, cid_bytes)`` of every live block (``rc > 0``)."""
        yield from self.conn.execute("SELECT mh, cid FROM refs WHERE rc > 0")

    def kept_keys(self) -> Iterator[bytes]:
        for (mh,) in self.conn.execute("SELECT mh FROM refs WHERE rc > 0 OR dc > 0"):
            yield mh

    def stored_counts(self) -> Iterator[tuple[bytes, int, int, bytes]]:
        yield from self.conn.execute("SELECT mh, rc, dc, cid FROM refs WHERE rc > 0 OR dc > 0")

    def known_links(self) -> Mapping[bytes, bytes]:
        return {mh: links for mh, links in self.conn.execute(
            "SELECT mh, links FROM refs WHERE links IS NOT NULL")}

    def stats(self) -> tuple[int, int]:
        """``(kept blocks, blocks on the unreferenced list)``."""
        c = self.conn
        live = c.execute("SELECT COUNT(*) FROM refs WHERE rc > 0 OR dc > 0").fetchone()[0]
        unref = c.execute("SELECT COUNT(*) FROM unreferenced").fetchone()[0]
        return live, unref

    @staticmethod
    def forget(c: sqlite3.Connection, mh: bytes) -> None:
        c.execute("DELETE FROM refs WHERE mh = ? AND rc = 0 AND dc = 0", (mh,))
        c.execute("DELETE FROM unreferenced WHERE mh = ?", (mh,))

    # -- garbage collection ---------------------------------------------------------------
    @staticmethod
    def candidates(c: sqlite3.Connection, limit: int) -> list[tuple[bytes, int | None]]:
        """The first ``limit`` blocks gc may delete, ``(mh, size)`` in key order: listed as
        unreferenced, both counts zero (a drifted count keeps a block), not pending."""
        # (a listed block nearly always has its zero row: looked up in the small index of
        # zero rows first, not through the hash index; the row itself gives the size)
        return c.execute(
            """SELECT u.mh, z.size FROM unreferenced u
               LEFT JOIN refs z INDEXED BY refs_zero
                    ON z.mh = u.mh AND z.rc = 0 AND z.dc = 0
               WHERE (z.mh IS NOT NULL OR NOT EXISTS (SELECT 1 FROM refs r WHERE r.mh = u.mh))
               AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.mh = u.mh)
               ORDER BY u.mh LIMIT ?""", (limit,)).fetchall()

    @staticmethod
    def collected(c: sqlite3.Connection, last: bytes, count: int) -> None:
        """gc deleted the candidates up to ``last``. The ``refs`` rows of collected blocks are
        left to :func:`sweep_refs`: deleting them here would rewrite nearly every page of
        ``refs`` (its keys are random hashes), a cost that grows with the repo instead of
        with what gc frees."""
        # the list up to the last key, as one range: what else is there is kept (counts > 0:
        # dropped anyway once nothing is left) or pending (its lease lists it again when it
        # ends, if unreferenced)
        c.execute(
            """DELETE FROM unreferenced WHERE mh <= ? AND NOT EXISTS
               (SELECT 1 FROM pending p WHERE p.mh = unreferenced.mh)""", (last,))
        sweep_refs(c, SWEEP_FACTOR * count)

    @staticmethod
    def tidy(c: sqlite3.Connection) -> None:
        # (a lookup per listed block: a join could walk every live row)
        c.execute(
            """DELETE FROM unreferenced WHERE EXISTS (SELECT 1 FROM refs r
               WHERE r.mh = unreferenced.mh AND (r.rc > 0 OR r.dc > 0))""")

    @staticmethod
    def replace_counts(c: sqlite3.Connection, counts: Counts) -> None:
        """(``prc`` is zeroed: the caller takes the public references again.) Only the rows
        the counts no longer keep are zeroed before the counted rows are written: zeroing
        every row first would move each live row into the index of zero rows and out again."""
        c.executemany("UPDATE refs SET rc = 0, dc = 0, prc = 0 WHERE mh = ?", [
            (mh,) for (mh,) in c.execute("SELECT mh FROM refs WHERE rc > 0 OR dc > 0 OR prc > 0")
            if bytes(mh) not in counts])
        c.executemany(
            """INSERT INTO refs(mh, cid, rc, dc, links) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(mh) DO UPDATE SET rc = excluded.rc, dc = excluded.dc, prc = 0,
               links = COALESCE(excluded.links, refs.links)""",
            _count_rows(counts))
        c.execute("DELETE FROM refs WHERE rc = 0 AND dc = 0 AND mh NOT IN "
                  "(SELECT mh FROM pending)")
        c.execute("DELETE FROM unreferenced")


def _count_rows(counts: Counts) -> Iterable[tuple]:
    for mh, (rc, dc, cid_b, links) in counts.items():
        yield mh, cid_b, rc, dc, links


def sweep_refs(c: sqlite3.Connection, budget: int) -> int:
    """Delete the ``refs`` rows of collected blocks among the next ``budget`` rows of the
    table (in key order, from where the last sweep stopped, wrapping round; in the
    caller's transaction); return how many. Such a row has both counts zero and is neither
    on the unreferenced list nor pending. Until swept it only remembers the CID and links
    of its block, which stay right should the same bytes come back, and every use of a row
    with zero counts checks that the block is there. gc sweeps :data:`SWEEP_FACTOR` rows
    per block it collects: under steady churn such rows settle at about
    ``1 / (SWEEP_FACTOR - 1)`` of the other rows (``gc --full`` drops them all), and a
    sweep rewrites only the pages of its stretch, not pages all over the table. In SQLite
    the sweep's delete looks only at the rows of its stretch with both counts zero (the
    partial index ``refs_zero``); finding where the stretch ends walks the key index alone."""
    deleted = 0
    if budget <= 0:
        return deleted
    stale = """rc = 0 AND dc = 0
               AND NOT EXISTS (SELECT 1 FROM unreferenced u WHERE u.mh = refs.mh)
               AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.mh = refs.mh)"""
    row = c.execute("SELECT value FROM meta WHERE key = 'refs_sweep'").fetchone()
    start = bytes.fromhex(row[0]) if row else b""
    for _lap in range(2):  # at most once round the table
        end = c.execute("SELECT mh FROM refs WHERE mh > ? ORDER BY mh LIMIT 1 OFFSET ?",
                        (start, budget - 1)).fetchone()
        if end is not None:
            deleted += c.execute(f"DELETE FROM refs WHERE mh > ? AND mh <= ? AND {stale}",
                                 (start, end[0])).rowcount
            start = end[0]
            break
        # the rest of the table is shorter than the budget: to its end, then on from
        # its start
        budget -= c.execute("SELECT COUNT(*) FROM refs WHERE mh > ?", (start,)).fetchone()[0]
        deleted += c.execute(f"DELETE FROM refs WHERE mh > ? AND {stale}",
                             (start,)).rowcount
        start = b""
        if budget <= 0:
            break
    c.execute("INSERT INTO meta(key, value) VALUES ('refs_sweep', ?) ON CONFLICT(key)"
              " DO UPDATE SET value = excluded.value", (start.hex(),))
    return deleted
