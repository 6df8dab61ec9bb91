"""pinfold.pins.gc: gc frees exactly what nothing references, incremental and full."""

from __future__ import annotations

import pytest

from pinfold import CID, Entry
from pinfold.blockstore import LMDBBlockstore
from pinfold.repo import Repo
from tests.repo.helpers import CHUNK, KINDS, OPTS, SAME, blob, dag_blocks, stored, two_dirs


def test_unpinned_add_is_collected_exactly(repo):
    keep = repo.add(blob("keep", 4 * CHUNK) + SAME, **OPTS).root
    loose = repo.add(SAME + blob("loose", 2 * CHUNK), pin=False, **OPTS).root
    assert repo.pins.list(cid=loose) == []
    assert repo.pins.pinned_type(loose) is None
    keep_blocks = dag_blocks(repo, keep)
    only_loose = dag_blocks(repo, loose) - keep_blocks
    result = repo.gc()
    assert set(result.freed) == only_loose
    assert result.blocks == len(only_loose)
    assert stored(repo) == keep_blocks
    assert dag_blocks(repo, keep) == keep_blocks
    assert repo.verify() == []
    assert repo.gc().blocks == 0


def test_block_put_blocks_are_collectable(repo):
    pinned = repo.add(b"pinned content", **OPTS).root
    a = repo.block_put(b"block a")
    b = repo.block_put(b"block b", cid_version=1, hash="sha2-512")
    assert repo.pins.pinned_type(a) is None
    result = repo.gc()
    assert set(result.freed) == {a.multihash, b.multihash}
    assert result.bytes == len(b"block a") + len(b"block b")
    assert stored(repo) == {pinned.multihash}


def _build_history(repo: Repo) -> dict[str, CID]:
    a, b = two_dirs()
    roots = {"a": repo.add(a, name="a", **OPTS).root, "b": repo.add(b, name="b", **OPTS).root}
    roots["zeros"] = repo.add(bytes(5 * CHUNK), **OPTS).root
    roots["loose"] = repo.add(SAME + b"tail", pin=False, **OPTS).root
    roots["direct"] = repo.block_put(b"direct block", pin=True)
    repo.block_put(b"garbage block")
    repo.pin(roots["a"], name="a2")
    repo.unpin(roots["a"], name="a")
    repo.unpin(roots["zeros"])
    repo.pin(roots["loose"], recursive=False)
    return roots


def test_full_gc_agrees_with_the_incremental_counts(make_repo):
    for kind in KINDS:
        inc, full = make_repo(kind), make_repo(kind)
        _build_history(inc)
        _build_history(full)
        assert inc.pins.check_counts() == [] and full.pins.check_counts() == []
        freed_inc = inc.gc()
        freed_full = full.gc(full=True)
        assert set(freed_inc.freed) == set(freed_full.freed) != set()
        assert (freed_inc.blocks, freed_inc.bytes) == (freed_full.blocks, freed_full.bytes)
        assert stored(inc) == stored(full)
        assert inc.gc(full=True).blocks == 0
        assert full.gc().blocks == 0
        assert inc.verify() == [] and full.verify() == []


def test_full_gc_repairs_drifted_counts(repo):
    roots = _build_history(repo)
    live = set().union(*(dag_blocks(repo, p.cid) for p in repo.pins.list(type="recursive")))
    live |= {p.cid.multihash for p in repo.pins.list(type="direct")}
    garbage = stored(repo) - live
    assert garbage
    repo.pins.conn.execute("UPDATE refs SET rc = rc + 5")
    drift = repo.pins.check_counts()
    assert drift and {p.kind for p in drift} == {"refcount"}
    assert {p.kind for p in repo.verify()} == {"refcount"}
    assert repo.gc().blocks == 0  # the drifted counts keep everything from incremental gc
    result = repo.gc(full=True)
    assert set(result.freed) == garbage
    assert stored(repo) == live
    assert repo.pins.check_counts() == []
    assert repo.verify() == []
    assert repo.gc().blocks == 0
    # counts too low are repaired as well, and the blocks they would lose are kept
    repo.pins.conn.execute("UPDATE refs SET rc = 0 WHERE rc > 0")
    assert repo.pins.check_counts()
    assert repo.gc(full=True).blocks == 0
    assert repo.pins.check_counts() == []
    assert stored(repo) == live
    repo.unpin(roots["b"])
    assert repo.gc().blocks > 0
    assert repo.verify() == []


