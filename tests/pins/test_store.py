"""pinfold.pins.store: the schema and its migrations."""

from __future__ import annotations

import os
import sqlite3
import uuid

from pinfold.pins.store import SCHEMA_VERSION, monotonic_ns
from pinfold.process import process_start
from pinfold.repo import Repo
from tests.repo.helpers import raw_cid

from .helpers import OPTS, QDATA, QROOT


def test_a_version_1_pin_set_is_migrated_on_open(tmp_path):
    """Version 1 kept the owner of a ``pinning`` pin only in its reason text. Opening such a
    repo adds the owner columns and moves each owner into them; the rows then recover as
    before: a dead owner's pin is finished, a live owner's is left to it."""
    path = tmp_path / "repo"
    with Repo.init(path, fsync=False) as repo:
        repo.add(QDATA, pin=False, **OPTS)
    conn = sqlite3.connect(path / "pins.sqlite")
    conn.execute("ALTER TABLE pins DROP COLUMN owner_pid")
    conn.execute("ALTER TABLE pins DROP COLUMN owner_start")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    me = os.getpid()
    for name, cid, reason in (
            ("dead", QROOT, "pinning in process 999999999 x"),
            ("live", raw_cid(b"live"), f"pinning in process {me} {process_start(me)}"),
            ("garbled", raw_cid(b"garbled"), "pinning in process nobody")):
        conn.execute("INSERT INTO pins(id, cid, mh, name, type, created, status, reason)"
                     " VALUES (?, ?, ?, ?, 'recursive', ?, 'pinning', ?)",
                     (uuid.uuid4().hex, cid.bytes, cid.multihash, name,
                      monotonic_ns(conn), reason))
    conn.commit()
    conn.close()
    with Repo(path) as repo:
        conn = repo.pins.conn
        schema = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        assert schema == (str(SCHEMA_VERSION),)
        owners = dict(conn.execute("SELECT name, owner_pid FROM pins WHERE status = 'pinning'"))
        assert owners == {"live": me}
        by_name = {p.name: p for p in repo.pins.list()}
        assert by_name["dead"].status == "pinned" and by_name["dead"].reason is None
        assert by_name["live"].status == "pinning"
        assert by_name["garbled"].status == "failed"
        assert repo.verify() == []


def test_a_version_2_pin_set_migrates_with_every_pin_public(tmp_path):
    """Version 2 had no networks: opening it adds ``pins.network`` (every pin public) and
    ``refs.prc`` equal to ``rc``, so everything a pin reached is public, and the counts stay
    consistent for pins taken and released after."""
    path = tmp_path / "repo"
    with Repo.init(path, fsync=False) as repo:
        root = repo.add(QDATA, **OPTS).roots[0].cid
        direct = repo.block_put(b"direct block", pin=True)
        inner = [c for c in repo.pins.indirect()]
    conn = sqlite3.connect(path / "pins.sqlite")
    conn.execute("ALTER TABLE pins DROP COLUMN network")
    conn.execute("ALTER TABLE refs DROP COLUMN prc")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    conn.commit()
    conn.close()
    with Repo(path) as repo:
        assert {p.network for p in repo.pins.list()} == {"public"}
        assert repo.reach(root) == "public" and repo.reach(direct) == "public"
        assert inner and all(repo.reach(c) == "public" for c in inner)
        repo.pin(root, name="private copy", network="private")
        repo.unpin(root, name="")
        assert repo.reach(root) == "private"
        assert all(repo.reach(c) == "private" for c in inner)
        assert repo.verify() == []


