"""CAR files: reading v1/v2, writing Kubo-identical exports, indexes, errors, and the
repo's ``import_car``/``export_car`` (issue 5)."""

from __future__ import annotations

import io
import pathlib
import struct

import pytest
from conftest import KINDS, case_source, load_vectors

import pinfold
from pinfold.car import (
    INDEX_SORTED,
    MULTIHASH_INDEX_SORTED,
    PRAGMA,
    CarError,
    CarIndex,
    CarReader,
    V2Header,
    car_v1,
    encode_header,
    inspect,
    write_car,
)
from pinfold.cid import CID, DAG_PB, RAW, encode_varint, get_hash
from pinfold.codecs import dagpb
from pinfold.errors import BlockNotFoundError
from pinfold.exporter import select

FIX = pathlib.Path(__file__).parent / "fixtures" / "car"
V1_BASIC = (FIX / "carv1-basic.car").read_bytes()
GO_CAR_DFS = (FIX / "go-car-dfs.car").read_bytes()
V2_BASIC = (FIX / "carv2-basic.car").read_bytes()
R1 = CID("bafyreihyrpefhacm6kkp4ql6j6udakdit7g3dmkzfriqfykhjw6cad5lrm")
R2 = CID("bafyreidj5idub6mapiupjwjsyyxhyhedxycv4vihfsicm2vt46o7morwlm")
CASES = load_vectors("unixfs.json")


def raw_block(data: bytes) -> tuple[CID, bytes]:
    return CID.v1(RAW, get_hash("sha2-256").multihash(data)), data


def sections(data: bytes) -> list[tuple[CID, bytes]]:
    return list(CarReader(io.BytesIO(data)))


def build_car(roots, blocks) -> bytes:
    return b"".join(car_v1(roots, blocks))


class DictStore:
    """A block getter and importer sink that is not a repo."""

    def __init__(self):
        self.blocks: dict[CID, bytes] = {}

    def put(self, block):
        self.blocks[block.cid] = block.data

    def get(self, cid):
        if cid not in self.blocks:
            raise BlockNotFoundError(cid)
        return self.blocks[cid]


def dfs_reference(store: DictStore, root: CID) -> list[CID]:
    """An independent depth-first, link-order, first-occurrence walk (recursive)."""
    out: list[CID] = []
    seen: set[CID] = set()

    def visit(cid: CID) -> None:
        if cid in seen or cid.multihash[:1] == b"\x00":
            return
        seen.add(cid)
        out.append(cid)
        if cid.codec_code == DAG_PB:
            for link in dagpb.decode(store.blocks[cid]).links:
                visit(link.cid)

    visit(root)
    return out


# -- fixtures from other implementations --------------------------------------------------
def test_spec_fixture_carv1_basic_reads():
    car = CarReader(io.BytesIO(V1_BASIC))
    assert car.version == 1 and car.roots == [R1, R2]
    blocks = list(car)
    assert len(blocks) == 8
    s = inspect(io.BytesIO(V1_BASIC))
    assert dict(s.codecs) == {"raw": 3, "dag-pb": 3, "dag-cbor": 2}
    assert s.missing_roots == [] and s.problems == []
    assert encode_header([R1, R2]) == V1_BASIC[: len(encode_header([R1, R2]))]


def test_go_car_graph_order_is_reproduced_byte_for_byte():
    """go-car (what Kubo's dag export uses) wrote these blocks depth-first from each root."""
    store = DictStore()
    for cid, data in sections(V1_BASIC):
        store.blocks[cid] = data
    sent: set[CID] = set()
    blocks = []
    for root in (R1, R2):
        for cid, data in select(store, root):
            if cid not in sent:
                sent.add(cid)
                blocks.append((cid, data))
    assert build_car([R1, R2], blocks) == GO_CAR_DFS


def test_go_car_v2_payload_is_our_export(make_repo):
    repo = make_repo("memory")
    result = repo.import_car(io.BytesIO(V2_BASIC))
    root = CID("QmfEoLyB5NndqeKieExd1rtJzTduQUPEV8TwAYcUiy3H5Z")
    assert result.roots == [root] and result.blocks == 5
    assert [p.cid for p in result.pins] == [root]
    header = V2Header.decode(V2_BASIC[len(PRAGMA):51])
    payload = V2_BASIC[header.data_offset: header.data_offset + header.data_size]
    out = io.BytesIO()
    repo.export_car(root, out)
    assert out.getvalue() == payload
    # plain dag-pb (no UnixFS Data): entity scope is the block alone
    assert [c for c, _ in select(repo, root, scope="entity")] == [root]