def test_gc_touches_only_what_it_frees(repo):
    big = repo.add(blob("big", 120 * CHUNK), name="big", **OPTS).root
    small = repo.add([Entry("s/f.bin", content=blob("small", 3 * CHUNK))], **OPTS).root
    big_blocks, small_blocks = dag_blocks(repo, big), dag_blocks(repo, small)
    assert len(big_blocks) > 100
    repo.unpin(small)
    touched: list[tuple[str, bytes | None]] = []
    store = repo.blocks
    for name in ("has", "get", "size_of", "delete", "delete_mh", "keys", "stat"):
        original = getattr(store, name)

        def spy(*args, _name=name, _orig=original, **kw):
            arg = args[0] if args else None
            touched.append((_name, arg.multihash if isinstance(arg, CID) else arg))
            return _orig(*args, **kw)

        setattr(store, name, spy)
    try:
        result = repo.gc()
    finally:
        for name in ("has", "get", "size_of", "delete", "delete_mh", "keys", "stat"):
            delattr(store, name)
    assert set(result.freed) == small_blocks
    assert result.blocks == len(small_blocks)
    assert all(name not in ("keys", "stat") for name, _ in touched)
    assert {mh for _name, mh in touched} <= small_blocks
    assert stored(repo) == big_blocks


@pytest.mark.parametrize("kind", KINDS)
def test_gc_in_small_chunks_and_batches_frees_what_one_pass_frees(make_repo, kind):
    one, many = make_repo(kind), make_repo(kind)
    _build_history(one)
    _build_history(many)
    for r in (one, many):  # more garbage, some of it shared with what stays pinned
        r.add([Entry("g/same.bin", content=SAME), Entry("g/own.bin", content=blob("g", 9 * CHUNK))],
              pin=False, **OPTS)
    a = one.gc()
    b = many.pins.gc(batch=5, chunk=2)  # many transactions, several chunks in each
    assert set(a.freed) == set(b.freed) != set()
    assert (a.blocks, a.bytes) == (b.blocks, b.bytes)
    assert stored(one) == stored(many)
    assert many.pins.conn.execute("SELECT COUNT(*) FROM unreferenced").fetchone()[0] == 0
    assert many.verify() == [] and many.pins.check_counts() == []
    assert many.gc().blocks == 0 and many.gc(full=True).blocks == 0


@pytest.mark.parametrize("kind", KINDS)
def test_gc_in_chunks_skips_pending_blocks_and_they_are_listed_again(make_repo, kind):
    repo = make_repo(kind)
    loose = [repo.block_put(b"loose block %d" % i) for i in range(12)]
    kept = repo.block_put(b"kept block", pin=True)
    with repo.pins.lease() as lease:
        lease.record([(c, [], None) for c in loose[::2]])  # an import in progress writes them again
        freed = repo.pins.gc(batch=4, chunk=3)
        assert set(freed.freed) == {c.multihash for c in loose[1::2]}
        assert all(repo.has(c) for c in loose[::2])
    # the import ended without pinning them: collectable again
    assert set(repo.gc().freed) == {c.multihash for c in loose[::2]}
    assert repo.has(kept) and repo.verify() == []


def test_gc_reports_the_sizes_its_writers_recorded(repo):
    """Each block's size is recorded with it (refs.size), and gc reports what it frees from
    those sizes: a size changed behind its back is what comes out, so no block was measured
    again (on fs, that saves a stat per file). A block whose size is not known is measured."""
    loose = repo.add(blob("sized", 3 * CHUNK), pin=False, **OPTS).root
    mhs = sorted(dag_blocks(repo, loose))
    conn = repo.pins.conn
    rows = dict(conn.execute("SELECT mh, size FROM refs"))
    assert {mh: rows[mh] for mh in mhs} == {mh: repo.blocks.size_of(mh) for mh in mhs}
    conn.execute("UPDATE refs SET size = 123456 WHERE mh = ?", (mhs[0],))
    conn.execute("UPDATE refs SET size = NULL WHERE mh = ?", (mhs[1],))
    true_sizes = {mh: repo.blocks.size_of(mh) for mh in mhs}
    result = repo.gc()
    assert sorted(result.freed) == mhs
    # (LMDB reads each value's length as it deletes it, so it measures at no cost)
    given = 123456 if not isinstance(repo.blocks, LMDBBlockstore) else true_sizes[mhs[0]]
    assert result.bytes == sum(true_sizes.values()) - true_sizes[mhs[0]] + given
    assert stored(repo) == set()


def test_gc_on_s3_frees_recorded_sizes_without_a_head(tmp_path, s3_bucket):
    """On S3 a HEAD per freed block was most of gc's requests: the sizes the writers
    recorded stand in for them, and only the deletes go out (botocore's own event hook
    counts the requests; nothing is replaced)."""
    repo = Repo.init(tmp_path / "repo", backend=f"s3://{s3_bucket.name}/blocks",
                     s3_endpoint=s3_bucket.endpoint)
    try:
        loose = repo.add(blob("on s3", 5 * CHUNK), pin=False, **OPTS).root
        mhs = sorted(dag_blocks(repo, loose))
        sizes = {mh: repo.blocks.size_of(mh) for mh in mhs}
        methods: list[str] = []
        repo.blocks._s3.meta.events.register(
            "before-send.s3", lambda request, **kw: methods.append(request.method))
        result = repo.gc()
        assert sorted(result.freed) == mhs
        assert result.bytes == sum(sizes.values())
        assert "HEAD" not in methods and methods.count("POST") == 1  # one DeleteObjects
        assert stored(repo) == set()
    finally:
        repo.close()
