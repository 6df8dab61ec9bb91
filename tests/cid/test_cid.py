"""pinfold.cid.cid: parsing and formatting CIDs, against multiformats, round trips, bad input."""

from __future__ import annotations

import hashlib
import pickle

import multiformats
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pinfold
from pinfold import CID, DecodeError, InvalidCIDError, PinfoldError, UnsupportedHashError
from pinfold.cid import (
    DAG_CBOR,
    DAG_PB,
    RAW,
    codec_code,
    get_hash,
)

V0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
V1 = "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby"
DIGEST_HEX = "46d44814b9c5af141c3aaab7c05dc5e844ead5f91f12858b021eba45768b4c0e"
DIGEST = bytes.fromhex(DIGEST_HEX)
MH = b"\x12\x20" + DIGEST


# Other string forms of V1, as the multiformats reference implementation writes them.
V1_FORMS = {
    "base32": V1,
    "base36": "k2jmtxt4nv2kx0qz1ncwpjwzdixb27xsgqxk7kgho4nnmjceustvi80e",
    "base58btc": "zdj7WaCPMsy3FP2whSwpFXHjDEaTVmjnddYSn5W2Gdn4aEZFj",
    "base16": "f01701220" + DIGEST_HEX,
    "base64": "mAXASIEbUSBS5xa8UHDqqt8BdxehE6tX5HxKFiwIeukV2i0wO",
    "base32upper": V1.upper(),
}


CODECS = {"dag-pb": DAG_PB, "raw": RAW, "dag-cbor": DAG_CBOR}


def test_v0_parse_and_properties():
    c = CID(V0)
    assert c.version == 0
    assert c.codec == "dag-pb"
    assert c.codec_code == 0x70
    assert c.multihash == MH
    assert c.hash_code == 0x12
    assert c.hash_name == "sha2-256"
    assert c.digest == DIGEST
    assert bytes(c) == MH
    assert c.bytes == MH
    assert str(c) == V0
    assert c.encode() == V0
    assert c.encode("base58btc") == V0
    assert repr(c) == f"CID('{V0}')"


def test_v1_parse_and_properties():
    c = CID(V1)
    assert c.version == 1
    assert c.codec == "dag-pb"
    assert c.codec_code == DAG_PB
    assert c.multihash == MH
    assert c.hash_name == "sha2-256"
    assert c.digest == DIGEST
    assert c.bytes == b"\x01\x70" + MH
    assert bytes(c) == c.bytes
    assert str(c) == V1
    assert repr(c) == f"CID('{V1}')"


def test_v0_v1_conversion():
    v0, v1 = CID(V0), CID(V1)
    assert v0.to_v1() == v1
    assert v1.to_v0() == v0
    assert str(v0.to_v1()) == V1
    assert str(v1.to_v0()) == V0
    assert v0.to_v0() is v0
    assert v1.to_v1() is v1
    # Different CIDs, same multihash.
    assert v0 != v1
    assert v0.multihash == v1.multihash
    assert v0.bytes != v1.bytes
    assert len({v0, v1}) == 2


@pytest.mark.parametrize("base", sorted(V1_FORMS))
def test_v1_string_forms(base):
    c = CID(V1)
    assert c.encode(base) == V1_FORMS[base]
    parsed = CID(V1_FORMS[base])
    assert parsed == c
    assert parsed.bytes == c.bytes
    assert str(parsed) == V1  # default output base is base32


def test_v0_cannot_be_written_in_other_bases():
    with pytest.raises(InvalidCIDError):
        CID(V0).encode("base32")
    assert CID(V0).to_v1().encode("base32") == V1


def test_raw_cid():
    digest = hashlib.sha256(b"hello").digest()
    c = CID.v1("raw", b"\x12\x20" + digest)
    assert c.codec == "raw"
    assert c.codec_code == RAW
    assert c.bytes == b"\x01\x55\x12\x20" + digest
    assert str(c).startswith("bafkrei")
    assert CID(str(c)) == c
    assert c.to_v1() is c
    with pytest.raises(InvalidCIDError, match="dag-pb"):
        c.to_v0()


