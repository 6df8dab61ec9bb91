"""``buzhash``: Kubo's buzhash chunker (boxo ``chunker/buzhash.go``), spec §3.3.

Per chunk: up to 512 KiB are buffered (fewer only at EOF; under 128 KiB they are the last
chunk). The 32-byte window ending at 128 KiB is hashed, then the window slides one byte at a
time until ``state & (2**17 - 1) == 0`` or the buffer runs out; the chunk ends at the window's
end.

The pure-Python path slides byte by byte like the Go code. The numpy path uses the fact that
the state only depends on the 32 bytes in the window (32 one-bit rotations of a uint32 are the
identity) and computes it for all positions at once (:class:`._accel.BuzhashKernel`).
Both paths cut identical chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any, BinaryIO

from ..lazy import load_numpy
from ._accel import BuzhashKernel, NumpyFinder, buzhash_table_pairs, cdc_chunks

BUZ_MIN = 128 << 10  # 131072
BUZ_MAX = 512 << 10  # 524288
BUZ_MASK = (1 << 17) - 1
WINDOW = 32
_U32 = 0xFFFFFFFF


def _load_table() -> list[int]:
    text = resources.files(__package__).joinpath("buzhash-table.txt").read_text("ascii")
    table = [int(line, 16) for line in text.split() if line.startswith("0x")]
    if len(table) != 256 or any(not 0 <= v <= _U32 for v in table):
        raise RuntimeError("buzhash-table.txt must hold 256 uint32 values")
    return table


TABLE: list[int] = _load_table()  # boxo chunker/buzhash.go `bytehash`


@lru_cache(maxsize=1)
def _numpy_pairs(np: Any) -> Any:
    return buzhash_table_pairs(np, TABLE)


class BuzhashChunker:
    """Kubo's ``buzhash`` chunker: chunks of 128 KiB to 512 KiB (but the last)."""

    spec = "buzhash"

    def __init__(self, *, use_numpy: bool | None = None) -> None:
        self._np = load_numpy(use_numpy)

    @property
    def uses_numpy(self) -> bool:
        return self._np is not None

    def chunks(self, reader: BinaryIO) -> Iterator[bytes]:
        """Yield the chunks of ``reader`` in order; an empty stream yields nothing."""
        np = self._np
        if np is None:
            find = _find_pure
        else:
            kernel = BuzhashKernel(np, _numpy_pairs(np), BUZ_MASK)
            find = NumpyFinder(BUZ_MIN, kernel)
        return cdc_chunks(reader, BUZ_MIN, BUZ_MAX, find)

    def __repr__(self) -> str:
        return "BuzhashChunker()"


def _find_pure(buf: bytes, base: int, start: int, limit: int) -> int:
    """Length of the chunk at ``buf[start:]``, sliding byte by byte like the Go code.

    ``BUZ_MIN <= limit <= BUZ_MAX`` bytes are buffered (Go's ``buffered``); returns ``i + 32``.
    """
    table = _TABLE_T
    state = 0
    first = start + BUZ_MIN - WINDOW
    for b in buf[first : start + BUZ_MIN]:
        state = (((state << 1) & _U32) | (state >> 31)) ^ table[b]
    length = BUZ_MIN  # Go's i + 32
    leaving = buf[first : start + limit - WINDOW]
    for old, new in zip(leaving, buf[start + BUZ_MIN : start + limit], strict=True):
        if not state & BUZ_MASK:
            return length
        state = (((state << 1) & _U32) | (state >> 31)) ^ table[old] ^ table[new]
        length += 1
    return length


_TABLE_T = tuple(TABLE)
