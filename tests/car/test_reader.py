"""pinfold.car.reader: CARv1/v2 reading, short reads, and malformed files as clear errors."""

from __future__ import annotations

import io
import struct

import pytest

from pinfold.car import (
    PRAGMA,
    CarError,
    CarIndex,
    CarReader,
    V2Header,
    encode_header,
    inspect,
)
from pinfold.cid import encode_varint

from .helpers import (
    GO_CAR_DFS,
    R1,
    R2,
    V1_BASIC,
    _corrupt_last_byte,
    build_car,
    raw_block,
    sections,
    small_dag,
)


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


def _error(stream) -> str:
    with pytest.raises(CarError) as exc:
        list(CarReader(stream))
    return str(exc.value)


@pytest.mark.parametrize("buffer", [16, 8192])
@pytest.mark.parametrize("name", list(BAD))
def test_buffered_streams_fail_the_same_way(name, buffer):
    # a buffered stream has each section's CID parsed from its buffer and the block read on
    # its own (no copy of the block sliced off the section), where the buffer holds the CID
    # (8192; 16 is too small for a CIDv1); BytesIO has no buffer to peek at and reads whole
    # sections: all give the same error, word for word
    data, _ = BAD[name]
    assert _error(io.BufferedReader(io.BytesIO(data), buffer)) == _error(io.BytesIO(data))


@pytest.mark.parametrize("buffer", [1, 7, 40, 8192])
def test_buffered_streams_read_the_same_blocks(buffer, tmp_path):
    # buffers too small for a CID (1, 7) take the whole-section path, larger ones the other
    want = sections(GO_CAR_DFS)
    got = list(CarReader(io.BufferedReader(io.BytesIO(GO_CAR_DFS), buffer)))
    assert got == want and all(type(data) is bytes for _, data in got)
    path = tmp_path / "dfs.car"
    path.write_bytes(GO_CAR_DFS)
    assert list(CarReader(path)) == want


def test_a_cid_longer_than_the_peek_reads_whole(tmp_path):
    # an identity CID of 300 bytes (more than the reader peeks at for a CID), in a section
    # written by hand (pinfold's CAR writer leaves identity blocks out)
    from pinfold.cid import CID

    inline = bytes(range(256)) + b"x" * 44
    cid = CID.v1(0x55, b"\x00" + encode_varint(len(inline)) + inline)
    after = raw_block(b"after")
    section = bytes(cid) + inline
    car = (build_car([cid], [after])[:-len(after[1]) - len(bytes(after[0])) - 1]
           + encode_varint(len(section)) + section
           + encode_varint(len(bytes(after[0])) + 5) + bytes(after[0]) + after[1])
    path = tmp_path / "long.car"
    path.write_bytes(car)
    assert list(CarReader(path)) == [(cid, inline), after] == sections(car)
    cut = car[:len(car) - 60]  # inside the long CID's section
    (tmp_path / "cut.car").write_bytes(cut)
    assert _error(tmp_path / "cut.car") == _error(io.BytesIO(cut))


def test_corrupt_block_error_names_the_cid():
    with pytest.raises(CarError) as exc:
        list(CarReader(io.BytesIO(_corrupt_last_byte(V1_BASIC))))
    assert str(R2) in str(exc.value) and "section at byte 660" in str(exc.value)


def test_missing_file_is_a_car_error(tmp_path):
    with pytest.raises(CarError, match="cannot open"):
        CarReader(tmp_path / "nope.car")
