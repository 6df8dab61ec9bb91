"""pinfold.repo.writer: the block writer records links, batches, checks before recording."""

from __future__ import annotations

import threading
import weakref

import pytest

from pinfold import CID
from pinfold.block import Block
from pinfold.blockstore.memory import MemoryBlockstore
from pinfold.errors import CorruptBlockError
from pinfold.exporter import cat

from .helpers import raw_cid


# -- the block writer and the pin-set interface ---------------------------------------------------
def test_the_block_writer_records_links_batches_and_checks_before_recording(repo, monkeypatch):
    from pinfold import ipld
    from pinfold.repo import BlockWriter, writer

    leaf = Block(raw_cid(b"leaf"), b"leaf", links=())
    cid, data = ipld.block_of({"l": leaf.cid, "again": [leaf.cid]}, "dag-cbor", "sha2-256")
    with repo.writer() as w:
        w.put(leaf)
        w.put(Block(cid, data))  # links not given: read from its bytes
        (pin,) = w.pin([cid], name="w")
    assert pin.status == "pinned" and repo.pins.pinned_type(leaf.cid) == "indirect"
    assert repo.pins.check_counts() == [] and w.lease.closed
    # batches of BATCH_BLOCKS, each checked before it is recorded and written
    monkeypatch.setattr(writer, "BATCH_BLOCKS", 4)
    batches: list[list[CID]] = []
    blocks = [Block(raw_cid(b"b%d" % i), b"b%d" % i) for i in range(10)]
    with BlockWriter(repo.pins, repo.blocks, check=lambda b: batches.append(
            [x.cid for x in b])) as w:
        w.write(iter(blocks))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sum(batches, []) == [b.cid for b in blocks]
    assert all(repo.has(b.cid) for b in blocks)
    # a check that fails: the batch is neither recorded nor written, and the error comes out

    def refuse(batch):
        raise CorruptBlockError(batch[0].cid)

    bad = Block(raw_cid(b"bad"), b"bad")
    with pytest.raises(CorruptBlockError), BlockWriter(repo.pins, repo.blocks, check=refuse) as w:
        w.put(bad)
    assert not repo.has(bad.cid) and repo.pins.known_cid(bad.cid.multihash) is None
    assert set(repo.gc().freed) == {b.cid.multihash for b in blocks}
    assert repo.verify() == []


class Joins(Block):
    """A block made of buffers (as the importer makes a leaf: its frame and its chunk) that
    counts how often its bytes are joined into one."""

    __slots__ = ("joined",)

    def __init__(self, cid, parts):
        super().__init__(cid, parts=parts, links=())
        self.joined = 0

    @property
    def data(self) -> bytes:
        self.joined += 1
        return super().data


def test_the_writer_records_sizes_without_joining_a_blocks_buffers(make_repo):
    """Recording a block's size must not join its buffers (a copy of every byte added, which
    flatfs's writev skips): a regression of 2026-12-07 did, for every leaf of every add."""
    repo = make_repo("fs")
    parts = (b"\x0a\x04", memoryview(b"abcd" * 1000))
    joined = b"".join(parts)
    cid = raw_cid(joined)
    blk = Joins(cid, parts)
    with repo.writer() as w:
        w.put(blk)
        w.finish()
    assert blk.joined == 0
    assert repo.blocks.get(cid) == joined
    assert dict(repo.pins.conn.execute("SELECT mh, size FROM refs"))[cid.multihash] == len(joined)


# -- more than one write stream -------------------------------------------------------------------
class TwoStreams(MemoryBlockstore):
    """A memory store that asks for two write streams and proves it gets them: each of the
    first two batches waits at a barrier until the other's write has begun."""

    write_streams = 2

    def __init__(self, fail_on: int | None = None) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=60)
        self.lock = threading.Lock()
        self.calls = 0
        self.fail_on = fail_on
        self.threads: set[int] = set()

    def put_many(self, blocks):
        blocks = list(blocks)
        with self.lock:  # two threads count: each call gets a number of its own
            self.calls += 1
            call = self.calls
            self.threads.add(threading.get_ident())
        if call <= 2:
            self.barrier.wait()  # BrokenBarrierError unless two writes run at once
        if call == self.fail_on:
            raise OSError("disk gone")
        super().put_many(blocks)


