"""The links of a block, whatever its codec: what pinning and GC follow."""

from __future__ import annotations

from ..cid import CID, DAG_PB, RAW, decode_varint
from ..errors import DecodeError
from . import dagpb


def links_of(cid: CID, data: bytes | memoryview) -> list[CID]:
    """The CIDs ``data`` (the block of ``cid``) links to, in order, duplicates kept."""
    codec = cid.codec_code
    if codec == RAW:
        return []
    if codec == DAG_PB:
        # Links come before Data in a valid DAG-PB block: a block that starts with the Data
        # field (0x0a) has none, so leaves are answered without decoding them.
        if not data:
            return []
        if data[0] == 0x0A:
            # nothing may follow Data: valid iff its length prefix spans the rest exactly
            try:
                length, pos = decode_varint(data, 1)
            except DecodeError:
                length, pos = -1, 0
            if pos + length != len(data):
                dagpb.decode(data)  # raises, naming what is wrong
            return []
        return [lk.cid for lk in dagpb.decode(data).links]
    from . import ipld

    return ipld.links(codec, data)


def pack(cids: list[CID]) -> bytes:
    return b"".join(c.bytes for c in cids)


def unpack(packed: bytes | None) -> list[CID]:
    out: list[CID] = []
    if not packed:
        return out
    pos = 0
    n = len(packed)
    while pos < n:
        cid, pos = CID.read(packed, pos)
        out.append(cid)
    return out


def unpack_mhs(packed: bytes | None) -> list[bytes]:
    """The multihashes of packed CIDs, with fast paths for sha2-256 CIDv0 and CIDv1."""
    out: list[bytes] = []
    if not packed:
        return out
    pos = 0
    n = len(packed)
    while pos < n:
        b0 = packed[pos]
        if b0 == 0x12 and packed[pos + 1] == 0x20:  # CIDv0
            out.append(packed[pos : pos + 34])
            pos += 34
        elif b0 == 0x01 and packed[pos + 1] < 0x80 and packed[pos + 2:pos + 4] == b"\x12\x20":
            out.append(packed[pos + 2 : pos + 36])
            pos += 36
        else:
            cid, pos = CID.read(packed, pos)
            out.append(cid.multihash)
    return out