def test_a_version_3_pin_set_gets_numbered_refs_rows(tmp_path):
    """Version 3 kept ``refs`` keyed by the multihash (WITHOUT ROWID): opening it copies every
    row, counts and links as they were, into version 4's table with an ``id``; pins, unpins
    and gc then work on it."""
    path = tmp_path / "repo"
    with Repo.init(path, fsync=False) as repo:
        root = repo.add(QDATA, **OPTS).roots[0].cid
        direct = repo.block_put(b"direct block", pin=True)
        loose = repo.add(b"not pinned", pin=False).root
        before = repo.pins.conn.execute(
            "SELECT mh, cid, rc, dc, links, prc FROM refs ORDER BY mh").fetchall()
    conn = sqlite3.connect(path / "pins.sqlite")
    conn.execute("ALTER TABLE refs RENAME TO refs_v4")
    conn.execute("""CREATE TABLE refs (mh BLOB PRIMARY KEY, cid BLOB NOT NULL,
        rc INTEGER NOT NULL DEFAULT 0, dc INTEGER NOT NULL DEFAULT 0, links BLOB,
        prc INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID""")
    conn.execute("INSERT INTO refs SELECT mh, cid, rc, dc, links, prc FROM refs_v4")
    conn.execute("DROP TABLE refs_v4")
    _mark_version(conn, 3)
    with Repo(path) as repo:
        conn = repo.pins.conn
        _assert_current(conn, "id")
        assert conn.execute("SELECT mh, cid, rc, dc, links, prc FROM refs ORDER BY mh"
                            ).fetchall() == before
        assert repo.verify() == [] and repo.pins.check_counts() == []
        assert loose.multihash in repo.gc().freed
        repo.unpin(root)
        repo.unpin(direct)
        repo.gc()
        assert repo.blocks.stat() == (0, 0)
        assert repo.verify() == []


def test_a_version_4_pin_set_gets_one_metadata_index_and_one_name_index(tmp_path):
    """Version 4 had two metadata indexes (num, text) and two name indexes: opening it drops
    them for version 5's ``pin_meta_value`` and ``pins_name_nocase``; the same queries find
    the same pins, through the new indexes."""
    path = tmp_path / "repo"
    with Repo.init(path, fsync=False) as repo:
        for i in range(30):
            repo.pin(repo.block_put(f"b{i}".encode()), name=f"Item {i}",
                     meta={"score": i, "kind": "odd" if i % 2 else "even", "label": f"L{i}"})
    conn = sqlite3.connect(path / "pins.sqlite")
    conn.execute("DROP INDEX pin_meta_value")
    conn.execute("CREATE INDEX pin_meta_num ON pin_meta(key, type, num)")
    conn.execute("CREATE INDEX pin_meta_text ON pin_meta(key, type, text)")
    conn.execute("CREATE INDEX pins_name ON pins(name)")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    conn.commit()
    conn.close()

    def answers(repo):
        q = repo.pins.query
        return [sorted(p.name for p in page.pins) for page in (
            q(name="Item 7", limit=100), q(name="item 7", match="iexact", limit=100),
            q(meta={"kind": "odd", "score": {"value": 20, "op": "gte"}}, limit=100),
            q(meta={"label": {"value": ["L1", "L2"], "op": "between"}}, limit=100),
            q(meta={"label": {"value": "L2%", "op": "like"}}, limit=100),
            q(meta={"kind": {"value": "odd", "op": "ne"}}, limit=100))]

    with Repo(path) as repo:
        conn = repo.pins.conn
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")}
        assert {"pin_meta_value", "pins_name_nocase"} <= indexes
        assert not indexes & {"pin_meta_num", "pin_meta_text", "pins_name"}
        got = answers(repo)
        assert got[0] == got[1] == ["Item 7"]
        assert got[2] == ["Item 21", "Item 23", "Item 25", "Item 27", "Item 29"]
        assert got[3] == sorted(["Item 1", "Item 10", "Item 11", "Item 12", "Item 13",
                                 "Item 14", "Item 15", "Item 16", "Item 17", "Item 18",
                                 "Item 19", "Item 2"])
        assert got[4] == sorted(["Item 2"] + [f"Item {i}" for i in range(20, 30)])
        assert got[5] == sorted(f"Item {i}" for i in range(0, 30, 2))
        plans = " ".join(r[-1] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT pin FROM pin_meta m WHERE m.key = 'label'"
            " AND m.type = 'string' AND m.num IS NULL AND m.text = 'L3'"))
        plans += " ".join(r[-1] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM pins p WHERE"
            " p.name = 'Item 3' COLLATE NOCASE AND p.name = 'Item 3'"))
        assert "pin_meta_value (key=? AND type=? AND num=? AND text=?)" in plans
        assert "pins_name_nocase (name=?)" in plans


