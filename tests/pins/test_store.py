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