def test_go_car_v2_fixture_index_without_codec_prefix_is_read_and_checked():
    s = inspect(io.BytesIO(V2_BASIC))
    assert s.version == 2 and s.blocks == 5 and s.data_offset == 51 and s.data_size == 448
    assert s.index_codec == "car-index-sorted" and s.index_entries == 5 and s.problems == []
    header = V2Header.decode(V2_BASIC[len(PRAGMA):51])
    index = CarIndex.decode(V2_BASIC[header.index_offset:])
    assert index.unprefixed and index.codec == 0x0400
    car = CarReader(io.BytesIO(V2_BASIC))
    for cid, _ in car:  # every block's offset in the payload is the one the index gives
        assert len(index.offsets(cid.multihash)) == 1
    # written back, it gets the prefix, and reads the same
    again = CarIndex.decode(index.encode())
    assert not again.unprefixed and again.buckets == index.buckets
    # one wrong byte in it (a bucket length off by one) and it is neither form
    broken = bytearray(V2_BASIC)
    broken[header.index_offset + 8] += 1
    s = inspect(io.BytesIO(bytes(broken)))
    assert s.index_codec is None
    assert any("unsupported CARv2 index format 0x1" in p for p in s.problems)


def test_unknown_index_codec_is_reported_not_fatal():
    root, blocks = small_dag()
    v1 = build_car([root], blocks)
    index = bytes([0x82, 0x08]) + b"\x01\x00\x00\x00"  # varint 0x0402, then a stray count
    raw = V2Header(0, 51, len(v1), 51 + len(v1)).encode() + v1 + index
    s = inspect(io.BytesIO(raw))
    assert s.blocks == len(blocks) and s.index_codec is None
    assert any("unsupported CARv2 index format 0x402" in p for p in s.problems)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_export_of_every_vector_is_kubo_layout(case):
    """Header [root], then every reachable block once, depth-first in link order; block count
    and bytes as the reference importer's (Helia's orphan raw leaf for per-entry metadata
    under raw leaves is unreachable, so it is not exported)."""
    store = DictStore()
    result = pinfold.add(case_source(case), store, **case["options"])
    root = result.root
    car = build_car([root], select(store, root))
    reader = CarReader(io.BytesIO(car))
    assert reader.roots == [root]
    got = list(reader)
    assert [c for c, _ in got] == dfs_reference(store, root)
    assert all(store.blocks[c] == d for c, d in got)
    if case["id"] != "dir-mode-mtime":
        assert len(got) == case["blocks"]
        assert sum(len(d) for _, d in got) == case["bytes"]
    else:
        assert len(got) == case["blocks"] - 1


# -- writing ------------------------------------------------------------------------------
def small_dag():
    leaves = [raw_block(b"leaf %d" % i) for i in range(3)]
    return leaves[0][0], leaves


def test_v1_layout_by_hand():
    cid, data = raw_block(b"hello")
    car = build_car([cid], [(cid, data)])
    header = encode_header([cid])
    assert car == header + encode_varint(len(cid.bytes) + 5) + cid.bytes + b"hello"
    # header: a2 65 'roots' 81 d8 2a 58 25 00 <cid> 67 'version' 01
    assert header[1:] == (b"\xa2\x65roots\x81\xd8\x2a\x58\x25\x00" + cid.bytes
                          + b"\x67version\x01")
    assert header[0] == len(header) - 1


def test_identity_blocks_are_left_out():
    ident = CID.v1(RAW, b"\x00\x03abc")
    cid, data = raw_block(b"x")
    car = build_car([ident], [(ident, b"abc"), (cid, data)])
    assert [c for c, _ in sections(car)] == [cid]