def test_to_v0_of_non_sha256_dag_pb_is_rejected():
    c = CID.v1("dag-pb", get_hash("sha2-512").multihash(b"x"))
    with pytest.raises(InvalidCIDError):
        c.to_v0()


def test_identity_cid():
    c = CID("bafkqaaa")
    assert c.version == 1
    assert c.codec == "raw"
    assert c.hash_code == 0
    assert c.hash_name == "identity"
    assert c.digest == b""
    assert c.multihash == b"\x00\x00"
    assert c.bytes == b"\x01\x55\x00\x00"
    assert str(c) == "bafkqaaa"
    assert CID.v1(RAW, get_hash("identity").multihash(b"")) == c


def test_cid_of_cid_is_identity():
    c = CID(V1)
    assert CID(c) is c


def test_constructors():
    assert CID.v0(MH) == CID(V0)
    assert CID.v1(DAG_PB, MH) == CID(V1)
    assert CID.v1("dag-pb", MH) == CID(V1)
    assert CID.from_bytes(MH) == CID(V0)
    assert CID.from_bytes(b"\x01\x70" + MH) == CID(V1)
    assert CID(MH) == CID(V0)
    assert CID(bytearray(b"\x01\x70" + MH)) == CID(V1)
    assert CID.decode(memoryview(b"\x01\x70" + MH)) == CID(V1)
    with pytest.raises(InvalidCIDError):
        CID.v0(b"\x12\x20" + DIGEST[:31])
    with pytest.raises(InvalidCIDError):
        CID.v0(get_hash("sha2-512").multihash(b"x"))
    with pytest.raises(InvalidCIDError):
        CID.v1(DAG_PB, b"\x12\x20" + DIGEST[:31])
    with pytest.raises(InvalidCIDError):
        CID.v1("no-such-codec", MH)


def test_codec_code():
    assert codec_code("dag-pb") == 0x70
    assert codec_code("raw") == 0x55
    assert codec_code("dag-cbor") == 0x71
    assert codec_code("dag-json") == 0x0129
    assert codec_code(0x70) == 0x70
    with pytest.raises(InvalidCIDError):
        codec_code("definitely-not-a-codec")


def test_unknown_codec_code_is_kept():
    c = CID(b"\x01\xf0\x01" + MH)  # codec 0xf0 is not in the table
    assert c.codec_code == 0xF0
    assert isinstance(c.codec, str)
    assert CID(str(c)) == c


def test_hash_and_dict_key():
    a, b = CID(V1), CID(V1_FORMS["base58btc"])
    assert a == b and a is not b
    assert hash(a) == hash(b)
    d = {a: 1}
    assert d[b] == 1
    d[CID(V0)] = 2
    assert len(d) == 2
    assert {CID(V0), CID(V0), CID(V1)} == {CID(V0), CID(V1)}
    assert (CID(V1) == V1) is False
    assert CID(V1) != V1


def test_ordering_follows_binary_form():
    cids = [CID.v1(RAW, get_hash("sha2-256").multihash(bytes([i]))) for i in range(20)]
    cids += [CID(V0), CID(V1)]
    ordered = sorted(cids)
    assert [c.bytes for c in ordered] == sorted(c.bytes for c in cids)
    lo, hi = ordered[0], ordered[-1]
    assert lo < hi and lo <= hi and hi > lo and hi >= lo
    assert lo <= lo and lo >= lo
    assert not lo < lo
    with pytest.raises(TypeError):
        _ = lo < "x"


@pytest.mark.parametrize("s", [V0, V1, "bafkqaaa", V1_FORMS["base36"]])
def test_pickle_round_trip(s):
    c = CID(s)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(c, protocol=proto))
        assert back == c
        assert back.version == c.version
        assert str(back) == str(c)
        assert hash(back) == hash(c)