def test_a_store_with_two_write_streams_has_two_batches_written_at_once(make_repo, monkeypatch):
    from pinfold.repo import BlockWriter, writer

    repo = make_repo("memory")
    monkeypatch.setattr(writer, "BATCH_BLOCKS", 3)
    store = TwoStreams()
    blocks = [Block(raw_cid(b"s%d" % i), b"s%d" % i) for i in range(20)]
    with BlockWriter(repo.pins, store) as w:
        w.write(iter(blocks))
        w.finish()
        # every batch written (in whatever order) before finish returns
        assert all(store.has(b.cid) for b in blocks)
        assert store.calls == 7 and len(store.threads) == 2


def test_a_failed_write_on_either_stream_comes_out_and_fails_the_lease(make_repo, monkeypatch):
    from pinfold.repo import BlockWriter, writer

    repo = make_repo("memory")
    monkeypatch.setattr(writer, "BATCH_BLOCKS", 2)
    store = TwoStreams(fail_on=2)
    blocks = [Block(raw_cid(b"f%d" % i), b"f%d" % i) for i in range(9)]
    closed = []
    with pytest.raises(OSError, match="disk gone"):
        with BlockWriter(repo.pins, store) as w:
            original = w.lease.close
            w.lease.close = lambda *, failed=False: (closed.append(failed), original(failed=failed))
            w.write(iter(blocks))
            w.pin([blocks[0].cid])
    assert closed == [True]
    assert repo.pins.pinned_type(blocks[0].cid) is None  # nothing pinned on a failed write


def test_flatfs_with_fsync_writes_on_two_streams_and_an_add_over_them_is_whole(make_repo,
                                                                                 monkeypatch):
    from pinfold.repo import writer

    assert make_repo("fs", fsync=False).blocks.write_streams == 1
    repo = make_repo("fs", fsync=True)
    assert repo.blocks.write_streams == 2
    monkeypatch.setattr(writer, "BATCH_BLOCKS", 8)
    # 9 MiB of 36 different 256 KiB leaves (a repeated pattern would make them one block)
    # and their parent: 37 blocks, five batches
    data = b"".join(bytes([i]) * (256 << 10) for i in range(36))
    res = repo.add(data)
    assert res.root == make_repo("memory").add(data).root
    assert b"".join(cat(repo, res.root)) == data
    assert repo.verify() == [] and repo.pins.check_counts() == []
    assert repo.gc().freed == []


class Watched(Block):
    """A block a test can hold a weak reference to."""

    __slots__ = ("__weakref__",)


class Counting(MemoryBlockstore):
    """A memory store that counts, when it writes a batch, how many of the blocks it has
    taken (that batch's and the earlier ones') are still alive; ``refs``: a weak reference
    to each block, by multihash."""

    def __init__(self, refs) -> None:
        super().__init__()
        self.refs = refs
        self.taken: set[bytes] = set()
        self.alive: list[int] = []

    def _put_many(self, items):
        self.taken.update(mh for mh, _ in items)
        self.alive.append(sum(self.refs[mh]() is not None for mh in self.taken))
        super()._put_many(items)


def test_the_writer_keeps_no_block_the_store_has_taken(make_repo, monkeypatch):
    # a store's write of a batch is where the batch's bytes wait longest (flatfs: the
    # syncs); by then the writer holds none of the batch's blocks, so a store that frees
    # each block's bytes once written has them freed
    from pinfold.repo import BlockWriter, writer

    repo = make_repo("memory")
    monkeypatch.setattr(writer, "BATCH_BLOCKS", 4)
    refs: dict[bytes, weakref.ref] = {}

    def blocks():
        for i in range(12):
            block = Watched(raw_cid(b"w%d" % i), b"w%d" % i, links=())
            refs[block.cid.multihash] = weakref.ref(block)
            yield block
            del block  # the generator's own reference

    store = Counting(refs)
    with BlockWriter(repo.pins, store) as w:
        w.write(blocks())
        w.finish()
    assert store.alive == [0, 0, 0] and len(store.taken) == 12
    assert all(store.has(raw_cid(b"w%d" % i)) for i in range(12))