@pytest.mark.parametrize("codec", [MULTIHASH_INDEX_SORTED, INDEX_SORTED])
def test_v2_with_index_round_trip(codec):
    root, blocks = small_dag()
    out = io.BytesIO()
    assert write_car(out, [root], blocks, version=2, index_codec=codec) == 3
    raw = out.getvalue()
    assert raw[:11] == PRAGMA
    h = V2Header.decode(raw[11:51])
    assert h.characteristics == 0 and h.data_offset == 51
    v1 = build_car([root], blocks)
    assert raw[51:51 + h.data_size] == v1 and h.index_offset == 51 + len(v1)
    index = CarIndex.decode(raw[h.index_offset:])
    assert index.codec == codec and len(index) == 3
    for cid, data in blocks:
        (off,) = index.offsets(cid.multihash)
        length, pos = pinfold.cid.decode_varint(v1, off)
        assert v1[pos:pos + len(cid.bytes)] == cid.bytes
        assert v1[pos + len(cid.bytes):pos + length] == data
    car = CarReader(io.BytesIO(raw))
    assert car.version == 2 and car.roots == [root] and list(car) == blocks
    s = inspect(io.BytesIO(raw))
    assert s.problems == [] and s.index_entries == 3


def test_v2_index_bytes_by_hand():
    """MultihashIndexSorted as go-car writes it: varint 0x0401, int32 #codes, then per code
    uint64 code + int32 #widths + (uint32 width, uint64 byte length, sorted entries)."""
    root, blocks = small_dag()
    v1 = build_car([root], blocks)
    offsets = []
    pos = len(encode_header([root]))
    for cid, data in blocks:
        offsets.append((cid.digest, pos))
        pos += len(encode_varint(len(cid.bytes) + len(data))) + len(cid.bytes) + len(data)
    entries = b"".join(d + struct.pack("<Q", o) for d, o in sorted(offsets))
    expected = (b"\x81\x08" + struct.pack("<i", 1) + struct.pack("<Q", 0x12)
                + struct.pack("<i", 1) + struct.pack("<IQ", 40, 40 * 3) + entries)
    out = io.BytesIO()
    write_car(out, [root], blocks, version=2)
    assert out.getvalue() == (PRAGMA + V2Header(0, 51, len(v1), 51 + len(v1)).encode()[11:]
                              + v1 + expected)
    sorted_only = CarIndex.build([(c.multihash, o) for (c, _), (_, o) in
                                  zip(blocks, offsets, strict=True)], INDEX_SORTED).encode()
    assert sorted_only == (b"\x80\x08" + struct.pack("<i", 1) + struct.pack("<IQ", 40, 120)
                           + entries)


def test_v2_without_index_and_to_a_pipe():
    root, blocks = small_dag()
    seekable = io.BytesIO()
    write_car(seekable, [root], blocks, version=2, index=False)

    class Pipe:
        def __init__(self):
            self.parts = []

        def write(self, b):
            self.parts.append(bytes(b))
            return len(b)

        def seekable(self):
            return False

    pipe = Pipe()
    write_car(pipe, [root], blocks, version=2, index=False)
    assert b"".join(pipe.parts) == seekable.getvalue()
    assert V2Header.decode(seekable.getvalue()[11:51]).index_offset == 0


def test_v2_reader_honours_padding_and_offsets():
    root, blocks = small_dag()
    v1 = build_car([root], blocks)
    index = CarIndex.build([]).encode()
    data_offset = 51 + 13
    index_offset = data_offset + len(v1) + 5
    raw = (V2Header(0, data_offset, len(v1), index_offset).encode() + b"\x00" * 13 + v1
           + b"\x00" * 5 + index)
    car = CarReader(io.BytesIO(raw))
    assert car.roots == [root] and list(car) == blocks