def test_read_with_offset_and_trailing_data():
    v1 = CID(V1).bytes
    buf = b"\xaa\xbb" + MH + v1 + b"trailing"
    c0, end0 = CID.read(buf, 2)
    assert c0 == CID(V0) and end0 == 2 + 34
    c1, end1 = CID.read(buf, end0)
    assert c1 == CID(V1) and end1 == end0 + len(v1)
    assert buf[end1:] == b"trailing"
    c2, end2 = CID.read(memoryview(buf), end0)
    assert (c2, end2) == (c1, end1)


cid_parts = st.one_of(
    st.tuples(st.just(0), st.just("dag-pb"), st.binary(min_size=32, max_size=32)),
    st.tuples(st.just(1), st.sampled_from(sorted(CODECS)), st.binary(min_size=32, max_size=32)),
)


V1_BASES = ["base32", "base36", "base58btc"]


def _mf_cid(version, codec, digest):
    mh = multiformats.multihash.wrap(digest, "sha2-256")
    base = "base58btc" if version == 0 else "base32"
    return multiformats.CID(base, version, codec, mh)


@settings(max_examples=150, deadline=None)
@given(parts=cid_parts, base=st.sampled_from(V1_BASES))
def test_matches_multiformats(parts, base):
    version, codec, digest = parts
    ref = _mf_cid(version, codec, digest)
    if version == 0:
        s = ref.encode()
        assert s.startswith("Qm")
    else:
        s = ref.encode(base)
    c = CID(s)
    assert c.bytes == bytes(multiformats.CID.decode(s))
    assert c.bytes == bytes(ref)
    assert c.version == version
    assert c.codec == codec
    assert c.digest == digest
    assert c.multihash == bytes(ref.digest)
    assert c.digest == bytes(ref.raw_digest)
    if version == 0:
        assert c.encode() == ref.encode() == s
    else:
        for b in V1_BASES:
            assert c.encode(b) == ref.encode(b)
    # pinfold's bytes parse back the same in multiformats
    assert multiformats.CID.decode(c.bytes) == ref


any_cid = st.builds(lambda parts: CID.from_bytes(bytes(_mf_cid(*parts))), cid_parts) | st.builds(
    lambda code, fn, data: CID.v1(code, get_hash(fn).multihash(data)),
    st.sampled_from([DAG_PB, RAW, DAG_CBOR, 0x0129, 0x300000]),
    st.sampled_from(["sha2-256", "sha2-512", "sha3-256", "blake2b-256", "identity"]),
    st.binary(max_size=40),
)


@settings(max_examples=150, deadline=None)
@given(c=any_cid, base=st.sampled_from(V1_BASES + ["base16", "base64", "base32upper"]))
def test_round_trips(c, base):
    assert CID(str(c)) == c
    assert str(CID(str(c))) == str(c)
    assert CID.from_bytes(c.bytes) == c
    assert CID.from_bytes(c.bytes).bytes == c.bytes
    if c.version == 1:
        assert CID(c.encode(base)) == c
    assert pickle.loads(pickle.dumps(c)) == c


@settings(max_examples=100, deadline=None)
@given(
    cs=st.lists(any_cid, min_size=1, max_size=5),
    prefix=st.binary(max_size=8),
    suffix=st.binary(max_size=8),
)
def test_read_sequence_with_trailing_data(cs, prefix, suffix):
    buf = prefix + b"".join(c.bytes for c in cs) + suffix
    pos = len(prefix)
    for c in cs:
        got, end = CID.read(buf, pos)
        assert got == c
        assert end == pos + len(c.bytes)
        pos = end
    assert buf[pos:] == suffix


