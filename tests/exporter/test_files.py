"""pinfold.exporter.files: ``cat``, whole and ranged, lazy, on broken DAGs and inline CIDs."""

from __future__ import annotations

import functools
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pinfold
from pinfold import CID, Entry
from pinfold.codecs import dagpb
from pinfold.codecs.unixfs import NodeType, UnixFSData
from pinfold.errors import (
    BlockNotFoundError,
    DecodeError,
    NotAFileError,
    PinfoldError,
)
from pinfold.exporter import (
    cat,
    cat_bytes,
    ls,
    stat,
    walk,
)

from .helpers import DEEP, MTIME, DictBlocks, build, node_of, rand


def own_size(blocks: DictBlocks, cid: CID) -> int:
    if cid.codec == "raw":
        return len(blocks.raw(cid))
    return node_of(blocks, cid)[1].filesize


def leaf_path(blocks: DictBlocks, cid: CID, offset: int) -> list[CID]:
    """Oracle: the CIDs from ``cid`` down to the leaf holding byte ``offset``, found with each
    child's own filesize (not the parent's blocksizes, which the exporter uses)."""
    path = [cid]
    while cid.codec != "raw":
        pb, fs = node_of(blocks, cid)
        own = len(fs.data or b"")
        if offset < own:
            return path
        offset -= own
        for lk in pb.links:
            size = own_size(blocks, lk.cid)
            if offset < size:
                cid = lk.cid
                path.append(cid)
                break
            offset -= size
        else:
            raise AssertionError("offset past the end")
    return path


def depth(blocks: DictBlocks, cid: CID) -> int:
    d = 0
    while cid.codec != "raw":
        pb = dagpb.decode(blocks.raw(cid))
        if not pb.links:
            break
        cid = pb.links[0].cid
        d += 1
    return d


LAYOUTS = {
    "balanced": dict(DEEP),
    "balanced-raw": dict(DEEP, raw_leaves=True),
    "balanced-v1": dict(DEEP, cid_version=1),
    "trickle": dict(DEEP, layout="trickle"),
    "trickle-raw-v1": dict(DEEP, layout="trickle", cid_version=1),
    "inline": dict(DEEP, inline=True, inline_limit=64, raw_leaves=True),
    "attrs": dict(DEEP, mode=0o600, mtime=MTIME),
    "rabin": dict(chunker="rabin-32-128-256", max_links=3),
}


@functools.cache
def built_file(layout: str, size: int) -> tuple[DictBlocks, CID, bytes]:
    data = rand(size, size)
    blocks, result = build(data, **LAYOUTS[layout])
    return blocks, result.root, data


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4000, 17_001, 70_000])
def test_cat_round_trip(layout, size):
    blocks, root, data = built_file(layout, size)
    assert b"".join(cat(blocks, root)) == data
    assert cat_bytes(blocks, root.to_v1()) == data  # the same multihash under CIDv1
    st_ = stat(blocks, root)
    assert st_.is_file and st_.size == size


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    size=st.sampled_from([0, 5, 1000, 3999, 12_345, 40_000]) | st.integers(0, 30_000),
    offset=st.integers(0, 32_000),
    length=st.none() | st.integers(0, 32_000),
)
def test_cat_ranges(layout, size, offset, length):
    blocks, root, data = built_file(layout, size)
    offset = min(offset, size + 10)
    expected = data[offset:] if length is None else data[offset : offset + length]
    assert cat_bytes(blocks, root, offset, length) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layout=st.sampled_from(sorted(LAYOUTS)),
    size=st.sampled_from([0, 1000, 3999, 40_000]) | st.integers(0, 30_000),
    offset=st.integers(0, 32_000),
    length=st.none() | st.integers(0, 32_000),
)
def test_cat_with_buffers_reads_the_same_bytes(layout, size, offset, length):
    """``buffers=True`` hands out views into the blocks instead of copies: the same bytes,
    in the same pieces."""
    blocks, root, data = built_file(layout, size)
    offset = min(offset, size + 10)
    copies = list(cat(blocks, root, offset, length))
    views = list(cat(blocks, root, offset, length, buffers=True))
    assert [bytes(v) for v in views] == copies
    assert b"".join(views) == b"".join(copies)
    assert all(type(c) is bytes for c in copies)


def test_cat_with_buffers_does_not_copy_dag_pb_leaves():
    blocks, root, data = built_file("balanced", 70_000)
    pieces = list(cat(blocks, root, buffers=True))
    assert len(pieces) > 1 and all(type(p) is memoryview for p in pieces)
    assert b"".join(pieces) == data


