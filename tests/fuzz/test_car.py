"""CAR files: the reader (v1, v2 with either index format) and the index decoder on random,
mutated and crafted files, from seekable, offset and pipe-like streams. Only PinfoldError
escapes, and every block the reader yields matches its CID."""

from __future__ import annotations

import io
import struct

from hypothesis import example, given
from hypothesis import strategies as st

from pinfold import CID, PinfoldError, UnsupportedHashError
from pinfold.car import PRAGMA, CarIndex, CarReader, V2Header, encode_header, inspect
from pinfold.cid import get_hash

from .harness import BOUNDARY_INTS, hostile, mutated, target
from .seeds import content

_CARS = sorted(content().cars.values(), key=len)
_SMALL = min(_CARS, key=len)


class Pipe(io.RawIOBase):
    """A non-seekable stream that returns short reads, as a pipe does."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), 7, len(self._data) - self._pos)
        buf[:n] = self._data[self._pos:self._pos + n]
        self._pos += n
        return n


def _matches(cid: CID, data: bytes) -> bool:
    """Whether ``data`` is the block of ``cid``: the hash computed here (a digest may be
    truncated, to no fewer than 20 bytes, as boxo's verifcid allows)."""
    if cid.is_identity:
        return cid.identity_data == data
    try:
        fn = get_hash(cid.hash_code)
    except UnsupportedHashError:
        return False  # a block that cannot be verified must not be handed out
    digest = cid.digest
    return len(digest) >= 20 and fn.digest(data)[:len(digest)] == digest


@st.composite
def crafted_v2(draw) -> bytes:
    """A CARv2 whose header fields (data offset, size, index offset) are boundary values or
    near the real ones, over a real payload and index."""
    real = draw(st.sampled_from([c for c in _CARS if c.startswith(PRAGMA)]))
    header = V2Header.decode(real[len(PRAGMA):len(PRAGMA) + 40])
    def near(v):
        return st.one_of(st.sampled_from(BOUNDARY_INTS).map(lambda n: n % (1 << 64)),
                         st.integers(-3, 3).map(lambda d: (v + d) % (1 << 64)))
    fields = [draw(near(header.data_offset)), draw(near(header.data_size)),
              draw(near(header.index_offset))]
    chars = draw(st.sampled_from([0, 1 << 127, (1 << 128) - 1]))
    raw = PRAGMA + struct.pack("<16sQQQ", chars.to_bytes(16, "big"), *fields)
    return raw + real[len(raw):]


#: A CARv1 whose one block has a 0-byte sha2-256 digest, which any bytes "match".
ZERO_DIGEST_CAR = (encode_header([CID.v1("raw", b"\x12\x00")])
                   + b"\x0c" + CID.v1("raw", b"\x12\x00").bytes + b"anything")


def _v2_with_index_offset(offset: int) -> bytes:
    real = next(c for c in _CARS if c.startswith(PRAGMA))
    raw = bytearray(real)
    struct.pack_into("<Q", raw, len(PRAGMA) + 32, offset)
    return bytes(raw)


def _read(car: CarReader) -> None:
    assert car.version in (1, 2) and isinstance(car.roots, list)
    for cid, data in car:
        assert _matches(cid, data), f"block {cid} yielded that does not match its CID"
    index = car.read_index()
    if index is not None:
        for mh in {cid.multihash for cid, _ in content().blocks}:
            index.offsets(mh)
        len(index), index.encode()


def _outcome(stream) -> tuple[list, str]:
    """The blocks a reader yields from ``stream``, and the error it ends with (if any)."""
    got: list = []
    try:
        with CarReader(stream, verify=False) as car:
            got.extend(car)
    except PinfoldError as exc:
        return got, str(exc)
    return got, ""


@target(scale=2)
@given(st.one_of(st.binary(max_size=300), mutated(st.sampled_from(_CARS), max_edits=6),
                 crafted_v2()),
       st.sampled_from(["bytes", "offset", "pipe", "buffered"]))
@example(_v2_with_index_offset(1 << 63), "bytes")  # issue 14, hole 1
@example(_v2_with_index_offset((1 << 64) - 1), "offset")
@example(PRAGMA + b"\x00" * 16 + struct.pack("<QQQ", 51, 1 << 63, 0), "bytes")
@example(ZERO_DIGEST_CAR, "bytes")
def test_reader(data, how):
    if how == "offset":  # a CAR that starts part-way into its stream
        stream: io.RawIOBase | io.BytesIO = io.BytesIO(b"junk" + data)
        stream.seek(4)
    elif how == "pipe":
        stream = Pipe(data)
    elif how == "buffered":  # each section's CID peeked at in the buffer: same outcome
        assert _outcome(io.BufferedReader(io.BytesIO(data), 64)) == _outcome(io.BytesIO(data))
        stream = io.BufferedReader(io.BytesIO(data))
    else:
        stream = io.BytesIO(data)
    with hostile():
        with CarReader(stream) as car:
            _read(car)
    if how == "bytes":
        with hostile():
            summary = inspect(io.BytesIO(data))
            summary.to_json()
        with hostile():
            with CarReader(io.BytesIO(data), verify=False) as car:
                for _ in car.sections():
                    pass


_INDEXES = [CarReader(io.BytesIO(c)).read_index() for c in _CARS if c.startswith(PRAGMA)]
_INDEX_BYTES = [i.encode() for i in _INDEXES if i is not None]


@target(scale=2)
@given(st.one_of(st.binary(max_size=200), mutated(st.sampled_from(_INDEX_BYTES), max_edits=6)))
@example(b"\x80\x08" + struct.pack("<i", 1) + struct.pack("<IQ", 40, 1 << 63))
def test_index(data):
    with hostile():
        index = CarIndex.decode(data)
        assert CarIndex.decode(index.encode()).buckets == index.buckets
        for mh in {cid.multihash for cid, _ in content().blocks}:
            index.offsets(mh)
