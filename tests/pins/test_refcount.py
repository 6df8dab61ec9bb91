"""pinfold.pins.refcount: reference counts of shared and duplicate links, and the refs sweep."""

from __future__ import annotations

import pytest

from pinfold import Entry
from pinfold.codecs.links import links_of
from pinfold.errors import BlockNotFoundError
from pinfold.pins import PinError
from pinfold.repo import Repo
from tests.repo.helpers import CHUNK, KINDS, OPTS, SAME, blob, dag_blocks, rc_of, stored, two_dirs


# -- reference counts and gc --------------------------------------------------------------------
def test_shared_blocks_survive_unpinning_one_of_two_dags(repo):
    a, b = two_dirs()
    ra = repo.add(a, name="a", **OPTS).root
    rb = repo.add(b, name="b", **OPTS).root
    blocks_a, blocks_b = dag_blocks(repo, ra), dag_blocks(repo, rb)
    shared = blocks_a & blocks_b
    assert len(shared) >= 6  # the file node and its leaves
    repo.unpin(ra)
    result = repo.gc()
    assert set(result.freed) == blocks_a - blocks_b
    assert stored(repo) == blocks_b
    assert dag_blocks(repo, rb) == blocks_b
    assert repo.verify() == []
    repo.unpin(rb)
    assert set(repo.gc().freed) == blocks_b
    assert repo.blocks.stat() == (0, 0)


def test_pin_a_pin_b_unpin_b_repin_b_unpin_a_keeps_b(repo):
    """The sequence that loses a count in Helia (pinning-notes.md): B must stay complete."""
    a, b = two_dirs()
    ra = repo.add(a, **OPTS).root
    rb = repo.add(b, pin=False, **OPTS).root
    blocks_a, blocks_b = dag_blocks(repo, ra), dag_blocks(repo, rb)
    repo.pin(rb)
    repo.unpin(rb)
    repo.pin(rb)
    assert repo.pins.check_counts() == []
    repo.unpin(ra)
    assert repo.pins.check_counts() == []
    result = repo.gc()
    assert set(result.freed) == blocks_a - blocks_b
    assert dag_blocks(repo, rb) == blocks_b
    assert repo.verify() == []
    # and the same with the roles the other way round, a gc in between
    repo.pin(rb, name="again")
    repo.unpin(rb, name="")
    assert repo.gc().blocks == 0
    assert dag_blocks(repo, rb) == blocks_b


def test_duplicate_links_count_once_per_link(repo):
    data = bytes(9 * CHUNK + 123)  # nine identical leaves and a short one
    root = repo.add(data, **OPTS).root
    links = links_of(root, repo.block_get(root))
    assert len(links) == 10 and len(set(links)) == 2
    assert rc_of(repo, links[0]) == (9, 0)
    assert rc_of(repo, root) == (1, 0)
    assert repo.pins.check_counts() == []
    repo.pin(root, name="twice")
    assert rc_of(repo, root) == (2, 0)
    assert rc_of(repo, links[0]) == (9, 0)
    repo.unpin(root)
    live = repo.pins.conn.execute("SELECT COUNT(*) FROM refs WHERE rc > 0 OR dc > 0")
    assert live.fetchone()[0] == 0
    assert repo.pins.check_counts() == []
    result = repo.gc()
    assert result.blocks == 3
    assert repo.blocks.stat() == (0, 0)


def test_pin_update_keeps_shared_blocks(repo):
    old_tree = [Entry("site/index.html", content=blob("index-1", 2 * CHUNK)),
                Entry("site/big.bin", content=SAME)]
    new_tree = [Entry("site/index.html", content=blob("index-2", 2 * CHUNK)),
                Entry("site/big.bin", content=SAME)]
    old = repo.add(old_tree, name="site", **OPTS).root
    new = repo.add(new_tree, pin=False, **OPTS).root
    old_blocks, new_blocks = dag_blocks(repo, old), dag_blocks(repo, new)
    pin = repo.pins.update(old, new)
    assert (pin.cid, pin.type, pin.name) == (new, "recursive", "site")
    assert [(p.cid, p.name) for p in repo.pins.list()] == [(new, "site")]
    assert repo.pins.check_counts() == []
    result = repo.gc()
    assert set(result.freed) == old_blocks - new_blocks
    assert stored(repo) == new_blocks
    assert repo.verify() == []
    with pytest.raises(PinError):
        repo.pins.update(old, new)  # old is no longer pinned



