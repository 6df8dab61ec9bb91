"""Unsigned LEB128 varints, as multiformats and protobuf write them (hot path: plain bytes)."""

from __future__ import annotations

from ..errors import DecodeError

# Pre-encoded forms of the small values that dominate DAG-PB framing.
_SMALL = [bytes([i]) for i in range(128)]


def encode_varint(n: int) -> bytes:
    """Encode a non-negative integer as an unsigned varint."""
    if n < 128:
        if n < 0:
            raise ValueError("varint cannot encode a negative number")
        return _SMALL[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def varint_size(n: int) -> int:
    """Number of bytes :func:`encode_varint` writes for ``n``."""
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def decode_varint(buf: bytes | memoryview, pos: int = 0) -> tuple[int, int]:
    """Decode a varint at ``buf[pos:]``; return ``(value, new_pos)``.

    Rejects truncated input, values over 63 bits and non-minimal encodings, as the
    multiformats unsigned-varint spec asks.
    """
    result = 0
    shift = 0
    start = pos
    end = len(buf)
    while True:
        if pos >= end:
            raise DecodeError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            if b == 0 and pos - start > 1:
                raise DecodeError("varint is not minimally encoded")
            return result, pos
        shift += 7
        if shift >= 63:
            raise DecodeError("varint is longer than 9 bytes")
