"""pinfold.repo.writer: the block writer records links, batches, checks before recording."""

from __future__ import annotations

import pytest

from pinfold import CID
from pinfold.block import Block
from pinfold.errors import CorruptBlockError

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
