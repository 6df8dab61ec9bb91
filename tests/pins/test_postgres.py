"""pinfold.pins.pg: what only the PostgreSQL pin set has (the rest of tests/pins runs against it
too): writers whose leases and two-step pins live exactly as long as their database session,
the grace period of a dead writer's blocks, values PostgreSQL cannot hold, and no password in a
repr. Real PostgreSQL (tests/servers.py)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from pinfold.blockstore import FlatFSBlockstore
from pinfold.cid import CID
from pinfold.pins.pg import PgPinSet, PgPinSetError
from pinfold.pins.pg.store import live_writers
from pinfold.pins.store import monotonic_ns
from tests.repo.helpers import raw_cid

DEAD_WRITER = """
import os, signal, sys
sys.path.insert(0, "src")
from pinfold.blockstore import FlatFSBlockstore
from pinfold.cid import CID
from pinfold.pins.pg import PgPinSet
blocks = FlatFSBlockstore(sys.argv[2], fsync=False)
pins = PgPinSet(sys.argv[1], blocks, schema=sys.argv[3])
lease = pins.lease()
data = b"written by a writer that dies"
from pinfold.cid import get_hash
cid = CID.v1("raw", get_hash("sha2-256").multihash(data))
lease.record([(cid, [], len(data))])
from pinfold.block import Block
blocks.put(Block(cid, data))
print(cid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture
def schema():
    return "t_" + uuid.uuid4().hex[:12]


def open_pins(postgres_server, tmp_path, schema, **kw) -> PgPinSet:
    return PgPinSet(postgres_server.dsn(), FlatFSBlockstore(tmp_path / "blocks", fsync=False),
                    schema=schema, **kw)


def test_a_dead_writers_lease_is_reaped_and_its_blocks_wait_the_grace(postgres_server,
                                                                     tmp_path, schema):
    watcher = open_pins(postgres_server, tmp_path, schema, grace=3600)
    try:
        proc = subprocess.run([sys.executable, "-c", DEAD_WRITER, postgres_server.dsn(),
                               str(tmp_path / "blocks"), schema], capture_output=True,
                              text=True)
        assert proc.returncode == -9, proc.stderr
        cid = CID(proc.stdout.strip())
        assert watcher.blocks.has(cid)
        rows = watcher.conn.execute("SELECT writer FROM leases").fetchall()
        assert len(rows) == 1
        dead = rows[0][0]
        # the server ends the dead process's session on its own time (its backend sees the
        # closed socket and exits): wait for exactly that, by taking the session's writer
        # lock, which is granted once the session is gone (lock_timeout: a session that never
        # ends fails the test instead of hanging it)
        import psycopg

        with psycopg.connect(postgres_server.dsn(), autocommit=True) as c:
            c.execute("SET lock_timeout = '60s'")
            c.execute("SELECT pg_advisory_lock(%s, %s)", (watcher.conn.writer_space, dead))
            c.execute("SELECT pg_advisory_unlock(%s, %s)", (watcher.conn.writer_space, dead))
        assert dead not in live_writers(watcher.conn)
        size = "SELECT size FROM refs WHERE mh = ?"
        assert watcher.conn.execute(size, (cid.multihash,)).fetchone()[0] == 29
        assert watcher.reap_leases() == 1
        # its process died between recording and writing, as far as anyone can tell: the
        # size it recorded is not trusted (gc measures the block)
        assert watcher.conn.execute(size, (cid.multihash,)).fetchone()[0] is None
        assert watcher.stats()["unreferenced_blocks"] == 1
        assert watcher.gc().blocks == 0  # within the grace period: kept
        assert watcher.blocks.has(cid)
        watcher.refs.grace = 0  # (as a gc after the grace period sees it)
        result = watcher.gc()
        assert result.freed == [cid.multihash] and not watcher.blocks.has(cid)
    finally:
        watcher.close()


def test_leases_of_a_live_writer_are_left_alone(postgres_server, tmp_path, schema):
    a = open_pins(postgres_server, tmp_path, schema, grace=0)
    b = open_pins(postgres_server, tmp_path, schema, grace=0)
    try:
        lease = a.lease()
        lease.record([(raw_cid(b"pending"), [], None)])
        assert b.reap_leases() == 0
        assert b.pending_keys() == {raw_cid(b"pending").multihash}
        lease.close()
        assert b.pending_keys() == set()
    finally:
        a.close()
        b.close()


def test_two_step_pins_of_a_dead_writer_are_recovered(postgres_server, tmp_path, schema):
    pins = open_pins(postgres_server, tmp_path, schema, grace=0)
    other = open_pins(postgres_server, tmp_path, schema, grace=0)
    try:
        from pinfold.block import Block

        present = raw_cid(b"present")
        pins.blocks.put(Block(present, b"present"))
        absent = raw_cid(b"never arrives")
        live = raw_cid(b"live")
        with pins.tx() as c:
            for cid, name, writer in ((present, "present", 2_000_000_000),
                                      (absent, "absent", 2_000_000_001),
                                      (live, "live", other.writer)):
                c.execute("INSERT INTO pins(id, cid, mh, name, name_fold, type, created, status,"
                          " reason, owner_pid) VALUES (?,?,?,?,?,'recursive',?,'pinning',?,?)",
                          (uuid.uuid4().hex, cid.bytes, cid.multihash, name, name,
                           monotonic_ns(c), "pinning in process x", writer))
        assert pins.recover() == (1, 1)
        by_name = {p.name: p for p in pins.list()}
        assert by_name["present"].status == "pinned"
        assert by_name["absent"].status == "failed"
        assert "interrupted and cannot finish" in by_name["absent"].reason
        assert by_name["live"].status == "pinning"  # its writer's session still runs
        gone = other.writer
        other.close()
        other = None
        # once the server has ended that session (a condition polled with a deadline), the
        # pin is recovered too
        deadline = time.monotonic() + 30
        while gone in live_writers(pins.conn):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert pins.recover() == (0, 1)
    finally:
        pins.close()
        if other is not None:
            other.close()


def test_text_postgresql_cannot_hold_is_a_clear_error(postgres_server, tmp_path, schema):
    pins = open_pins(postgres_server, tmp_path, schema)
    try:
        from pinfold.block import Block

        cid = raw_cid(b"x")
        pins.blocks.put(Block(cid, b"x"))
        with pytest.raises(PgPinSetError, match="NUL"):
            pins.add(cid, name="a\x00b")
        with pytest.raises(PgPinSetError, match="NUL"):
            pins.add(cid, meta={"k": "v\x00"})
        assert pins.list() == []
        assert pins.add(cid, name="fine").name == "fine"
    finally:
        pins.close()


def test_no_password_in_repr_or_errors(postgres_server, tmp_path, schema):
    dsn = postgres_server.dsn() + " password=hunter2"
    pins = PgPinSet(dsn, FlatFSBlockstore(tmp_path / "b", fsync=False), schema=schema)
    try:
        assert "hunter2" not in repr(pins) and "hunter2" not in pins.path
    finally:
        pins.close()
    with pytest.raises(PgPinSetError) as info:
        PgPinSet("host=127.0.0.1 port=1 user=x password=hunter2 connect_timeout=2",
                 FlatFSBlockstore(tmp_path / "b", fsync=False))
    assert "hunter2" not in str(info.value)
    with pytest.raises(PgPinSetError, match="schema"):
        PgPinSet(postgres_server.dsn(), FlatFSBlockstore(tmp_path / "b", fsync=False),
                 schema="Bad; DROP")


def test_a_schema_from_before_block_sizes_gets_them(postgres_server, tmp_path, schema):
    """A schema made before ``refs.size`` gets the column when opened; a writer's sizes are
    then recorded and handed to gc with its candidates (unknown ones as None)."""
    pins = open_pins(postgres_server, tmp_path, schema)
    try:
        with pins.transaction():
            pins.conn.execute("ALTER TABLE refs DROP COLUMN size")
    finally:
        pins.close()
    pins = open_pins(postgres_server, tmp_path, schema)
    try:
        sized, unsized = raw_cid(b"sized"), raw_cid(b"unsized")
        with pins.lease() as lease:
            lease.record([(sized, [], 5), (unsized, [])])  # (the second: no size given)
        with pins.transaction():
            assert sorted(pins.gc_candidates(10)) == sorted(
                [(sized.multihash, 5), (unsized.multihash, None)])
    finally:
        pins.close()