def test_pin_ids_are_version_7_uuids_in_creation_order(tmp_path):
    import time

    from pinfold.pins.records import new_pin_id

    with Repo.init(tmp_path / "repo", fsync=False) as repo:
        pins = [repo.pin(repo.block_put(f"x{i}".encode()), name=str(i)) for i in range(50)]
    ids = [p.id for p in pins]
    assert ids == sorted(ids) and len(set(ids)) == 50
    for p in pins:
        u = uuid.UUID(p.id)
        assert (u.version, u.variant, len(p.id)) == (7, uuid.RFC_4122, 32)
        assert int(p.id[:12], 16) == p.created // 1_000_000  # its ms since the epoch
    now = time.time_ns()
    assert new_pin_id(now) != new_pin_id(now)  # 62 random bits apart
    assert new_pin_id(now)[:16] < new_pin_id(now + 250)[:16]  # 250 ns: the next time step


def test_a_transaction_that_need_not_be_durable_commits_unsynced_and_restores(tmp_path):
    from pinfold.pins.store import Transaction, connect

    conn = connect(str(tmp_path / "p.sqlite"))
    conn.execute("CREATE TABLE t (x)")
    level = lambda: conn.execute("PRAGMA synchronous").fetchone()[0]  # noqa: E731
    assert level() == 2  # FULL
    with Transaction(conn, durable=False) as c:
        assert level() == 1  # NORMAL while it commits
        c.execute("INSERT INTO t VALUES (1)")
    assert level() == 2
    try:
        with Transaction(conn, durable=False) as c:
            c.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError
    except RuntimeError:
        pass
    assert level() == 2
    with Transaction(conn):  # joined to an outer durable one, it commits as that one does
        with Transaction(conn, durable=False):
            assert level() == 2
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]
    conn.close()
    nosync = connect(str(tmp_path / "p.sqlite"), durable=False)
    assert nosync.execute("PRAGMA synchronous").fetchone()[0] == 1
    nosync.close()


def test_a_repo_without_fsync_opens_its_pin_set_unsynced(tmp_path):
    for fsync, level in ((True, 2), (False, 1)):
        repo = Repo.init(str(tmp_path / f"r{fsync}"), fsync=fsync)
        assert repo.pins.conn.execute("PRAGMA synchronous").fetchone()[0] == level
        repo.close()


def test_own_process_start_is_read_once_and_stays_right():
    me = os.getpid()
    assert process_start(me) == process_start(me) != ""
    with open(f"/proc/{me}/stat", "rb") as f:
        assert f.read().rsplit(b")", 1)[1].split()[19].decode() == process_start(me)


def test_threads_sharing_a_connection_wait_for_each_others_transactions(tmp_path):
    """A transaction belongs to its thread: another thread on the same connection neither
    joins it (one thread's rollback would undo the other's writes) nor sees it as its own."""
    import threading

    from pinfold.pins.store import Transaction, conn_lock, connect

    conn = connect(str(tmp_path / "p.sqlite"))
    conn.execute("CREATE TABLE t (x)")
    inside, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def first() -> None:
        try:
            with Transaction(conn) as c:
                c.execute("INSERT INTO t VALUES (1)")
                with Transaction(conn):  # the same thread re-enters and joins
                    c.execute("INSERT INTO t VALUES (2)")
                inside.set()
                release.wait()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    def second() -> None:
        seen.append(conn_lock(conn).acquire(blocking=False))  # held by the other thread
        release.set()
        with Transaction(conn) as c:  # waits for first's rollback, then commits its own
            c.execute("INSERT INTO t VALUES (3)")

    a = threading.Thread(target=first)
    a.start()
    inside.wait()
    b = threading.Thread(target=second)
    b.start()
    a.join()
    b.join()
    assert seen == [False]
    assert [r[0] for r in conn.execute("SELECT x FROM t")] == [3]