BAD_STRINGS = {
    "empty": "",
    "whitespace": "   ",
    "garbage": "garbage!",
    "truncated base58 v1": V1_FORMS["base58btc"][:-3],
    "truncated base32 v1": V1[:-5],
    "unknown multibase prefix": "!" + V1[1:],
    "base32 payload under base58 prefix": "z" + V1[1:],
    "v0 length with bad char": V0[:-1] + "0",
    "v0 length with bad char l": V0[:10] + "l" + V0[11:],
    "v0 truncated": V0[:-1],
    "v0 too long": V0 + "o",
    "v1 with version 2": multiformats.multibase.encode(b"\x02\x70" + MH, "base32"),
    "v1 with version 0": multiformats.multibase.encode(b"\x00\x70" + MH, "base32"),
    "v1 with version 3 in base58": multiformats.multibase.encode(b"\x03\x55" + MH, "base58btc"),
    "truncated multihash": multiformats.multibase.encode(b"\x01\x70" + MH[:-1], "base32"),
    "multihash header only": multiformats.multibase.encode(b"\x01\x70\x12", "base32"),
    "trailing bytes": multiformats.multibase.encode(b"\x01\x70" + MH + b"\x00", "base32"),
    "v0 in base32": multiformats.multibase.encode(MH, "base32"),
    "v0 in base58btc with prefix": "z" + V0,
    "v0 in base36": multiformats.multibase.encode(MH, "base36"),
    "non-minimal codec varint": multiformats.multibase.encode(b"\x01\xf0\x00" + MH, "base32"),
}


@pytest.mark.parametrize("s", list(BAD_STRINGS.values()), ids=list(BAD_STRINGS))
def test_bad_strings_raise_invalid_cid(s):
    with pytest.raises(InvalidCIDError) as info:
        CID(s)
    assert str(info.value)
    assert isinstance(info.value, PinfoldError)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidCIDError):
        CID.decode(s)


BAD_BYTES = {
    "empty": b"",
    "truncated v0": MH[:-1],
    "v0 prefix only": b"\x12\x20",
    "v0 trailing": MH + b"\x00",
    "version 2": b"\x02\x70" + MH,
    "version 0 explicit": b"\x00\x70" + MH,
    "truncated multihash": b"\x01\x70" + MH[:-1],
    "trailing bytes": b"\x01\x70" + MH + b"xx",
    "truncated codec varint": b"\x01\x80",
    "truncated version varint": b"\x81",
    "missing multihash": b"\x01\x55",
    "non-minimal version": b"\x81\x00\x70" + MH,
}


@pytest.mark.parametrize("b", list(BAD_BYTES.values()), ids=list(BAD_BYTES))
def test_bad_bytes_raise_invalid_cid(b):
    with pytest.raises(InvalidCIDError) as info:
        CID.from_bytes(b)
    assert str(info.value)
    with pytest.raises(InvalidCIDError):
        CID(b)


def test_read_past_end_raises():
    with pytest.raises(InvalidCIDError):
        CID.read(MH, 34)
    with pytest.raises(InvalidCIDError):
        CID.read(b"\x00" + MH[:-1], 1)


@pytest.mark.parametrize("value", [0, 12345, 1.5, None, ["Qm"], object()])
def test_non_str_bytes_input(value):
    with pytest.raises(InvalidCIDError) as info:
        CID(value)
    assert str(info.value)


def test_oversized_codec_varint_rejected_like_multiformats():
    # A 10-byte codec varint (value 2**64 - 1). multiformats rejects it ("Varints must be at most
    # 9 bytes long"); the unsigned-varint spec caps varints at 9 bytes / 63 bits.
    binary = b"\x01" + b"\xff" * 9 + b"\x01" + MH
    with pytest.raises(ValueError):
        multiformats.CID.decode(binary)
    with pytest.raises(InvalidCIDError):
        CID.from_bytes(binary)


@settings(max_examples=300, deadline=None)
@given(
    s=st.text(max_size=80)
    | st.builds(lambda p, t: p + t, st.sampled_from(list("bBzkfFmMuQ")), st.text(max_size=70))
    | st.builds(
        lambda t: "Qm" + t,
        st.text(
            alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0lIO",
            min_size=44,
            max_size=44,
        ),
    )
)
def test_fuzz_decode_text(s):
    try:
        c = CID.decode(s)
    except InvalidCIDError as exc:
        assert str(exc)
    else:
        assert isinstance(c, CID)
        assert CID(str(c)) == c