@pytest.mark.parametrize("backend", ["fs", "lmdb"])
def test_the_rows_of_a_dag_are_numbered_together(tmp_path, backend):
    """An import records its blocks' rows one after another, so that an unpin rewrites a
    stretch of the table, not a page per block (store.SCHEMA; SQLite's pin set:
    PostgreSQL keeps its rows in a heap anyway)."""
    repo = Repo.init(tmp_path / "repo", backend=backend, fsync=False)
    first = repo.add(blob("first", 40 * CHUNK), **OPTS).root
    second = repo.add(blob("second", 40 * CHUNK), **OPTS).root

    def ids(root):
        mhs = [c.multihash for c in [root, *_children(repo, root)]]
        return sorted(repo.pins.conn.execute(
            f"SELECT id FROM refs WHERE mh IN ({','.join('?' * len(mhs))})", mhs).fetchall())

    a, b = ids(first), ids(second)
    assert len(a) == len(b) == 41
    assert a[-1][0] - a[0][0] == 40 and b[-1][0] - b[0][0] == 40
    assert a[-1] < b[0]
    repo.unpin(first)
    assert repo.pins.check_counts() == [] and repo.verify() == []
    repo.close()


def _children(repo, root):
    return links_of(root, repo.block_get(root))

# -- gc at scale: chunks and batches, the refs sweep, parallel deletes; read-ahead ---------------
def _zero_rows(repo: Repo) -> set[bytes]:
    return {r[0] for r in repo.pins.conn.execute("SELECT mh FROM refs WHERE rc = 0 AND dc = 0")}


@pytest.mark.parametrize("kind", KINDS)
def test_gc_sweeps_the_refs_rows_of_what_it_collected(make_repo, kind):
    repo = make_repo(kind)
    keep = repo.add(blob("keep", 30 * CHUNK), **OPTS).root
    junk = repo.add(blob("junk", 30 * CHUNK), pin=False, **OPTS).root
    junk_blocks = dag_blocks(repo, junk)
    assert _zero_rows(repo) == junk_blocks
    assert set(repo.gc().freed) == junk_blocks
    # SWEEP_FACTOR rows per freed block: more than this table holds, so all of them
    assert _zero_rows(repo) == set()
    assert repo.pins.check_counts() == [] and repo.verify() == []
    assert dag_blocks(repo, keep)


@pytest.mark.parametrize("kind", KINDS)
def test_refs_rows_left_by_gc_are_harmless_until_swept(make_repo, kind, monkeypatch):
    from pinfold.pins import refcount as pinset

    repo = make_repo(kind)
    content = blob("again", 12 * CHUNK)
    keep = repo.add(blob("keep", 4 * CHUNK), **OPTS).root
    junk = repo.add(content, pin=False, **OPTS).root
    junk_blocks = dag_blocks(repo, junk)
    monkeypatch.setattr(pinset, "SWEEP_FACTOR", 0)  # gc leaves the rows of what it collects
    assert set(repo.gc().freed) == junk_blocks
    assert _zero_rows(repo) == junk_blocks
    assert repo.verify() == [] and repo.pins.check_counts() == []
    # a row without its block does not make the block present
    with pytest.raises(BlockNotFoundError):
        repo.pin(junk)
    assert repo.pin(junk, queue=True).status == "queued"
    # the same bytes come back: the queued pin completes, counts and links are right
    assert repo.add(content, pin=False, **OPTS).root == junk
    assert [p.status for p in repo.pins.list(cid=junk)] == ["pinned"]
    assert dag_blocks(repo, junk) == junk_blocks
    assert repo.verify() == [] and repo.pins.check_counts() == []
    repo.unpin(junk)
    assert set(repo.gc().freed) == junk_blocks
    # a full gc drops such rows; so does the sweep of a later gc
    assert repo.gc(full=True).blocks == 0
    assert _zero_rows(repo) == set()
    monkeypatch.setattr(pinset, "SWEEP_FACTOR", 4)
    repo.add(content, pin=False, **OPTS)
    assert set(repo.gc().freed) == junk_blocks
    assert _zero_rows(repo) == set()
    assert dag_blocks(repo, keep) and repo.verify() == []


@pytest.mark.parametrize("kind", KINDS)
def test_the_refs_sweep_goes_round_the_table_a_stretch_at_a_time(make_repo, kind, monkeypatch):
    from pinfold.pins import refcount as pinset

    repo = make_repo(kind)
    repo.add(blob("keep", 50 * CHUNK), **OPTS)
    junk_blocks = dag_blocks(repo, repo.add(blob("junk", 20 * CHUNK), pin=False, **OPTS).root)
    monkeypatch.setattr(pinset, "SWEEP_FACTOR", 0)
    repo.gc()
    total = repo.pins.conn.execute("SELECT COUNT(*) FROM refs").fetchone()[0]
    assert _zero_rows(repo) == junk_blocks and total > 2 * len(junk_blocks)
    budget, deleted, calls = 7, 0, 0
    while _zero_rows(repo):
        with repo.pins.tx() as c:
            deleted += repo.pins._sweep_refs(c, budget)
        calls += 1
        assert calls <= total // budget + 2, "the sweep does not get round the table"
    assert deleted == len(junk_blocks)
    assert repo.pins.conn.execute("SELECT COUNT(*) FROM refs").fetchone()[0] == total - deleted
    assert repo.verify() == [] and repo.pins.check_counts() == []
