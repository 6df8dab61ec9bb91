"""pinfold.pins.leases: an import's lease keeps its blocks through a gc."""

from __future__ import annotations

import pytest

import pinfold
from pinfold.repo import Repo
from tests.repo.helpers import BACKENDS, OPTS, dag_blocks, raw_cid, stored, two_dirs


@pytest.fixture(params=BACKENDS)
def disk_repo(request, make_repo):
    return make_repo(request.param)


def dag_blocks_of_tree(entries) -> set[bytes]:
    scratch = Repo.memory()
    try:
        return dag_blocks(scratch, scratch.add(entries, **OPTS).root)
    finally:
        scratch.close()


def test_gc_during_an_import_keeps_its_blocks(make_repo, monkeypatch):
    """Another handle on the same repo collects garbage while an import is half stored: the
    import's blocks (some of them on the gc list from an unpinned DAG) are kept. (fs: LMDB
    cannot have two handles in one process; test_crash.py runs gc in another process.)"""
    import pinfold.repo.writer as repo_module

    disk_repo = make_repo("fs")

    monkeypatch.setattr(repo_module, "BATCH_BLOCKS", 3)
    a, b = two_dirs()
    ra = disk_repo.add(a, **OPTS).root
    assert dag_blocks(disk_repo, ra) == dag_blocks_of_tree(a)
    disk_repo.unpin(ra)  # a's blocks, including the shared file, are now garbage
    other = Repo(disk_repo.path)
    freed: list[bytes] = []

    def on_block(_blk):
        freed.extend(other.gc().freed)

    try:
        job = pinfold.Importer(None, **OPTS).import_(b)
        result = disk_repo.store(job, on_block=on_block)
        rb = result.root
        assert dag_blocks(disk_repo, rb)
        assert other.verify() == []
        freed.extend(other.gc().freed)
    finally:
        other.close()
    # what gc freed before the import wrote it again is back: the DAG is complete and pinned
    blocks_b = dag_blocks(disk_repo, rb)
    assert stored(disk_repo) == blocks_b
    assert set(freed) >= dag_blocks_of_tree(a) - blocks_b
    assert disk_repo.verify() == []


def test_a_lease_row_is_written_with_its_first_record(tmp_path):
    repo = Repo.init(str(tmp_path / "r"))
    count = lambda: repo.pins.conn.execute("SELECT COUNT(*) FROM leases").fetchone()[0]  # noqa: E731
    lease = repo.pins.lease()
    assert count() == 0  # a lease that holds nothing writes nothing
    cid = repo.dag_put({"a": 1})
    lease.record([(cid, [])])  # (no size: an item as before sizes were recorded)
    assert count() == 1
    lease.close()
    assert count() == 0
    empty = repo.pins.lease()
    empty.close()  # never recorded: nothing to end
    assert count() == 0
    repo.close()


def test_a_failed_lease_forgets_the_sizes_of_what_nothing_keeps(repo):
    """A writer that stopped on an error may have recorded blocks it never wrote: closing
    its lease as failed drops their recorded sizes (gc then measures them), except for
    blocks a pin keeps, which are stored. A lease closed normally keeps its sizes."""
    pinned = repo.add(b"pinned bytes").root
    pinned_size = repo.blocks.size_of(pinned.multihash)
    sizes = lambda: {bytes(mh): size for mh, size in  # noqa: E731
                     repo.pins.conn.execute("SELECT mh, size FROM refs")}
    ok, failed = raw_cid(b"closed normally"), raw_cid(b"recorded, never written")
    with repo.pins.lease() as lease:
        lease.record([(ok, [], 15)])
    with pytest.raises(RuntimeError), repo.pins.lease() as lease:
        lease.record([(failed, [], 23), (pinned, [], pinned_size)])
        raise RuntimeError("the writer failed")
    got = sizes()
    assert got[ok.multihash] == 15
    assert got[failed.multihash] is None
    assert got[pinned.multihash] == pinned_size


def test_gc_on_s3_does_not_count_what_a_failed_writer_never_wrote(tmp_path, s3_bucket):
    """A writer records a batch, then its upload fails (here: its bucket was deleted after
    the store opened it). gc on S3 trusts recorded sizes without a HEAD, so the failed
    lease must not leave them: the block is measured, found absent, and not counted."""
    from pinfold.block import Block
    from pinfold.blockstore import S3Blockstore
    from pinfold.blockstore.s3 import S3StoreError
    from pinfold.repo import BlockWriter

    repo = Repo.init(tmp_path / "repo", backend=f"s3://{s3_bucket.name}/blocks",
                     s3_endpoint=s3_bucket.endpoint)
    client = s3_bucket.client()
    client.create_bucket(Bucket="pinfold-deleted-bucket")
    nowhere = S3Blockstore("pinfold-deleted-bucket", "blocks", endpoint_url=s3_bucket.endpoint)
    client.delete_bucket(Bucket="pinfold-deleted-bucket")
    try:
        data = b"recorded, then its upload failed"
        blk = Block(raw_cid(data), data, links=())
        with pytest.raises(S3StoreError), BlockWriter(repo.pins, nowhere) as w:
            w.put(blk)
        result = repo.gc()
        assert result.blocks == 0 and result.bytes == 0 and result.freed == []
        assert repo.pins.stats()["unreferenced_blocks"] == 0
    finally:
        nowhere.close()
        repo.close()