def test_threads_pinning_through_one_repo_keep_every_pin(tmp_path):
    """Eight threads pin through one Repo (one SQLite connection), each of them also failing
    a transaction of its own half the time: every pin that succeeded is there, no other."""
    import threading

    with Repo.init(tmp_path / "repo", fsync=False) as repo:
        cids = [repo.add(f"file {i}".encode(), pin=False).roots[0].cid for i in range(16)]
        start = threading.Barrier(8)

        def work(k: int) -> None:
            start.wait()
            for i in range(k, 16, 8):
                try:
                    with repo.pins.transaction():
                        repo.pin(cids[i], name=f"n{i}")
                        if i % 2:
                            raise RuntimeError("undo this one")
                except RuntimeError:
                    pass

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(p.name for p in repo.pins.list()) == sorted(
            f"n{i}" for i in range(0, 16, 2))
        assert repo.verify() == []


def test_a_transaction_hook_runs_after_each_transaction_and_only_its_owner_removes_it(tmp_path):
    from pinfold.pins.store import Transaction, after_transactions, connect

    conn = connect(str(tmp_path / "h.sqlite"))
    conn.execute("CREATE TABLE t (x)")
    calls = []
    mine, other = (lambda: calls.append("mine")), (lambda: calls.append("other"))
    after_transactions(id(conn), mine)
    with Transaction(conn) as c:
        with Transaction(conn) as c2:  # joined: one call, at the outer end
            c2.execute("INSERT INTO t VALUES (1)")
        c.execute("INSERT INTO t VALUES (2)")
    try:
        with Transaction(conn):
            raise RuntimeError
    except RuntimeError:
        pass
    assert calls == ["mine", "mine"]  # committed, then rolled back
    after_transactions(id(conn), other, remove=True)  # not the hook there: it stays
    with Transaction(conn):
        pass
    assert calls == ["mine"] * 3
    after_transactions(id(conn), mine, remove=True)
    with Transaction(conn):
        pass
    assert calls == ["mine"] * 3
    conn.close()


def test_a_version_5_pin_set_gets_block_sizes(tmp_path):
    """Version 5's ``refs`` had no sizes: opening it adds the column (the old rows' sizes
    unknown, so gc measures those blocks); blocks written from then on have their sizes
    recorded, and gc reports both right."""
    path = tmp_path / "repo"
    with Repo.init(path, backend="fs", fsync=False) as repo:
        old = repo.add(b"written by version 5", pin=False).root
        old_size = repo.blocks.size_of(old.multihash)
    conn = sqlite3.connect(path / "pins.sqlite")
    conn.execute("ALTER TABLE refs DROP COLUMN size")
    _mark_version(conn, 5)
    with Repo(path) as repo:
        conn = repo.pins.conn
        _assert_current(conn, "size")
        assert conn.execute("SELECT size FROM refs WHERE mh = ?",
                            (old.multihash,)).fetchone() == (None,)
        new = repo.add(b"written by version 6", pin=False).root
        new_size = repo.blocks.size_of(new.multihash)
        assert conn.execute("SELECT size FROM refs WHERE mh = ?", (new.multihash,)
                            ).fetchone() == (new_size,)
        result = repo.gc()
        assert sorted(result.freed) == sorted([old.multihash, new.multihash])
        assert result.bytes == old_size + new_size
        assert repo.verify() == []


def _mark_version(conn: sqlite3.Connection, version: int) -> None:
    """Say the database (made old by the caller's statements) is at ``version``; close it."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(version),))
    conn.commit()
    conn.close()


def _assert_current(conn: sqlite3.Connection, refs_column: str) -> None:
    """The database was brought to this version, with the ``refs`` column it was missing."""
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert refs_column in {r[1] for r in conn.execute("PRAGMA table_info(refs)")}
