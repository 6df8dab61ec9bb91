"""CAR framing: the CARv1 header and sections, the CARv2 pragma and header.

A CARv1 is ``varint(len(header)) header`` (DAG-CBOR ``{"roots": [CID...], "version": 1}``)
followed by sections ``varint(len(cid) + len(block)) cid block``. A CARv2 is an 11-byte pragma,
a 40-byte header (characteristics, data offset, data size, index offset: little-endian), a
CARv1 payload at the data offset and an optional index at the index offset.
Specs: ipld.io/specs/transport/car/carv1/ and .../carv2/.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..cid import CID, encode_varint
from ..codecs import dagcbor
from ..errors import DecodeError, PinfoldError
from ..numbers import INT64_MAX, NumberError, check_int

#: ``0x0a`` (length 10) + DAG-CBOR ``{"version": 2}``: what a CARv2 starts with.
PRAGMA = bytes.fromhex("0aa16776657273696f6e02")
V2_HEADER_SIZE = 40
#: Where a CARv2's data starts when nothing is put between header and payload (go-car).
V2_DATA_OFFSET = len(PRAGMA) + V2_HEADER_SIZE
#: The largest section (CID + block) accepted when reading, as go-car's default.
MAX_SECTION = 32 << 20
#: The largest CARv1 header accepted when reading.
MAX_HEADER = 1 << 20
#: Characteristics bit 0 (the most significant bit of the 128-bit field): the index holds
#: every CID, identity CIDs included.
FULLY_INDEXED = 1 << 127

_V2_HEADER = struct.Struct("<16sQQQ")


class CarError(PinfoldError):
    """A CAR file that cannot be read: malformed, truncated, or with a block that does not
    match its CID."""


@dataclass(frozen=True, slots=True)
class V2Header:
    characteristics: int  # the 128-bit field, as an int (bit 0 = most significant)
    data_offset: int
    data_size: int
    index_offset: int  # 0: no index

    @property
    def fully_indexed(self) -> bool:
        return bool(self.characteristics & FULLY_INDEXED)

    def encode(self) -> bytes:
        return PRAGMA + _V2_HEADER.pack(self.characteristics.to_bytes(16, "big"),
                                        self.data_offset, self.data_size, self.index_offset)

    @classmethod
    def decode(cls, raw: bytes) -> V2Header:
        if len(raw) != V2_HEADER_SIZE:
            raise CarError(f"truncated CARv2 header: {len(raw)} of {V2_HEADER_SIZE} bytes")
        chars, offset, size, index = _V2_HEADER.unpack(raw)
        for name, value in (("data offset", offset), ("data size", size),
                            ("index offset", index)):
            try:  # a file position: seek() takes no more than an int64
                check_int(value, f"CARv2 {name}", maximum=INT64_MAX)
            except NumberError as exc:
                raise CarError(f"malformed CARv2 header: {exc}") from None
        if offset < V2_DATA_OFFSET:
            raise CarError(f"malformed CARv2 header: data offset {offset} is inside the header")
        if index and index < offset + size:
            raise CarError(
                f"malformed CARv2 header: index offset {index} is inside the data payload"
                f" ({offset}..{offset + size})"
            )
        return cls(int.from_bytes(chars, "big"), offset, size, index)


def encode_header(roots: list[CID]) -> bytes:
    """The varint-prefixed CARv1 header for ``roots``, byte for byte as go-car writes it:
    canonical DAG-CBOR ``{"roots": [...], "version": 1}``."""
    body = dagcbor.encode({"roots": list(roots), "version": 1})
    return encode_varint(len(body)) + body


def decode_header(raw: bytes) -> tuple[int, list[CID]]:
    """``(version, roots)`` of a CARv1 header block (without its length prefix).

    The header must be a DAG-CBOR map with an integer ``version``; version 1 must have a
    ``roots`` list of CIDs. A version-2 header (the CARv2 pragma) has no roots.
    """
    try:
        value = dagcbor.decode(raw)
    except DecodeError as exc:
        raise CarError(f"malformed CAR header: not DAG-CBOR ({exc})") from None
    if not isinstance(value, dict):
        raise CarError(f"malformed CAR header: a {type(value).__name__}, not a map")
    version = value.get("version")
    if type(version) is not int:
        raise CarError("malformed CAR header: no integer 'version'")
    if version == 2:
        return 2, []
    if version != 1:
        raise CarError(f"unsupported CAR version {version} (pinfold reads versions 1 and 2)")
    roots = value.get("roots")
    if not isinstance(roots, list):
        raise CarError("malformed CAR header: 'roots' is missing or not a list")
    out: list[CID] = []
    for root in roots:
        if not isinstance(root, CID):
            raise CarError(f"malformed CAR header: root {root!r} is not a CID")
        out.append(root)
    return 1, out


def section(cid: CID, data: bytes | memoryview) -> bytes:
    """The length prefix and CID of one section (the block bytes follow)."""
    raw = cid.bytes
    return encode_varint(len(raw) + len(data)) + raw
