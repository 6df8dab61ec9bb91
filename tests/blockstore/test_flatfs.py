"""pinfold.blockstore.flatfs: keys named by the multihash in base32, deletes in parallel."""

from __future__ import annotations

import os
import random

import pytest

from pinfold.block import Block
from pinfold.blockstore import LMDBBlockstore
from tests.repo.helpers import BACKENDS, raw_cid


def _many_blocks(n: int) -> list[Block]:
    return [Block(raw_cid(b"block %d" % i), b"block %d" % i) for i in range(n)]


@pytest.mark.parametrize("numpy_names", [False, True])
@pytest.mark.parametrize("backend", BACKENDS)
def test_delete_many_skips_missing_blocks_in_any_order(tmp_path, backend, monkeypatch,
                                                       numpy_names):
    from pinfold.blockstore import FlatFSBlockstore, flatfs, keys

    monkeypatch.setattr(flatfs, "_PARALLEL_MIN", 16)  # the threaded path, on a small batch
    monkeypatch.setattr(flatfs, "DELETE_WORKERS", 4)
    if numpy_names:
        import numpy  # noqa: F401 - the test extra installs it
        monkeypatch.setattr(keys, "NUMPY_MIN", 1)  # named by numpy, as gc's large batches
    store = (FlatFSBlockstore(tmp_path / "b", fsync=False) if backend == "fs"
             else LMDBBlockstore(tmp_path / "b", fsync=False))
    try:
        blocks = _many_blocks(300)
        store.put_many(blocks)
        for b in blocks[:7]:
            store.delete(b.cid)
        mhs = [b.cid.multihash for b in blocks] + [raw_cid(b"never stored").multihash]
        random.Random(3).shuffle(mhs)
        sizes = store.delete_many(mhs)
        assert sizes == {b.cid.multihash: len(b.data) for b in blocks[7:]}
        assert list(store.keys()) == []
        assert store.delete_many(mhs[:20]) == {}
    finally:
        store.close()


def test_writeback_started_while_a_batch_is_written_leaves_the_bytes_intact(tmp_path):
    """put_many starts each file's writeback as it is written (sync_file_range on Linux, a
    hint: the batch's syncfs still makes it durable); the blocks read back whole."""
    import sys

    from pinfold.blockstore import flatfs

    if sys.platform.startswith("linux"):
        assert flatfs._sync_file_range is not None
    path = tmp_path / "f"
    with open(path, "wb") as f:
        f.write(b"x" * 70_000)
        f.flush()
        flatfs._start_writeback(f.fileno())  # returns at once, raises nothing
    assert path.read_bytes() == b"x" * 70_000
    store = flatfs.FlatFSBlockstore(tmp_path / "blocks", fsync=True)
    blocks = [Block(raw_cid(d), d) for d in (os.urandom(1), os.urandom(300_000))]
    store.put_many(blocks)
    assert [store.get(b.cid) for b in blocks] == [b.data for b in blocks]


def test_a_block_made_of_parts_is_written_without_joining_them(tmp_path):
    """An importer's leaf is a frame and a chunk (Block(parts=...)); flatfs writes the parts
    as they are and the file holds their concatenation, which reads back verified."""
    from pinfold.blockstore.flatfs import FlatFSBlockstore

    frame, chunk = b"\x0a\x05head", memoryview(os.urandom(200_000))
    whole = frame + bytes(chunk)
    blk = Block(raw_cid(whole), parts=(frame, chunk))
    assert blk.buffers() == (frame, chunk) and blk.size == len(whole)
    store = FlatFSBlockstore(tmp_path / "blocks", fsync=True)
    store.put_many([blk])
    assert store.get(blk.cid) == whole
    assert Block(blk.cid, whole).buffers() == (whole,)


