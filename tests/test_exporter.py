"""The UnixFS exporter: resolve, stat, ls, cat, get and walk over DAGs built by the importer,
and over hand-made hostile or corrupt DAGs."""

from __future__ import annotations

import functools
import hashlib
import os
import random
import stat as stat_mod
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pinfold
from pinfold import CID, Entry, Mtime
from pinfold.codecs import dagpb, unixfs
from pinfold.codecs.unixfs import NodeType, UnixFSData
from pinfold.errors import (
    BlockNotFoundError,
    DecodeError,
    InvalidCIDError,
    NotAFileError,
    PathNotFoundError,
    PinfoldError,
)
from pinfold.exporter import (
    Resolved,
    cat,
    cat_bytes,
    dag_totals,
    get,
    ls,
    parse_path,
    resolve,
    stat,
    walk,
)

MTIME = Mtime(1700000000, 5)
DEEP = dict(chunker="size-1000", max_links=4)


class DictBlocks:
    """A block getter (and importer store) over a dict keyed by multihash, so the v0 and v1
    CIDs of the same bytes both resolve. Records every fetch; identity CIDs must never be
    fetched, since their bytes are in the CID."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.fetched: list[CID] = []

    def put(self, block) -> None:
        self.data[block.cid.multihash] = block.data

    def get(self, cid: CID) -> bytes:
        assert cid.hash_code != 0, f"identity CID {cid} was fetched"
        self.fetched.append(cid)
        try:
            return self.data[cid.multihash]
        except KeyError:
            raise BlockNotFoundError(cid) from None

    def raw(self, cid: CID) -> bytes:
        """Bytes without counting a fetch (for test oracles)."""
        return cid.digest if cid.hash_code == 0 else self.data[cid.multihash]

    def reset(self) -> None:
        self.fetched.clear()

    # hand-made blocks
    def put_bytes(self, data: bytes, codec: str = "dag-pb", v1: bool = False) -> CID:
        mh = b"\x12\x20" + hashlib.sha256(data).digest()
        self.data[mh] = data
        if codec == "dag-pb" and not v1:
            return CID.v0(mh)
        return CID.v1(codec, mh)

    def put_node(self, links: list[tuple[CID, bytes, int]], fs: UnixFSData | None) -> CID:
        data = dagpb.encode_node([(c.bytes, n, t) for c, n, t in links],
                                 None if fs is None else unixfs.encode(fs))
        return self.put_bytes(data)


def rand(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def build(source, **opts) -> tuple[DictBlocks, pinfold.ImportResult]:
    blocks = DictBlocks()
    result = pinfold.add(source, blocks, **opts)
    return blocks, result


def node_of(blocks: DictBlocks, cid: CID) -> tuple[dagpb.PBNode, UnixFSData]:
    pb = dagpb.decode(blocks.raw(cid))
    return pb, unixfs.decode(pb.data)


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


# -- cat ---------------------------------------------------------------------------------

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


# -- resolve -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tree():
    entries = [
        Entry("site/index.html", b"<h1>hi</h1>"),
        Entry("site/css/main.css", b"body{}"),
        Entry("site/a b/ü.txt", b"unicode"),
        Entry("site/home", link="index.html"),
        Entry("site/empty", dir=True),
    ]
    return build(entries)


def test_resolve_forms(tree):
    blocks, r = tree
    root = r.root
    css = resolve(blocks, f"{root}/css").cid
    target = resolve(blocks, f"/ipfs/{root}/css/main.css")
    assert target == Resolved(target.cid, root, (root, css), "main.css", ("css", "main.css"))
    assert target.path == f"/ipfs/{root}/css/main.css"
    for form in [f"{root}/css/main.css", f"{root}/css/main.css/", f"{root}//css/./main.css",
                 f"{root}/empty/../css/main.css", f"/ipfs/{root.to_v1()}/css/main.css"]:
        assert resolve(blocks, form).cid == target.cid
    bare = resolve(blocks, root)
    assert (bare.cid, bare.path_cids, bare.name) == (root, (), str(root))
    assert resolve(blocks, str(root)) == bare
    assert resolve(blocks, f"{root}/a b/ü.txt").name == "ü.txt"
    assert cat_bytes(blocks, f"{root}/a b/ü.txt") == b"unicode"
    blocks.reset()
    resolve(blocks, root)
    assert blocks.fetched == []  # a bare CID fetches nothing
    assert parse_path(f"/ipfs/{root}/a/../b/") == (root, ["b"])


def test_resolve_errors(tree):
    blocks, r = tree
    root = r.root
    with pytest.raises(InvalidCIDError):
        resolve(blocks, "notacid/index.html")
    with pytest.raises(InvalidCIDError):
        resolve(blocks, "")
    with pytest.raises(InvalidCIDError, match="no CID"):
        resolve(blocks, "/ipfs/")
    with pytest.raises(PathNotFoundError, match="/ipns/ names are not supported"):
        resolve(blocks, "/ipns/example.com/index.html")
    with pytest.raises(PathNotFoundError, match="unknown namespace 'ipld'"):
        resolve(blocks, f"/ipld/{root}")
    with pytest.raises(PathNotFoundError, match="unknown namespace"):
        resolve(blocks, f"/{root}/index.html")
    with pytest.raises(PathNotFoundError, match="above the root"):
        resolve(blocks, f"{root}/..")
    with pytest.raises(PathNotFoundError) as exc:
        resolve(blocks, f"{root}/css/nope.css")
    assert "'nope.css'" in str(exc.value) and f"/ipfs/{root}/css" in str(exc.value)
    with pytest.raises(PathNotFoundError, match=r"index.html is not a directory \(it is a file"):
        resolve(blocks, f"{root}/index.html/x")
    with pytest.raises(PathNotFoundError, match="it is a symlink"):
        resolve(blocks, f"{root}/home/x")  # symlinks are not followed
    with pytest.raises(TypeError):
        resolve(blocks, 42)
    missing = DictBlocks()
    with pytest.raises(BlockNotFoundError, match=str(root)):
        resolve(missing, f"{root}/index.html")
    css = resolve(blocks, f"{root}/css").cid
    partial = DictBlocks()
    partial.data = {k: v for k, v in blocks.data.items() if k != css.multihash}
    with pytest.raises(BlockNotFoundError, match=str(css)):
        resolve(partial, f"{root}/css/main.css")


# -- HAMT --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hamt_dir():
    names = [f"file-{i:04d}.txt" for i in range(400)]
    entries = [Entry(f"d/{n}", n.encode()) for n in names] + [Entry("d/sub/inner", b"in")]
    blocks, r = build(entries, hamt_threshold=1000)
    return blocks, r, names


def test_hamt_resolve_descends_only_the_hash_path(hamt_dir):
    blocks, r, names = hamt_dir
    assert node_of(blocks, r.root)[1].type == NodeType.HAMT_SHARD
    deepest = 0
    for name in names[::7] + ["sub"]:
        blocks.reset()
        res = resolve(blocks, f"{r.root}/{name}")
        assert blocks.fetched == list(res.path_cids)  # only the shards on the path
        assert res.path_cids[0] == r.root
        assert all(node_of(blocks, c)[1].type == NodeType.HAMT_SHARD for c in res.path_cids)
        deepest = max(deepest, len(res.path_cids))
        if name != "sub":
            assert cat_bytes(blocks, res.cid) == name.encode()
    assert deepest >= 2  # some names live in sub-shards
    assert cat_bytes(blocks, f"/ipfs/{r.root}/sub/inner") == b"in"
    for missing in ["nope", "file-9999.txt", "file-0001.tx", "FILE-0001.txt", "sub2"]:
        with pytest.raises(PathNotFoundError, match=f"no link named '{missing}'"):
            resolve(blocks, f"{r.root}/{missing}")


def test_hamt_ls_stat_walk(hamt_dir):
    blocks, r, names = hamt_dir
    entries = ls(blocks, r.root)
    assert [e.name for e in entries] == sorted(names + ["sub"])
    by_name = {e.name: e for e in entries}
    assert by_name["sub"].type == "directory" and by_name["sub"].size == 0
    assert by_name["file-0007.txt"].type == "file" and by_name["file-0007.txt"].size == 13
    s = stat(blocks, r.root)
    assert (s.type, s.sharded, s.size) == ("directory", True, 0)
    assert s.dag_size == r.bytes and s.blocks == len(list(walk(blocks, r.root)))
    assert stat(blocks, f"{r.root}/sub").sharded is False


@pytest.mark.parametrize("fanout", [16, 256])
def test_hamt_fanouts_and_every_entry_sharded(fanout):
    entries = [Entry(f"d/n{i}", str(i).encode()) for i in range(60)]
    entries.append(Entry("d/deeper/x", b"x"))
    blocks, r = build(entries, hamt_threshold=1, hamt_fanout=fanout)
    assert node_of(blocks, r.root)[1].fanout == fanout
    for i in range(60):
        assert cat_bytes(blocks, f"{r.root}/n{i}") == str(i).encode()
    assert cat_bytes(blocks, f"{r.root}/deeper/x") == b"x"  # the sub-dir is sharded too
    assert [e.name for e in ls(blocks, r.root)] == sorted([f"n{i}" for i in range(60)]
                                                          + ["deeper"])
    assert stat(blocks, r.root).dag_size == r.bytes


def test_hamt_boxo_vector_lists_200_directories():
    blocks, r = build([Entry(f"d/DIRNAME{i}", dir=True) for i in range(200)], hamt_threshold=1)
    assert str(r.root) == "QmY89TkSEVHykWMHDmyejSWFj9CYNtvzw4UwnT9xbc4Zjc"
    listing = ls(blocks, r.root)
    assert [e.name for e in listing] == sorted(f"DIRNAME{i}" for i in range(200))
    assert {e.type for e in listing} == {"directory"}
    assert resolve(blocks, f"{r.root}/DIRNAME77").cid == CID(
        "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")


def test_hamt_unsupported_shards():
    b = DictBlocks()
    leaf = b.put_bytes(b"x", "raw")
    bad_hash = b.put_node([(leaf, b"00a", 1)], UnixFSData(NodeType.HAMT_SHARD, data=b"\x01",
                                                            hash_type=0x12, fanout=256))
    with pytest.raises(DecodeError, match="murmur3"):
        resolve(b, f"{bad_hash}/a")
    bad_fanout = b.put_node([(leaf, b"00a", 1)], UnixFSData(NodeType.HAMT_SHARD, data=b"\x01",
                                                              hash_type=0x22, fanout=100))
    with pytest.raises(DecodeError, match="fanout"):
        ls(b, bad_fanout)
    short = b.put_node([(leaf, b"0", 1)], UnixFSData(NodeType.HAMT_SHARD, data=b"\x01",
                                                       hash_type=0x22, fanout=256))
    with pytest.raises(DecodeError, match="shorter than"):
        ls(b, short)
    not_shard = b.put_node([(leaf, b"00", 1)], UnixFSData(NodeType.HAMT_SHARD, data=b"\x01",
                                                            hash_type=0x22, fanout=256))
    with pytest.raises(DecodeError, match="should be a sub-shard"):
        ls(b, not_shard)


# -- stat and ls -------------------------------------------------------------------------

def test_stat_sizes_match_the_importer():
    data = rand(70_000)
    for opts in [DEEP, dict(DEEP, raw_leaves=True), dict(DEEP, layout="trickle"),
                 dict(DEEP, inline=True, raw_leaves=True)]:
        blocks, r = build([Entry("d/a", data), Entry("d/b", b"small"), Entry("d/e", dir=True),
                           Entry("d/s/l", link="../a")], **opts)
        s = stat(blocks, r.root)
        assert s.dag_size == r.bytes and s.type == "directory" and not s.sharded
        distinct = {}
        for blk in pinfold.iter_blocks([Entry("d/a", data), Entry("d/b", b"small"),
                                        Entry("d/e", dir=True), Entry("d/s/l", link="../a")],
                                       **opts):
            distinct[blk.cid] = blk.size
        assert s.blocks == len(distinct) and s.unique_size == sum(distinct.values())
        quick = stat(blocks, r.root, walk_dag=False)
        assert quick.dag_size == r.bytes and quick.blocks is None
        f = stat(blocks, f"{r.root}/a")
        assert (f.type, f.size) == ("file", 70_000)
        assert f.dag_size == next(e.size for e in r.entries if e.path == "d/a")


def test_stat_counts_duplicate_blocks_every_time():
    blocks, r = build(bytes(50_000), **DEEP)  # 50 identical leaves
    s = stat(blocks, r.root)
    assert s.dag_size == r.bytes and s.blocks < r.blocks
    assert s.unique_size < s.dag_size
    blocks.reset()
    totals = dag_totals(blocks, r.root)
    assert totals == (s.dag_size, s.blocks, s.unique_size)
    assert len(blocks.fetched) == len(set(blocks.fetched)) == s.blocks  # each block once


def test_stat_types_modes_mtimes_and_targets():
    blocks, r = build([Entry("d/f", b"data", mode=0o640, mtime=MTIME),
                       Entry("d/l", link="/etc/passwd", mtime=Mtime(-5, 0)),
                       Entry("d/sub", dir=True, mode=0o700, mtime=Mtime(1, 2))])
    f = stat(blocks, f"{r.root}/f")
    assert (f.type, f.size, f.mode, f.mtime) == ("file", 4, 0o640, MTIME)
    sym = stat(blocks, f"{r.root}/l")
    assert (sym.type, sym.target, sym.size, sym.mode, sym.mtime) == (
        "symlink", "/etc/passwd", 0, None, Mtime(-5, 0))
    d = stat(blocks, f"{r.root}/sub")
    assert (d.type, d.is_dir, d.mode, d.mtime) == ("directory", True, 0o700, Mtime(1, 2))
    root = stat(blocks, r.root)
    assert root.mode is None and root.mtime is None
    blocks, r = build(b"x" * 10, cid_version=1)
    raw = stat(blocks, r.root)
    assert (raw.type, raw.is_file, raw.size, raw.dag_size, raw.blocks) == ("raw", True, 10, 10, 1)
    blocks, r = build(b"x" * 10, mode=0o600, mtime=MTIME)
    assert stat(blocks, r.root).mode == 0o600 and stat(blocks, r.root).mtime == MTIME


def test_stat_refuses_non_unixfs():
    b = DictBlocks()
    bare = b.put_node([], None)
    with pytest.raises(DecodeError, match="not a UnixFS node"):
        stat(b, bare)
    cbor = b.put_bytes(b"\xa0", "dag-cbor")
    with pytest.raises(DecodeError, match="dag-cbor"):
        stat(b, cbor)


def test_ls_entries_sizes_types_and_byte_order():
    data = rand(20_000)
    names = ["b", "B", "a", "é", "Z", "_x", "a0"]
    entries = [Entry(f"d/{n}", n.encode() * 3) for n in names]
    entries += [Entry("d/big", data), Entry("d/dir/x", b"x"), Entry("d/link", link="big")]
    blocks, r = build(entries, **DEEP)
    listing = ls(blocks, r.root)
    assert [e.name for e in listing] == sorted(names + ["big", "dir", "link"],
                                               key=lambda n: n.encode())
    by = {e.name: e for e in listing}
    links = {lk.name: lk for lk in dagpb.decode(blocks.raw(r.root)).links}
    for e in listing:
        assert e.cid == links[e.name].cid and e.tsize == links[e.name].tsize
    assert (by["big"].type, by["big"].size) == ("file", 20_000)
    assert by["big"].tsize > 20_000  # Tsize counts block framing; size does not
    assert (by["é"].type, by["é"].size) == ("file", len("é".encode()) * 3)
    assert (by["dir"].type, by["dir"].size) == ("directory", 0)
    assert (by["link"].type, by["link"].target, by["link"].size) == ("symlink", "big", 0)
    assert ls(blocks, f"{r.root}/dir")[0].name == "x"
    assert ls(blocks, r.root.to_v1()) == listing
    with pytest.raises(PathNotFoundError, match="is a file, not a directory"):
        ls(blocks, f"{r.root}/big")
    with pytest.raises(PathNotFoundError, match="symlink, not a directory"):
        ls(blocks, f"{r.root}/link")


def test_ls_does_not_read_raw_children():
    blocks, r = build([Entry("d/a", rand(3000)), Entry("d/b", rand(100))], cid_version=1)
    blocks.reset()
    listing = ls(blocks, r.root)
    assert blocks.fetched == [r.root]  # both children are raw blocks: Tsize is their length
    assert [(e.name, e.type, e.size) for e in listing] == [("a", "file", 3000),
                                                           ("b", "file", 100)]


def test_ls_unknown_children():
    b = DictBlocks()
    cbor = b.put_bytes(b"\xa0", "dag-cbor")
    meta = b.put_node([], UnixFSData(NodeType.METADATA))
    d = b.put_node([(cbor, b"c", 1), (meta, b"m", 4)], UnixFSData(NodeType.DIRECTORY))
    assert [(e.name, e.type) for e in ls(b, d)] == [("c", "unknown"), ("m", "unknown")]
    assert stat(b, meta).type == "metadata"


# -- inline (identity) CIDs --------------------------------------------------------------

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


# -- walk --------------------------------------------------------------------------------

def reference_dfs(blocks: DictBlocks, root: CID) -> list[CID]:
    out: list[CID] = []
    seen: set[CID] = set()

    def visit(cid):
        if cid in seen:
            return
        seen.add(cid)
        out.append(cid)
        if cid.codec == "dag-pb":
            for lk in dagpb.decode(blocks.raw(cid)).links:
                visit(lk.cid)

    visit(root)
    return out


@pytest.mark.parametrize("opts", [DEEP, dict(DEEP, raw_leaves=True, layout="trickle"),
                                  dict(hamt_threshold=1), dict(inline=True, cid_version=1)])
def test_walk_depth_first_each_block_once(opts):
    entries = [Entry("d/a", rand(9000)), Entry("d/zeros", bytes(9000)), Entry("d/s/b", b"b"),
               Entry("d/s/c", rand(3000, 1)), Entry("d/e", dir=True), Entry("d/l", link="a")]
    blocks, r = build(entries, **opts)
    blocks.reset()
    walked = list(walk(blocks, r.root))
    cids = [c for c, _ in walked]
    assert cids == reference_dfs(blocks, r.root)
    assert len(cids) == len(set(cids))
    assert all(data == blocks.raw(c) for c, data in walked)
    assert {c.multihash for c in cids} == {
        b.cid.multihash for b in pinfold.iter_blocks(entries, **opts)}
    assert len(blocks.fetched) == sum(1 for c in cids if c.hash_code != 0)
    sub = resolve(blocks, f"{r.root}/s").cid
    assert [c for c, _ in walk(blocks, f"/ipfs/{r.root}/s")] == reference_dfs(blocks, sub)


def test_walk_errors_and_cycles():
    blocks, r = build(rand(3000), **DEEP)
    leaf = dagpb.decode(blocks.raw(r.root)).links[1].cid
    del blocks.data[leaf.multihash]
    with pytest.raises(BlockNotFoundError, match=str(leaf)):
        list(walk(blocks, r.root))
    b = DictBlocks()
    cbor = b.put_bytes(b"\xa0", "dag-cbor")
    parent = b.put_node([(cbor, b"x", 1)], UnixFSData(NodeType.DIRECTORY))
    assert [c for c, _ in walk(b, parent)] == [parent, cbor]  # links of every codec
    # a lying store can make a cycle: walk still ends, stat reports it
    liar = DictBlocks()
    a_cid = CID.v0(b"\x12\x20" + b"\xaa" * 32)
    b_cid = CID.v0(b"\x12\x20" + b"\xbb" * 32)
    dirdata = unixfs.encode(UnixFSData(NodeType.DIRECTORY))
    liar.data[a_cid.multihash] = dagpb.encode_node([(b_cid.bytes, b"b", 1)], dirdata)
    liar.data[b_cid.multihash] = dagpb.encode_node([(a_cid.bytes, b"a", 1)], dirdata)
    assert [c for c, _ in walk(liar, a_cid)] == [a_cid, b_cid]
    with pytest.raises(DecodeError, match="cycle"):
        stat(liar, a_cid)


# -- get ---------------------------------------------------------------------------------

def snapshot(top: str) -> dict[str, tuple]:
    """Everything under ``top`` (relative paths): kind, bytes or target, mode, mtime."""
    out: dict[str, tuple] = {}

    def record(rel: str, path: str) -> None:
        st_ = os.lstat(path)
        if stat_mod.S_ISLNK(st_.st_mode):
            out[rel] = ("link", os.readlink(path), st_.st_mtime_ns)
        elif stat_mod.S_ISDIR(st_.st_mode):
            out[rel] = ("dir", stat_mod.S_IMODE(st_.st_mode), st_.st_mtime_ns)
            for name in os.listdir(path):
                record(f"{rel}/{name}", os.path.join(path, name))
        else:
            with open(path, "rb") as f:
                out[rel] = ("file", f.read(), stat_mod.S_IMODE(st_.st_mode), st_.st_mtime_ns)

    record(".", top)
    return out


def make_source_tree(top) -> None:
    os.makedirs(top / "sub" / "deep")
    os.mkdir(top / "emptydir")
    (top / "a.txt").write_bytes(rand(5000))
    (top / "empty").write_bytes(b"")
    (top / "exe").write_bytes(b"#!/bin/sh\n")
    (top / "sub" / "deep" / "big.bin").write_bytes(rand(70_000, 3))
    (top / "sub" / "ü ñ.txt").write_bytes(b"unicode name")
    os.symlink("../a.txt", top / "sub" / "link")
    os.symlink("/etc/passwd", top / "abs")
    os.symlink("nowhere", top / "dangling")
    os.symlink("../../outside", top / "escape")
    for rel, mode in [("a.txt", 0o640), ("empty", 0o600), ("exe", 0o750), ("sub", 0o750),
                      ("emptydir", 0o700), ("sub/deep", 0o755), ("sub/deep/big.bin", 0o444),
                      ("sub/ü ñ.txt", 0o644), (".", 0o755)]:
        os.chmod(top / rel, mode)
    t = 1_600_000_000_000_000_000
    for i, rel in enumerate(["a.txt", "empty", "exe", "sub/deep/big.bin", "sub/ü ñ.txt",
                             "sub/link", "abs", "dangling", "escape", "sub/deep", "sub",
                             "emptydir", "."]):
        os.utime(top / rel, ns=(t + i * 1_000_000_007, t + i * 1_000_000_007),
                 follow_symlinks=False)


@pytest.mark.parametrize("opts", [DEEP, dict(hamt_threshold=1), dict(layout="trickle"),
                                  dict(cid_version=1, **DEEP)])
def test_get_round_trips_a_tree(tmp_path, opts):
    src = tmp_path / "src"
    make_source_tree(src)
    attrs = dict(preserve_mode=True, preserve_mtime=True, **opts)
    blocks, r = build(src, **attrs)
    dest = tmp_path / "out" / "copy"
    os.mkdir(tmp_path / "out")
    get(blocks, r.root, dest)
    assert snapshot(str(dest)) == snapshot(str(src))
    assert pinfold.cid_of(dest, **attrs) == r.root
    assert not (tmp_path / "outside").exists()
    # a sub-path, a single file, a symlink
    get(blocks, f"/ipfs/{r.root}/sub", tmp_path / "sub-copy")
    assert snapshot(str(tmp_path / "sub-copy")) == snapshot(str(src / "sub"))
    get(blocks, f"{r.root}/sub/deep/big.bin", tmp_path / "big")
    assert (tmp_path / "big").read_bytes() == rand(70_000, 3)
    assert stat_mod.S_IMODE(os.stat(tmp_path / "big").st_mode) == 0o444
    get(blocks, f"{r.root}/escape", tmp_path / "esc")
    assert os.readlink(tmp_path / "esc") == "../../outside"


def test_get_without_attributes_and_with_global_ones(tmp_path):
    blocks, r = build([Entry("d/f", b"data"), Entry("d/e", dir=True)])
    get(blocks, r.root, tmp_path / "plain")
    assert (tmp_path / "plain" / "f").read_bytes() == b"data"
    assert (tmp_path / "plain" / "e").is_dir()
    umask = os.umask(0)
    os.umask(umask)
    assert stat_mod.S_IMODE(os.stat(tmp_path / "plain" / "f").st_mode) == 0o666 & ~umask
    blocks, r = build(rand(3000), mode=0o600, mtime=MTIME, **DEEP)
    get(blocks, r.root, tmp_path / "file")
    st_ = os.stat(tmp_path / "file")
    assert stat_mod.S_IMODE(st_.st_mode) == 0o600
    assert st_.st_mtime_ns == 1700000000_000000005
    assert (tmp_path / "file").read_bytes() == rand(3000)
    blocks, r = build(b"", cid_version=1)
    get(blocks, r.root, tmp_path / "empty-raw")
    assert (tmp_path / "empty-raw").read_bytes() == b""
    blocks, r = build([Entry("d/l", link="target", mtime=MTIME)])
    get(blocks, f"{r.root}/l", tmp_path / "link")
    assert os.readlink(tmp_path / "link") == "target"
    assert os.lstat(tmp_path / "link").st_mtime_ns == 1700000000_000000005


def test_get_special_bits(tmp_path):
    blocks, r = build([Entry("d/suid", b"x", mode=0o4755), Entry("d/sticky", dir=True,
                                                                  mode=0o1777)])
    get(blocks, r.root, tmp_path / "safe")
    assert stat_mod.S_IMODE(os.stat(tmp_path / "safe" / "suid").st_mode) == 0o755
    assert stat_mod.S_IMODE(os.stat(tmp_path / "safe" / "sticky").st_mode) == 0o777
    get(blocks, r.root, tmp_path / "kept", preserve_special_bits=True)
    assert stat_mod.S_IMODE(os.stat(tmp_path / "kept" / "suid").st_mode) == 0o4755
    assert stat_mod.S_IMODE(os.stat(tmp_path / "kept" / "sticky").st_mode) == 0o1777


def test_get_refuses_existing_destination(tmp_path):
    blocks, r = build(b"data")
    (tmp_path / "there").write_bytes(b"keep")
    with pytest.raises(PinfoldError, match="already exists"):
        get(blocks, r.root, tmp_path / "there")
    os.symlink("nowhere", tmp_path / "dangling")
    with pytest.raises(PinfoldError, match="already exists"):
        get(blocks, r.root, tmp_path / "dangling")
    assert (tmp_path / "there").read_bytes() == b"keep"
    assert not (tmp_path / "nowhere").exists()


def listing_outside(tmp_path, dest) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(tmp_path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not p.startswith(str(dest)):
                found.append(p)
    return sorted(found)


HOSTILE_NAMES = [b"..", b".", b"", b"a/b", b"../escape", b"x\x00y", b"/abs"]


@pytest.mark.parametrize("bad", HOSTILE_NAMES)
def test_get_refuses_hostile_names(tmp_path, bad):
    b = DictBlocks()
    payload = b.put_bytes(b"pwned", "raw")
    good = b.put_bytes(b"fine", "raw")
    dirdata = UnixFSData(NodeType.DIRECTORY)
    hostile = b.put_node([(good, b"aaa", 4), (payload, bad, 5), (good, b"zzz", 4)], dirdata)
    # the hostile directory sits one level down, after a good file
    root = b.put_node([(good, b"first", 4), (hostile, b"sub", 100)], dirdata)
    (tmp_path / "work").mkdir()
    before = listing_outside(tmp_path, tmp_path / "work" / "dest")
    dest = tmp_path / "work" / "dest"
    with pytest.raises(PinfoldError, match="refusing to write directory"):
        get(b, root, dest)
    assert listing_outside(tmp_path, dest) == before
    # nothing of the hostile directory was created, not even its good entries
    assert sorted(os.listdir(dest)) == ["first", "sub"] and os.listdir(dest / "sub") == []
    with pytest.raises(PinfoldError, match="refusing to write directory"):
        get(b, hostile, tmp_path / "work" / "direct")


def test_get_refuses_duplicates_symlink_shadowing_and_bad_targets(tmp_path):
    b = DictBlocks()
    outside = tmp_path / "outside"
    outside.mkdir()
    dirdata = UnixFSData(NodeType.DIRECTORY)
    f = b.put_bytes(b"pwned", "raw")
    inner = b.put_node([(f, b"file", 5)], dirdata)
    link = b.put_node([], UnixFSData(NodeType.SYMLINK, data=str(outside).encode()))
    # a symlink "d" pointing outside, then a directory also named "d"
    shadow = b.put_node([(link, b"d", 10), (inner, b"d", 50)], dirdata)
    with pytest.raises(PinfoldError, match="two entries are named b'd'"):
        get(b, shadow, tmp_path / "dest1")
    assert os.listdir(outside) == []
    empty_target = b.put_node([], UnixFSData(NodeType.SYMLINK, data=b""))
    with pytest.raises(PinfoldError, match="target is empty"):
        get(b, b.put_node([(empty_target, b"l", 2)], dirdata), tmp_path / "dest2")
    nul_target = b.put_node([], UnixFSData(NodeType.SYMLINK, data=b"a\x00b"))
    with pytest.raises(PinfoldError, match="NUL"):
        get(b, nul_target, tmp_path / "dest3")
    # a HAMT entry whose name (after the bucket prefix) is ".."
    shard = b.put_node([(f, b"00..", 5)], UnixFSData(NodeType.HAMT_SHARD, data=b"\x01",
                                                        hash_type=0x22, fanout=256))
    with pytest.raises(PinfoldError, match="relative path component"):
        get(b, shard, tmp_path / "dest4")
    assert not (tmp_path / "pwned").exists() and os.listdir(outside) == []
    meta = b.put_node([], UnixFSData(NodeType.METADATA))
    with pytest.raises(DecodeError, match="metadata"):
        get(b, b.put_node([(meta, b"m", 2)], dirdata), tmp_path / "dest5")


def test_get_missing_block_reports_cid(tmp_path):
    blocks, r = build([Entry("d/a", rand(5000)), Entry("d/b", b"b")], **DEEP)
    a = resolve(blocks, f"{r.root}/a").cid
    leaf = dagpb.decode(blocks.raw(a)).links[1].cid
    del blocks.data[leaf.multihash]
    with pytest.raises(BlockNotFoundError, match=str(leaf)):
        get(blocks, r.root, tmp_path / "dest")


def test_an_abandoned_read_does_not_clog_read_ahead(make_repo):
    """A reader that stops early (a client that went away) drops its read-ahead."""
    repo = make_repo("lmdb")
    data = rand(3_000_000)
    root = repo.add(data, chunker="size-10000").root
    for _ in range(5):
        it = cat(repo, root)
        next(it)
        it.close()
        pre = repo._prefetcher
        assert not pre.queue and not pre.inflight
    for _ in range(3):
        it = walk(repo, root)
        next(it), next(it), next(it)
        it.close()
        assert not repo._prefetcher.queue and not repo._prefetcher.inflight
    assert cat_bytes(repo, root) == data
    assert not repo._prefetcher.queue and not repo._prefetcher.inflight