@pytest.mark.parametrize("layout", ["balanced", "balanced-raw", "trickle", "trickle-raw-v1"])
def test_ranged_read_fetches_one_root_to_leaf_path(layout):
    blocks, result = build(rand(100_000), **LAYOUTS[layout])
    root = result.root
    if layout.startswith("balanced"):
        assert depth(blocks, root) == 4  # 100 leaves, 4 links per node
    for offset in (0, 27_013, 50_000, 63_499, 99_000):
        blocks.reset()
        chunk = cat_bytes(blocks, root, offset, 500)  # inside one 1000-byte leaf
        assert len(chunk) == 500
        expected = leaf_path(blocks, root, offset)
        assert blocks.fetched == expected
        if layout.startswith("balanced"):
            assert len(blocks.fetched) == 4 + 1
    # a read spanning two adjacent leaves fetches the union of their paths, each block once
    blocks.reset()
    assert len(cat_bytes(blocks, root, 63_900, 200)) == 200
    union = set(leaf_path(blocks, root, 63_900)) | set(leaf_path(blocks, root, 64_099))
    assert set(blocks.fetched) == union and len(blocks.fetched) == len(union)


def test_one_kib_from_the_middle_of_a_deep_file():
    blocks, result = build(rand(600_000), chunker="size-4096", max_links=3)
    d = depth(blocks, result.root)
    assert d >= 4
    blocks.reset()
    assert cat_bytes(blocks, result.root, 300 * 1024, 1024) == rand(600_000)[300 * 1024 :][:1024]
    assert len(blocks.fetched) == d + 1


def test_cat_is_lazy_and_streams_with_bounded_memory():
    blocks, result = build(bytes(16 << 20), raw_leaves=True)  # 64 identical 256 KiB leaves
    blocks.reset()
    it = cat(blocks, result.root)
    assert len(blocks.fetched) == 1  # only the root before iterating
    next(it)
    assert len(blocks.fetched) == 2
    tracemalloc.start()
    try:
        total = sum(len(c) for c in it)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == (16 << 20) - (256 << 10)
    assert peak < 2 << 20, peak


def test_small_and_empty_files():
    empty = CID("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")
    blocks, r = build(b"")
    assert r.root == empty and cat_bytes(blocks, empty) == b""
    assert stat(blocks, empty).type == "file" and stat(blocks, empty).size == 0
    blocks, r = build(b"", cid_version=1)  # the empty raw block
    assert r.root.codec == "raw" and cat_bytes(blocks, r.root) == b""
    # the identity empty raw block needs no store at all
    nothing = DictBlocks()
    probe = CID("bafkqaaa")
    assert cat_bytes(nothing, probe) == b"" and list(cat(nothing, probe)) == []
    s = stat(nothing, probe)
    assert (s.type, s.size, s.dag_size, s.blocks, s.is_file) == ("raw", 0, 0, 1, True)
    assert list(walk(nothing, probe)) == [(probe, b"")]
    # single-block files: dag-pb leaf, trickle root with one link, raw root
    hello = b"Hello Worlds!\n"
    for opts, cid in [({}, "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"),
                      ({"layout": "trickle"}, "QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi"),
                      ({"cid_version": 1}, None)]:
        blocks, r = build(hello, **opts)
        assert cid is None or str(r.root) == cid
        assert cat_bytes(blocks, r.root) == hello
        assert cat_bytes(blocks, r.root, 6, 6) == b"Worlds"
        assert stat(blocks, r.root).size == len(hello)
    assert nothing.fetched == []


def test_cat_arguments_and_eof():
    blocks, root, data = built_file("balanced", 4000)
    with pytest.raises(PinfoldError, match="offset must be 0 or more"):
        cat(blocks, root, -1)  # raised at the call, before iterating
    with pytest.raises(PinfoldError, match="length must be 0 or more"):
        cat(blocks, root, 0, -5)
    with pytest.raises(TypeError):
        cat(blocks, root, 1.5)
    assert cat_bytes(blocks, root, 4000) == b""
    assert cat_bytes(blocks, root, 10**12, 10) == b""
    assert cat_bytes(blocks, root, 3990, 10**12) == data[3990:]
    assert cat_bytes(blocks, root, 5, 0) == b""