@settings(max_examples=300, deadline=None)
@given(
    b=st.binary(max_size=80)
    | st.builds(lambda t: b"\x01" + t, st.binary(max_size=60))
    | st.builds(lambda t: b"\x12\x20" + t, st.binary(max_size=40))
)
def test_fuzz_decode_bytes(b):
    try:
        c = CID.decode(b)
    except InvalidCIDError as exc:
        assert str(exc)
    else:
        assert isinstance(c, CID)
        assert c.bytes == b
        assert CID(str(c)) == c


def test_public_exports():
    assert pinfold.CID is CID
    assert issubclass(InvalidCIDError, PinfoldError)
    assert issubclass(InvalidCIDError, ValueError)
    assert issubclass(DecodeError, PinfoldError)
    assert issubclass(UnsupportedHashError, ValueError)


B32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@settings(max_examples=400, deadline=None)
@given(
    s=st.builds(lambda t: "bafy" + t, st.text(alphabet=B32_ALPHABET + "A01=_ ", max_size=60))
    | st.builds(lambda t: "b" + t, st.text(alphabet=B32_ALPHABET, max_size=70))
    | st.builds(lambda t: "Qm" + t, st.text(alphabet=B58_ALPHABET + "0lIO", min_size=44,
                                            max_size=44))
    | st.builds(lambda d: str(CID.v1(RAW, b"\x12\x20" + d))[:-1], st.binary(min_size=32,
                                                                            max_size=32))
    .flatmap(lambda s: st.sampled_from([s + c for c in B32_ALPHABET]))
)
def test_fast_string_paths_agree_with_multiformats(s):
    """The hand-written base32 and base58 parsers accept exactly what multiformats does, and
    a CID's string form is the canonical one whichever way it was parsed."""
    try:
        ref = bytes(multiformats.CID.decode(s))
    except Exception:  # noqa: BLE001 - multiformats raises several types
        ref = None
    try:
        got = CID.decode(s)
    except InvalidCIDError:
        got = None
    if got is not None:
        assert ref == got.bytes
        assert str(got) == str(multiformats.CID.decode(s))
    else:
        assert ref is None or ref[:1] == b"\x12" or s.strip() != s


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=80))
def test_string_forms_of_any_bytes_match_multiformats(data):
    c = CID.v1(RAW, get_hash("identity").multihash(data))
    ref = multiformats.CID.decode(c.bytes)
    assert str(c) == ref.encode("base32")
    assert c.encode("base58btc") == ref.encode("base58btc")
    assert CID(str(c)) == c and CID(c.encode("base58btc")) == c


def test_codec_lookups_by_name_keep_nothing_of_the_caller_alive():
    # multiformats' argument checks keep the frames of their latest caller alive (locals
    # and all); pinfold asks it from a thread of its own, so a caller's data is freed
    import gc
    import weakref

    from pinfold.cid import get_hash
    from pinfold.cid.cid import _code_of_name, _codec_name, codec_code

    class Data(bytearray):
        pass

    def block_cid(data, codec):
        return CID.v1(codec, get_hash("sha2-256").multihash(data))

    _code_of_name.cache_clear()
    _codec_name.cache_clear()
    data = Data(b"kept by nobody")
    ref = weakref.ref(data)
    cid = block_cid(data, "dag-json")
    assert cid.codec == "dag-json" and codec_code("dag-json") == 0x0129
    del data
    gc.collect()
    assert ref() is None
    with pytest.raises(InvalidCIDError, match="unknown codec 'no-such-codec'"):
        codec_code("no-such-codec")
    with pytest.raises(InvalidCIDError, match="unknown codec"):
        codec_code(["raw"])
    assert CID.v1(0x9999, cid.multihash).codec == "0x9999"