@pytest.mark.parametrize("first", ["put", "delete"])
def test_a_dead_writers_temporaries_go_at_the_first_write_or_delete_not_at_open(tmp_path,
                                                                                 first):
    """Reads leave them (opening a store lists no shards); the first write or delete of the
    store removes those of dead writers and keeps a live writer's."""
    import subprocess
    import sys

    from pinfold.blockstore.flatfs import FlatFSBlockstore

    store = FlatFSBlockstore(tmp_path / "blocks", fsync=False)
    kept = Block(raw_cid(b"kept"), b"kept")
    store.put(kept)
    store.close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shard = tmp_path / "blocks" / "AB"
    stale = shard / f".tmp-{dead}-0123456789abcdef"
    live = shard / f".tmp-{os.getpid()}-fedcba9876543210"
    stale.write_bytes(b"half a block")
    live.write_bytes(b"being written")
    store = FlatFSBlockstore(tmp_path / "blocks", fsync=False)
    assert store.get(kept.cid) == b"kept" and store.has(kept.cid)
    assert stale.exists() and live.exists()
    if first == "put":
        store.put(Block(raw_cid(b"new"), b"new"))
    else:
        assert store.delete_many([raw_cid(b"absent").multihash]) == {}
    assert not stale.exists() and live.exists()
    store.close()


@pytest.mark.parametrize("way", ["serial", "threads", "threads, numpy names"])
def test_delete_many_reports_known_sizes_without_measuring(tmp_path, monkeypatch, way):
    """Sizes the caller knows (gc: recorded in the pin set) are reported as given, with no
    stat; a block given a size but not stored is not reported; the rest are measured."""
    from pinfold.blockstore import FlatFSBlockstore, flatfs, keys

    monkeypatch.setattr(flatfs, "_PARALLEL_MIN", 10_000 if way == "serial" else 16)
    monkeypatch.setattr(flatfs, "DELETE_WORKERS", 4)
    if "numpy" in way:
        import numpy  # noqa: F401 - the test extra installs it
        monkeypatch.setattr(keys, "NUMPY_MIN", 1)
    store = FlatFSBlockstore(tmp_path / "b", fsync=False)
    try:
        blocks = _many_blocks(300)
        store.put_many(blocks)
        absent = raw_cid(b"never stored").multihash
        known = {b.cid.multihash: 7000 + i for i, b in enumerate(blocks[:200])}
        known[absent] = 5
        stats = []
        real_stat = os.stat

        def counted_stat(*a, **k):
            stats.append(a)
            return real_stat(*a, **k)

        monkeypatch.setattr(flatfs.os, "stat", counted_stat)
        sizes = store.delete_many([b.cid.multihash for b in blocks] + [absent], known)
        monkeypatch.undo()
        assert sizes == {**{mh: s for mh, s in known.items() if mh != absent},
                         **{b.cid.multihash: len(b.data) for b in blocks[200:]}}
        assert len(stats) == 100
        assert list(store.keys()) == []
    finally:
        store.close()


class Payload(bytearray):
    """Block bytes a test can hold a weak reference to."""


def test_each_blocks_bytes_are_freed_once_its_file_is_written(tmp_path):
    # flatfs empties put_many's list as it writes, so a batch's bytes are not all held
    # through its syncs: when a file is about to be written, the earlier ones' bytes are gone
    import hashlib
    import weakref

    from pinfold import CID
    from pinfold.blockstore.flatfs import FlatFSBlockstore

    refs, cids = [], []

    def blocks():
        for i in range(5):
            data = Payload(b"payload %d " % i + os.urandom(1000))
            refs.append(weakref.ref(data))
            # the codec by number: a codec's name is looked up in multiformats, whose
            # argument checks keep the caller's frame (and this data) alive
            cids.append(CID.v1(0x55, b"\x12\x20" + hashlib.sha256(data).digest()))
            yield Block(cids[-1], data)
            del data

    alive = []

    class Watching(FlatFSBlockstore):
        def _file(self, mh):
            alive.append(sum(r() is not None for r in refs))
            return super()._file(mh)

    store = Watching(tmp_path / "blocks", fsync=True)
    store.put_many(blocks())
    assert alive == [5, 4, 3, 2, 1]  # the one about to be written and those after it
    assert all(r() is None for r in refs)
    assert [store.get(c)[:9] for c in cids] == [b"payload %d" % i for i in range(5)]
