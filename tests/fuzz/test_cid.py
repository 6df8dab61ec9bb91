"""CIDs, multihashes and varints from strings and bytes: only PinfoldError escapes, and what
parses prints and re-parses to itself."""

from __future__ import annotations

import hashlib

from hypothesis import example, given
from hypothesis import strategies as st

from pinfold import CID
from pinfold.cid import decode_multihash, decode_varint, encode_varint

from .harness import hostile, hostile_text, mutated, target

_DIGEST = hashlib.sha256(b"fuzz").digest()
_VALID = [CID.v0(b"\x12\x20" + _DIGEST), CID.v1("raw", b"\x12\x20" + _DIGEST),
          CID.v1("dag-cbor", b"\x12\x20" + _DIGEST), CID.v1("raw", b"\x00\x03abc"),
          CID.v1(0x300000, b"\x1e\x20" + _DIGEST)]  # an unknown codec, blake3
_BASES = ["base32", "base58btc", "base36", "base64url", "base16", "base32upper", "base64"]


def _exercise(cid: CID) -> None:
    """Everything a caller does with a CID someone else handed over."""
    text = str(cid)
    assert CID.decode(text) == cid
    assert CID.from_bytes(cid.bytes) == cid
    repr(cid), hash(cid), cid.codec, cid.hash_name, cid.digest, cid.identity_data
    cid.to_v1()
    for base in _BASES:
        assert CID.decode(cid.encode(base)) == cid
    if cid.version == 0:
        cid.to_v0()


@st.composite
def cid_text(draw) -> str:
    cid = draw(st.sampled_from(_VALID))
    base = draw(st.sampled_from(_BASES))
    text = str(cid) if cid.version == 0 else cid.encode(base)
    return draw(mutated(st.just(text.encode()))).decode("latin-1")


@target(scale=3)
@given(st.one_of(hostile_text(), cid_text(), st.text()))
@example("Qm" + "1" * 44)
@example("z" + "1" * 5000)
@example("\ud800")
def test_cid_strings(text):
    with hostile():
        _exercise(CID.decode(text))


@target(scale=3)
@given(st.one_of(st.binary(max_size=80),
                 mutated(st.sampled_from([c.bytes for c in _VALID]))))
@example(b"\x01\x55\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
def test_cid_bytes(data):
    with hostile():
        _exercise(CID.from_bytes(data))
    with hostile():
        cid, end = CID.read(data, 0)
        assert 0 < end <= len(data)
        _exercise(cid)


@target(scale=2)
@given(st.one_of(st.binary(max_size=60),
                 mutated(st.sampled_from([c.multihash for c in _VALID]))))
def test_multihash(data):
    with hostile():
        code, digest = decode_multihash(data)
        assert encode_varint(code) + encode_varint(len(digest)) + digest == data
    with hostile():
        CID.v1("raw", data)


@target(scale=2)
@given(st.binary(max_size=12), st.integers(0, 12))
def test_varint(data, pos):
    with hostile():
        value, end = decode_varint(data, pos)
        assert encode_varint(value) == data[pos:end]
