"""The links of a block, whatever its codec: what pinning, GC, CAR export and the gateway
follow. :func:`links_of` is the one place that knows how each codec stores links.

DAG-CBOR links are collected while the block is decoded (by :mod:`.dagcbor`'s iterative
decoder), without a second walk; DAG-PB leaves are answered without decoding them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..cid import CID, DAG_CBOR, DAG_JSON, DAG_PB, RAW
from . import dagcbor, dagjson, dagpb


def _none(data: bytes | memoryview) -> list[CID]:
    return []


def _dag_cbor(data: bytes | memoryview) -> list[CID]:
    out: list[CID] = []
    dagcbor.decode(data, out)
    return out


def _dag_json(data: bytes | memoryview) -> list[CID]:
    return value_links(dagjson.decode(data))


_BY_CODEC: dict[int, Callable[[bytes | memoryview], list[CID]]] = {
    RAW: _none, DAG_PB: dagpb.link_cids, DAG_CBOR: _dag_cbor, DAG_JSON: _dag_json,
}


def links_of(cid: CID, data: bytes | memoryview) -> list[CID]:
    """The CIDs ``data`` (the block of ``cid``) links to, in order of appearance, duplicates
    kept; codecs other than dag-pb, dag-cbor and dag-json are treated as having none.

    A block that does not decode raises :class:`~pinfold.errors.DecodeError`. Blocks are
    read as Kubo reads them: non-canonical DAG-CBOR (unsorted keys, long-form integers,
    16/32-bit floats) and DAG-JSON with whitespace are accepted.
    """
    return _BY_CODEC.get(cid.codec_code, _none)(data)


def codec_links(codec: int, data: bytes | memoryview) -> list[CID]:
    """:func:`links_of` for a block known by its multicodec code rather than its CID."""
    return _BY_CODEC.get(codec, _none)(data)


def value_links(value: Any) -> list[CID]:
    """Every link in the IPLD data-model value ``value``, in order (depth first, map entries
    in their order), as pinfold CIDs: those :func:`pinfold.ipld.encode` would write, including
    ``multiformats`` CIDs and links inside tuples. For a decoded block this is the order of
    its bytes. (``pinfold.ipld.links`` is this function.)"""
    out: list[CID] = []
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is CID:
            out.append(v)
        elif t is dict:
            if v:
                stack.extend(reversed(list(v.values())))
        elif t is list or t is tuple:
            if v:
                stack.extend(reversed(v))
        elif t is str or t is int or t is bytes or t is float or v is None or t is bool:
            continue
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list | tuple):
            stack.extend(reversed(v))
        elif isinstance(v, CID) or (type(v).__module__.startswith("multiformats")
                                    and type(v).__name__ == "CID"):
            out.append(CID.from_bytes(bytes(v)))
    return out


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
    n = len(packed)
    # every CID the same usual form (a node of one importer's DAG): sliced at a stride. Each
    # stride starting so means the CID there ends where the next stride starts, so this is
    # the parse below, without its loop
    if n % 36 == 0 and packed[2::36] == b"\x12" * (n // 36) and packed[0::36] == (
            b"\x01" * (n // 36)) and packed[3::36] == b"\x20" * (n // 36) and max(
            packed[1::36]) < 0x80:
        return [packed[i : i + 34] for i in range(2, n, 36)]
    if n % 34 == 0 and packed[0::34] == b"\x12" * (n // 34) and packed[1::34] == (
            b"\x20" * (n // 34)):
        return [packed[i : i + 34] for i in range(0, n, 34)]
    pos = 0
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
