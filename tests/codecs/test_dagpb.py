"""pinfold.codecs.dagpb: encoding, strict decoding, round trips, the cross-codec fixtures."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinfold import CID, DecodeError, PinfoldError
from pinfold.cid import DAG_CBOR, DAG_PB, RAW, get_hash
from pinfold.codecs import NodeType, PBLink, PBNode, UnixFSData, dagpb, unixfs
from tests.gen import load_vectors

from .helpers import H, v1_of

SOME_CID = CID("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
RAW_ID_CID = CID(H("01550005") + bytes(range(5)))  # raw, identity multihash of 00..04


def test_links_before_data_and_all_link_fields_written():
    cid_bytes = SOME_CID.bytes
    block = dagpb.encode(PBNode([PBLink(SOME_CID, "", 0)], b"\x08\x01"))
    body = b"\x0a\x22" + cid_bytes + b"\x12\x00" + b"\x18\x00"
    assert block == b"\x12" + bytes([len(body)]) + body + b"\x0a\x02\x08\x01"
    # None name / tsize are written as empty name / 0, as Kubo does.
    assert dagpb.encode(PBNode([PBLink(SOME_CID, None, None)], b"\x08\x01")) == block


def test_link_encoding_exact():
    v1 = SOME_CID.to_v1()
    got = dagpb.encode_link(v1.bytes, b"ab", 300)
    body = b"\x0a\x24" + v1.bytes + b"\x12\x02ab" + b"\x18\xac\x02"
    assert got == b"\x12" + bytes([len(body)]) + body
    assert dagpb.link_serialized_size(len(v1.bytes), 2, 300) == len(got)


def test_data_omitted_when_none():
    assert dagpb.encode(PBNode()) == b""
    assert dagpb.encode(PBNode([], b"")) == b"\x0a\x00"
    link_only = dagpb.encode(PBNode([PBLink(SOME_CID, "x", 1)]))
    assert link_only.startswith(b"\x12")
    assert dagpb.decode(link_only).data is None
    assert dagpb.encode_node([(SOME_CID.bytes, b"x", 1)], None) == link_only


def test_encode_sorts_links_stably_by_name_bytes():
    cids = [v1_of(bytes([i]), RAW) for i in range(6)]
    links = [
        PBLink(cids[0], "b", 1),
        PBLink(cids[1], "a", 2),
        PBLink(cids[2], "b", 3),
        PBLink(cids[3], "", 4),
        PBLink(cids[4], "a", 5),
        PBLink(cids[5], "\u00e9", 6),  # c3 a9: sorts after ASCII
    ]
    node = dagpb.decode(dagpb.encode(PBNode(links, b"\x08\x01")))
    assert [(lk.name, lk.tsize) for lk in node.links] == [
        ("", 4),
        ("a", 2),
        ("a", 5),
        ("b", 1),
        ("b", 3),
        ("\u00e9", 6),
    ]
    # Byte-wise order: "Z" (0x5a) sorts before "a" (0x61).
    node = dagpb.decode(dagpb.encode(PBNode([PBLink(cids[0], "a"), PBLink(cids[1], "Z")])))
    assert [lk.name for lk in node.links] == ["Z", "a"]


def test_encode_node_keeps_given_order():
    links = [(v1_of(bytes([i]), RAW).bytes, b"", i) for i in range(5)][::-1]
    node = dagpb.decode(dagpb.encode_node(links, None))
    assert [lk.tsize for lk in node.links] == [4, 3, 2, 1, 0]


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 16383, 16384, 2**21])
def test_link_serialized_size(n):
    for cid in (SOME_CID, SOME_CID.to_v1(), CID("bafkqaaa")):
        for tsize in (0, 1, 127, 128, 2**35, 2**63):
            name = b"n" * n
            assert dagpb.link_serialized_size(len(cid.bytes), n, tsize) == len(
                dagpb.encode_link(cid.bytes, name, tsize)
            )


def test_link_cids_and_name_bytes():
    cids = [v1_of(bytes([i]), RAW) for i in range(3)]
    block = dagpb.encode_node([(c.bytes, b"", 1) for c in cids], b"")
    assert dagpb.link_cids(block) == cids
    assert PBLink(SOME_CID, "\u00e9").name_bytes == b"\xc3\xa9"
    assert PBLink(SOME_CID, None).name_bytes == b""


def test_undecodable_name_round_trips():
    raw_name = b"caf\xe9"  # latin-1 file name, not UTF-8
    block = dagpb.encode_node([(SOME_CID.bytes, raw_name, 5)], None)
    node = dagpb.decode(block)
    assert node.links[0].name_bytes == raw_name
    assert dagpb.encode(node) == block


CIDB = SOME_CID.bytes
HASH_F = b"\x0a" + bytes([len(CIDB)]) + CIDB
NAME_F = b"\x12\x03abc"
TSIZE_F = b"\x18\x05"


def link(body: bytes) -> bytes:
    return b"\x12" + bytes([len(body)]) + body


GOOD_LINK = link(HASH_F + NAME_F + TSIZE_F)


BAD_BLOCKS = {
    "data before links": b"\x0a\x00" + GOOD_LINK,
    "duplicate data": b"\x0a\x01x\x0a\x00",
    "unknown PBNode field 3": b"\x1a\x00",
    "unknown PBNode field 15": b"\x7a\x00",
    "PBNode field 0": b"\x02\x00",
    "wrong wire type data (varint)": b"\x08\x00",
    "wrong wire type links (varint)": b"\x10\x00",
    "wrong wire type data (fixed64)": b"\x09" + b"\x00" * 8,
    "wrong wire type links (fixed32)": b"\x15" + b"\x00" * 4,
    "empty link": link(b""),
    "link without hash": link(NAME_F + TSIZE_F),
    "name before hash": link(NAME_F + HASH_F + TSIZE_F),
    "tsize before hash": link(TSIZE_F + HASH_F),
    "tsize before name": link(HASH_F + TSIZE_F + NAME_F),
    "duplicate hash": link(HASH_F + HASH_F),
    "duplicate name": link(HASH_F + NAME_F + NAME_F),
    "duplicate tsize": link(HASH_F + TSIZE_F + TSIZE_F),
    "hash not a CID": link(b"\x0a\x03\x01\x02\x03"),
    "hash empty": link(b"\x0a\x00"),
    "hash is a CID with trailing bytes": link(b"\x0a\x23" + CIDB + b"\x00"),
    "hash is a CIDv2": link(b"\x0a\x24\x02\x70" + CIDB),
    "hash wrong wire type": link(b"\x08\x01"),
    "name wrong wire type": link(HASH_F + b"\x10\x01"),
    "tsize wrong wire type": link(HASH_F + b"\x1a\x00"),
    "unknown link field": link(HASH_F + b"\x22\x00"),
    "truncated key varint": b"\x80",
    "truncated data length": b"\x0a",
    "truncated data length varint": b"\x0a\x80",
    "truncated link length": b"\x12",
    "truncated tsize varint": link(HASH_F + b"\x18\x80"),
    "truncated tsize": link(HASH_F + b"\x18"),
    "truncated key inside link": link(HASH_F + b"\x80"),
    "data length past end": b"\x0a\x05abc",
    "link length past end": b"\x12\x30" + HASH_F,
    "hash length past link end": link(b"\x0a\x30" + CIDB),
    "name length past link end": link(HASH_F + b"\x12\x05ab"),
    "field straddles link end": link(HASH_F + b"\x12\x03a") + b"bc",
    "varint over 64 bits": b"\x0a" + b"\xff" * 10 + b"\x01",
}


@pytest.mark.parametrize("block", list(BAD_BLOCKS.values()), ids=list(BAD_BLOCKS))
def test_decode_rejects(block):
    with pytest.raises(DecodeError) as info:
        dagpb.decode(block)
    assert str(info.value)
    assert isinstance(info.value, PinfoldError)


def test_tsize_varint_over_64_bits_rejected():
    # Tsize is a uint64. A 10-byte varint whose last byte is > 1 encodes a value >= 2**64; the
    # decoder has a "varint overflows 64 bits" check, so it must not hand back such a Tsize.
    block = link(HASH_F + b"\x12\x00" + b"\x18" + b"\xff" * 9 + b"\x7f")
    with pytest.raises(DecodeError):
        dagpb.decode(block)


def test_decode_accepts_max_uint64_tsize():
    block = link(HASH_F + b"\x12\x00" + b"\x18" + b"\xff" * 9 + b"\x01")
    node = dagpb.decode(block)
    assert node.links[0].tsize == 2**64 - 1
    assert dagpb.encode(node) == block


def test_decode_accepts_good_forms():
    node = dagpb.decode(GOOD_LINK + GOOD_LINK + b"\x0a\x01x")
    assert node == PBNode([PBLink(SOME_CID, "abc", 5)] * 2, b"x")
    assert dagpb.decode(b"") == PBNode([], None)
    assert dagpb.decode(memoryview(GOOD_LINK)).links == [PBLink(SOME_CID, "abc", 5)]
    # Name and Tsize are optional; absent ones decode as None.
    assert dagpb.decode(link(HASH_F)).links == [PBLink(SOME_CID, None, None)]
    assert dagpb.decode(link(HASH_F + TSIZE_F)).links == [PBLink(SOME_CID, None, 5)]
    assert dagpb.decode(link(HASH_F + NAME_F)).links == [PBLink(SOME_CID, "abc", None)]


def _mutations(block: bytes, rnd: random.Random, n: int) -> list[bytes]:
    out = []
    for _ in range(n):
        b = bytearray(block)
        for _ in range(rnd.randint(1, 3)):
            op = rnd.randrange(3)
            if op == 0 and b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            elif op == 1 and b:
                del b[rnd.randrange(len(b)) :]
            else:
                b.insert(rnd.randrange(len(b) + 1), rnd.randrange(256))
        out.append(bytes(b))
    return out


VALID_BLOCK = dagpb.encode(
    PBNode([PBLink(SOME_CID, "abc", 5), PBLink(RAW_ID_CID, "", 2**40)], b"\x08\x01")
)


@settings(max_examples=400, deadline=None)
@given(
    block=st.binary(max_size=120)
    | st.builds(lambda s: _mutations(VALID_BLOCK, random.Random(s), 1)[0], st.integers())
)
def test_fuzz_dagpb_decode(block):
    try:
        node = dagpb.decode(block)
    except DecodeError as exc:
        assert str(exc)
    else:
        assert isinstance(node, PBNode)
        for lk in node.links:
            assert isinstance(lk.cid, CID)


cids = st.builds(
    lambda d: CID.v0(b"\x12\x20" + d), st.binary(min_size=32, max_size=32)
) | st.builds(
    lambda codec, fn, d: CID.v1(codec, get_hash(fn).multihash(d)),
    st.sampled_from([DAG_PB, RAW, DAG_CBOR]),
    st.sampled_from(["sha2-256", "sha2-512", "blake2b-256", "identity"]),
    st.binary(max_size=40),
)


links_st = st.builds(PBLink, cids, st.text(max_size=12), st.integers(min_value=0, max_value=2**63))
nodes = st.builds(PBNode, st.lists(links_st, max_size=20), st.none() | st.binary(max_size=200))


@settings(max_examples=150, deadline=None)
@given(node=nodes)
def test_dagpb_round_trip(node):
    block = dagpb.encode(node)
    back = dagpb.decode(block)
    expected_links = sorted(node.links, key=lambda lk: lk.name.encode("utf-8"))
    assert back.links == expected_links
    assert back.data == node.data
    assert dagpb.encode(back) == block
    assert dagpb.decode(dagpb.encode(back)) == back
    # encode_node with the same (already sorted) links gives the same bytes
    triples = [(lk.cid.bytes, lk.name_bytes, lk.tsize) for lk in expected_links]
    assert dagpb.encode_node(triples, node.data) == block
    assert dagpb.link_cids(block) == [lk.cid for lk in expected_links]
    assert len(block) == sum(
        dagpb.link_serialized_size(len(c), len(n), t) for c, n, t in triples
    ) + (0 if node.data is None else len(dagpb.encode_node([], node.data)))


# ipld/codec-fixtures' DAG-PB blocks: name -> (hex bytes, CID), shared with tests/ipld
FIXTURES = {name: (f["bytes"], f["cid"])
            for name, f in load_vectors("dagpb-fixtures.json")["fixtures"].items()}


RID = RAW_ID_CID


EXPECTED_DECODED = {
    "dagpb_1link": PBNode(
        [
            PBLink(
                CID(H("12207521fe19c374a97759226dc5c0c8e674e73950e81b211f7dd3b6b30883a08a51")),
                None,
                None,
            )
        ]
    ),
    "dagpb_2link+data": PBNode(
        [
            PBLink(
                CID(H("12208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f43")),
                "some link",
                100000000,
            ),
            PBLink(
                CID(H("12208ab7a6c5e74737878ac73863cb76739d15d4666de44e5756bf55a2f9e9ab5f44")),
                "some other link",
                8,
            ),
        ],
        b"some data",
    ),
    "dagpb_Data_some": PBNode([], H("0001020304")),
    "dagpb_Data_zero": PBNode([], b""),
    "dagpb_Links_Hash_some": PBNode([PBLink(RID, None, None)]),
    "dagpb_Links_Hash_some_Name_some": PBNode([PBLink(RID, "some name", None)]),
    "dagpb_Links_Hash_some_Name_zero": PBNode([PBLink(RID, "", None)]),
    "dagpb_Links_Hash_some_Tsize_some": PBNode([PBLink(RID, None, 2**53 - 1)]),
    "dagpb_Links_Hash_some_Tsize_zero": PBNode([PBLink(RID, None, 0)]),
    "dagpb_empty": PBNode([], None),
    "dagpb_simple_forms_1": PBNode([], H("010203")),
    "dagpb_simple_forms_2": PBNode(
        [PBLink(RID, None, None), PBLink(RID, "bar", None), PBLink(RID, "foo", None)]
    ),
    "dagpb_simple_forms_3": PBNode(
        [PBLink(RID, None, None), PBLink(RID, "a", None), PBLink(RID, "a", None)]
    ),
    "dagpb_simple_forms_4": PBNode([PBLink(RID, "a", None), PBLink(RID, "a", None)]),
}


# Fixtures already in Kubo's canonical form (every link has Name and Tsize): re-encoding is
# byte-identical.
CANONICAL = {
    "dagpb_11unnamedlinks+data",
    "dagpb_2link+data",
    "dagpb_4namedlinks+data",
    "dagpb_7unnamedlinks+data",
    "dagpb_Data_some",
    "dagpb_Data_zero",
    "dagpb_empty",
    "dagpb_simple_forms_1",
}


@pytest.mark.parametrize("name", list(FIXTURES))
def test_cross_codec_fixture(name):
    hexbytes, cid = FIXTURES[name]
    block = H(hexbytes)
    assert str(v1_of(block)) == cid
    node = dagpb.decode(block)
    if name in EXPECTED_DECODED:
        assert node == EXPECTED_DECODED[name]
    again = dagpb.encode(node)
    if name in CANONICAL:
        assert again == block
    else:
        # Kubo's canonical form: absent Name/Tsize are written as empty name / 0.
        canon = dagpb.decode(again)
        assert [lk.cid for lk in canon.links] == [lk.cid for lk in node.links]
        assert [lk.name for lk in canon.links] == [lk.name or "" for lk in node.links]
        assert [lk.tsize for lk in canon.links] == [lk.tsize or 0 for lk in node.links]
        assert canon.data == node.data
        assert dagpb.encode(canon) == again


def test_cross_codec_fixture_unixfs_payloads():
    node = dagpb.decode(H(FIXTURES["dagpb_7unnamedlinks+data"][0]))
    assert len(node.links) == 7
    assert all(lk.name == "" for lk in node.links)
    fs = unixfs.decode(node.data)
    assert fs.type == NodeType.FILE
    assert fs.blocksizes == [45613056] * 6 + [32530635]
    assert fs.filesize == sum(fs.blocksizes) == 306208971
    assert unixfs.encode(fs) == node.data  # unpacked blocksizes, field order
    node = dagpb.decode(H(FIXTURES["dagpb_4namedlinks+data"][0]))
    assert [lk.name for lk in node.links] == [
        "audio_only.m4a",
        "chat.txt",
        "playback.m3u",
        "zoom_0.mp4",
    ]
    assert unixfs.decode(node.data) == UnixFSData(NodeType.DIRECTORY)