class OneByteAtATime(io.RawIOBase):
    """A stream that returns at most 7 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def readable(self):
        return True

    def read(self, n=-1):
        n = 7 if n < 0 else min(n, 7)
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def test_reader_handles_short_reads():
    assert list(CarReader(OneByteAtATime(GO_CAR_DFS))) == sections(GO_CAR_DFS)


# -- malformed input ----------------------------------------------------------------------
def _cbor_header(obj) -> bytes:
    import dag_cbor

    body = dag_cbor.encode(obj)
    return encode_varint(len(body)) + body


def _corrupt_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


BAD = {
    "empty": (b"", "empty file"),
    "garbage": (b"\x05hello", "malformed CAR header"),
    "header-list": (_cbor_header([1, 2]), "not a map"),
    "version-3": (_cbor_header({"version": 3, "roots": []}), "unsupported CAR version 3"),
    "no-version": (_cbor_header({"roots": []}), "no integer 'version'"),
    "roots-not-list": (_cbor_header({"version": 1, "roots": 5}), "'roots'"),
    "root-not-cid": (_cbor_header({"version": 1, "roots": ["x"]}), "is not a CID"),
    "header-cut": (V1_BASIC[:50], "truncated CAR: header"),
    "section-cut": (V1_BASIC[:-3], "truncated CAR: section"),
    "length-cut": (V1_BASIC + b"\x80", "length at byte"),
    "corrupt-block": (_corrupt_last_byte(V1_BASIC), "does not match its CID"),
    "zero-section": (V1_BASIC + b"\x00", "empty section"),
    "huge-section": (V1_BASIC + encode_varint(1 << 40), "more than"),
    "bad-cid": (V1_BASIC + b"\x05\x07\x07\x07\x07\x07", "malformed CAR: section"),
    "v2-header-cut": (PRAGMA + b"\x00" * 10, "truncated CAR: CARv2 header"),
    "v2-offset-inside": (PRAGMA + struct.pack("<16sQQQ", b"\x00" * 16, 20, 10, 0),
                         "data offset 20 is inside the header"),
    "v2-index-inside": (PRAGMA + struct.pack("<16sQQQ", b"\x00" * 16, 51, 100, 60),
                        "index offset 60 is inside"),
    "v2-payload-cut": (V2Header(0, 51, len(V1_BASIC) + 10, 0).encode() + V1_BASIC,
                       "truncated CARv2"),
    "v2-inner-v2": (V2Header(0, 51, 11, 0).encode() + PRAGMA, "payload has CAR version 2"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_malformed_cars_are_clear_errors(name):
    data, message = BAD[name]
    with pytest.raises(CarError, match=message.replace("(", r"\(")):
        list(CarReader(io.BytesIO(data)))


def test_corrupt_block_error_names_the_cid():
    with pytest.raises(CarError) as exc:
        list(CarReader(io.BytesIO(_corrupt_last_byte(V1_BASIC))))
    assert str(R2) in str(exc.value) and "section at byte 660" in str(exc.value)


def test_missing_file_is_a_car_error(tmp_path):
    with pytest.raises(CarError, match="cannot open"):
        CarReader(tmp_path / "nope.car")


# -- import into a repo -------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_export_import_round_trip_between_repos(make_repo, kind, tmp_path):
    src = make_repo("memory")
    data = bytes(range(256)) * 5000
    root = src.add([{"path": "d/f.bin", "content": data},
                    {"path": "d/g.txt", "content": b"g"}]).root
    path = tmp_path / "x.car"
    with open(path, "wb") as f:
        n = src.export_car(root, f)
    dst = make_repo(kind)
    result = dst.import_car(path)
    assert result.blocks == n and [p.cid for p in result.pins] == [root]
    assert pinfold.exporter.cat_bytes(dst, f"{root}/f.bin") == data
    assert dst.verify() == []
    again = io.BytesIO()
    dst.export_car(root, again)
    assert again.getvalue() == path.read_bytes()


def test_import_of_a_corrupt_car_pins_nothing(repo):
    with pytest.raises(CarError):
        repo.import_car(io.BytesIO(_corrupt_last_byte(V1_BASIC)))
    assert repo.pins.list() == []
    assert repo.verify() == []
    repo.gc()
    assert list(repo.iter_blocks()) == []


def test_import_of_a_partial_dag_pins_no_root(repo):
    """The second root's DAG misses a block: neither root is pinned (all or none)."""
    gone = "bafkreifw7plhl6mofk6sfvhnfh64qmkq73oeqwl6sloru6rehaoujituke"
    blocks = [(c, d) for c, d in sections(GO_CAR_DFS) if str(c) != gone]
    car = build_car([R2, R1], blocks)
    with pytest.raises(BlockNotFoundError, match=gone):
        repo.import_car(io.BytesIO(car))
    assert repo.pins.list() == []
    assert repo.verify() == []


def test_import_no_pin_and_several_files(repo):
    a, b = raw_block(b"a"), raw_block(b"b")
    result = repo.import_car([io.BytesIO(build_car([a[0]], [a])),
                              io.BytesIO(build_car([b[0]], [b]))], pin=False)
    assert result.roots == [a[0], b[0]] and result.pins == [] and result.blocks == 2
    assert repo.block_get(b[0]) == b"b"
    assert repo.gc().blocks == 2