def test_cat_refuses_non_files():
    blocks, r = build([Entry("d/f", b"x"), Entry("d/l", link="f"), Entry("d/e", dir=True)])
    for path, what in [(r.root, "directory"), (f"{r.root}/l", "symlink"),
                       (f"{r.root}/e", "directory")]:
        with pytest.raises(NotAFileError, match=f"is a {what}, not a file"):
            cat(blocks, path)
    shard, sr = build([Entry(f"d/{i}", b"x") for i in range(5)], hamt_threshold=1)
    with pytest.raises(NotAFileError, match="directory"):
        cat(shard, sr.root)
    cbor = CID.v1("dag-cbor", b"\x12\x20" + bytes(32))
    with pytest.raises(NotAFileError, match="dag-cbor"):
        cat(blocks, cbor)
    assert cat_bytes(blocks, f"/ipfs/{r.root}/f") == b"x"


def test_cat_missing_leaf_raises_while_iterating():
    blocks, result = build(rand(5000), **DEEP)
    leaf = dagpb.decode(blocks.raw(result.root)).links[-1].cid
    del blocks.data[leaf.multihash]
    it = cat(blocks, result.root)
    with pytest.raises(BlockNotFoundError, match=str(leaf)):
        b"".join(it)
    assert cat_bytes(blocks, result.root, 0, 1000) == rand(5000)[:1000]  # other leaves fine


def test_getter_returning_none_means_missing():
    class NoneBlocks:
        def get(self, cid):
            return None

    cid = pinfold.cid_of(b"abc")
    with pytest.raises(BlockNotFoundError, match=str(cid)):
        cat(NoneBlocks(), cid)


def test_corrupt_file_dags():
    b = DictBlocks()
    leaf = b.put_bytes(b"abc", "raw")
    # the parent claims 5 bytes for a 3-byte child
    lying = b.put_node([(leaf, b"", 3)],
                       UnixFSData(NodeType.FILE, filesize=5, blocksizes=[5]))
    with pytest.raises(DecodeError, match="holds 5 bytes, it holds 3"):
        cat_bytes(b, lying)
    # one blocksize for two links
    uneven = b.put_node([(leaf, b"", 3), (leaf, b"", 3)],
                        UnixFSData(NodeType.FILE, filesize=3, blocksizes=[3]))
    with pytest.raises(DecodeError, match="2 links but 1 blocksizes"):
        cat(b, uneven)
    # filesize disagrees with data + blocksizes
    wrong = b.put_node([(leaf, b"", 3)], UnixFSData(NodeType.FILE, filesize=9, blocksizes=[3]))
    with pytest.raises(DecodeError, match="filesize 9"):
        cat(b, wrong)
    # a file node linking to a directory
    d = b.put_node([], UnixFSData(NodeType.DIRECTORY))
    into_dir = b.put_node([(d, b"", 4)], UnixFSData(NodeType.FILE, filesize=0, blocksizes=[0]))
    assert cat_bytes(b, into_dir) == b""  # zero-size children are skipped, never fetched
    into_dir = b.put_node([(d, b"", 4)], UnixFSData(NodeType.FILE, filesize=2, blocksizes=[2]))
    with pytest.raises(DecodeError, match="a directory node"):
        cat_bytes(b, into_dir)
    # data in the node itself plus children (legal, and read in order)
    both = b.put_node([(leaf, b"", 3)],
                      UnixFSData(NodeType.FILE, data=b"xy", filesize=5, blocksizes=[3]))
    assert cat_bytes(b, both) == b"xyabc" and cat_bytes(b, both, 1, 2) == b"ya"
    # dag-pb without Data is not UnixFS
    bare = b.put_node([], None)
    with pytest.raises(DecodeError, match="without Data"):
        cat(b, bare)


def test_inline_cids_are_never_fetched():
    entries = [Entry("d/tiny", b"tiny"), Entry("d/e", dir=True), Entry("d/big", rand(5000)),
               Entry("d/l", link="tiny")]
    blocks, r = build(entries, inline=True, raw_leaves=True, cid_version=1, **DEEP)
    listing = {e.name: e for e in ls(blocks, r.root)}
    assert listing["tiny"].cid.hash_code == 0 and listing["e"].cid.hash_code == 0
    assert listing["tiny"].size == 4
    assert cat_bytes(blocks, f"{r.root}/tiny") == b"tiny"
    assert cat_bytes(blocks, f"{r.root}/big") == rand(5000)
    assert ls(blocks, f"{r.root}/e") == []
    assert stat(blocks, r.root).dag_size == r.bytes
    inline_dir = CID("bafyaabakaieac")  # the empty directory, inlined
    nothing = DictBlocks()
    assert ls(nothing, inline_dir) == [] and stat(nothing, inline_dir).type == "directory"
    assert nothing.fetched == []