def test_import_completes_queued_pins(repo):
    queued = repo.pin(R1, name="wanted", queue=True)
    assert queued.status == "queued"
    result = repo.import_car(io.BytesIO(V1_BASIC), pin=False)
    assert [p.id for p in result.completed] == [queued.id]
    assert repo.pins.get(queued.id).status == "pinned"


def test_cbor_links_are_reference_counted(repo):
    """A recursive pin on a DAG-CBOR root keeps what it links to; unpinning frees it."""
    repo.import_car(io.BytesIO(V1_BASIC))
    repo.unpin(R1)
    repo.gc()
    # R2 = {"link": null, "name": "limbo"} links to nothing: it alone stays
    assert set(repo.iter_blocks()) == {R2.multihash}
    assert repo.verify() == []
    repo.import_car(io.BytesIO(V1_BASIC), pin=False)
    repo.pin(R1)
    repo.unpin(R2)
    repo.gc()
    # R1 -> 3 dag-pb nodes -> 3 raw leaves (the fourth raw block of the fixture is R1's too)
    reachable = {c.multihash for c, _ in select(repo, R1)}
    assert set(repo.iter_blocks()) == reachable and len(reachable) == 7


def test_import_with_name_meta_and_progress(repo):
    seen = []
    result = repo.import_car(io.BytesIO(V1_BASIC), name="nft", meta={"k": 1},
                             progress=seen.append)
    assert {p.name for p in result.pins} == {"nft"}
    assert all(p.meta == {"k": 1} for p in result.pins)
    assert seen[-1] == len(V1_BASIC) and result.bytes == 323


def test_identity_root_export_and_import(repo):
    ident = CID.v1(RAW, b"\x00\x00")  # bafkqaaa: the empty identity CID
    out = io.BytesIO()
    repo.export_car(ident, out)
    car = CarReader(io.BytesIO(out.getvalue()))
    assert car.roots == [ident] and list(car) == []
    result = repo.import_car(io.BytesIO(out.getvalue()))
    assert [p.cid for p in result.pins] == [ident]


# -- export through the repo --------------------------------------------------------------
def test_export_v2_file_and_missing_blocks(repo, tmp_path):
    root = repo.add(b"z" * 700_000, chunker="size-1000").root
    out = io.BytesIO()
    repo.export_car(root, out, version=2)
    s = inspect(io.BytesIO(out.getvalue()))
    assert s.version == 2 and s.index_entries == s.blocks and s.problems == []
    with pytest.raises(BlockNotFoundError):
        repo.export_car(CID.v1(RAW, get_hash("sha2-256").multihash(b"nope")), io.BytesIO())


def test_nft_example_from_the_docs(tmp_path, monkeypatch):
    """docs/interchange.md: metadata linking to an image, added and pinned together."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 9)
    with pinfold.Repo("nft-repo", create=True) as repo:
        image = repo.add("art/cat.png", profile="unixfs-v1-2025", pin=False).root
        meta = {"name": "Cat #1", "description": "A cat.", "image": image,
                "attributes": [{"trait_type": "eyes", "value": "green"}]}
        token = repo.dag_put(meta, pin=True, name="cat-1", meta={"collection": "cats"})
        assert token.codec == "dag-cbor" and token.version == 1
        assert repo.dag_get(f"{token}/name") == "Cat #1"
        assert repo.dag_get(token)["image"] == image
        assert repo.gc().blocks == 0  # the image is kept through the metadata's link
        out = io.BytesIO()
        assert repo.export_car(token, out) == 2
        assert [c for c, _ in sections(out.getvalue())] == [token, image]
        repo.unpin(token)
        assert repo.gc().blocks == 2


@pytest.mark.parametrize("codec", ["dag-json", "dag-cbor"])
def test_pins_follow_links_of_both_data_codecs(repo, codec):
    image = repo.add(b"image bytes " * 1000, pin=False, chunker="size-1000").root
    meta = repo.dag_put({"image": image, "list": [image, {"again": image}]}, codec=codec,
                        pin=True)
    assert meta.codec == codec
    kept = {c.multihash for c, _ in select(repo, meta)}
    assert len(kept) == 5  # meta, the file root, 3 distinct leaves (the text repeats every 3000)
    assert repo.gc().blocks == 0
    repo.unpin(meta)
    assert repo.gc().blocks == len(kept)
    assert repo.verify() == []
