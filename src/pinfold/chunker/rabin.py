"""``rabin[-...]``: Kubo's Rabin chunker (boxo ``chunker/rabin.go`` over the
``whyrusleeping/chunker`` fork of restic's chunker: window 16, IPFS polynomial).

Per chunk (spec §3.2): the window is zeroed and a phantom byte 0x01 is slid in; the first
``min_size - 16`` bytes are counted but not hashed; after each later byte the chunk is cut
when ``count >= min_size`` and (``digest & size_mask == 0`` or ``count >= max_size``).

The pure-Python path does exactly that, byte by byte. The numpy path uses the fact that at
every position where the cut test runs exactly the last 16 bytes (all real) are in the window,
so the digest is the plain fingerprint of those 16 bytes and can be computed for all positions
at once (see :class:`._accel.RabinKernel`). Both paths cut identical chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, BinaryIO

from ..lazy import load_numpy
from ._accel import NumpyFinder, RabinKernel, cdc_chunks, rabin_tables

POLY = 17437180132763653  # 0x3DF305DFB2A805, degree 53 (chunker.IpfsRabinPoly)
WINDOW = 16
_DEGREE = POLY.bit_length() - 1  # 53
_POL_SHIFT = _DEGREE - 8  # 45


def _pmod(value: int) -> int:
    """``value mod POLY`` over GF(2)."""
    while True:
        shift = value.bit_length() - 1 - _DEGREE
        if shift < 0:
            return value
        value ^= POLY << shift


def _append_byte(h: int, b: int) -> int:
    return _pmod((h << 8) | b)


def _power_tables() -> list[list[int]]:
    """``T[k][b] = b * x^(8k) mod POLY`` for k in 0..15 (``T[15]`` is restic's ``out``)."""
    tables = [list(range(256))]
    for _ in range(1, WINDOW):
        tables.append([_append_byte(h, 0) for h in tables[-1]])
    return tables


_T = _power_tables()
# restic fillTables: out[b] = appendByte(0,b) then 15 x appendByte(.,0); mod[b] as below.
_OUT: list[int] = _T[WINDOW - 1]
_MOD: list[int] = [_pmod(b << _DEGREE) | (b << _DEGREE) for b in range(256)]


def _size_mask(avg_size: int) -> int:
    # (1 << uint(math.Log2(float64(avg)))) - 1; bit_length is exact where float log2 could
    # round up just below a power of two (only for avg > 2**49, far beyond any valid size).
    return (1 << (avg_size.bit_length() - 1)) - 1


@lru_cache(maxsize=4)
def _numpy_tables(np: Any, mask: int) -> list[Any]:
    return rabin_tables(np, _T, mask)


class RabinChunker:
    """Kubo's ``rabin-MIN-AVG-MAX`` chunker (``rabin`` is ``from_avg(262144)``)."""

    def __init__(
        self, min_size: int, avg_size: int, max_size: int, *, use_numpy: bool | None = None
    ) -> None:
        if min_size < WINDOW:
            raise ValueError(f"rabin min size must be >= {WINDOW}, got {min_size}")
        if max_size < min_size:
            raise ValueError(f"rabin max size {max_size} is below the min size {min_size}")
        if not 1 <= avg_size < 1 << 32:
            raise ValueError(f"rabin average size out of range: {avg_size}")
        self.min_size = min_size
        self.avg_size = avg_size
        self.max_size = max_size
        self.size_mask = _size_mask(avg_size)
        self.spec = f"rabin-{min_size}-{avg_size}-{max_size}"
        self._np = load_numpy(use_numpy)

    @classmethod
    def from_avg(cls, avg: int, *, use_numpy: bool | None = None) -> RabinChunker:
        """``chunker.NewRabin(avg)``: min = avg/3, max = avg + avg/2."""
        return cls(avg // 3, avg, avg + avg // 2, use_numpy=use_numpy)

    @property
    def uses_numpy(self) -> bool:
        return self._np is not None

    def chunks(self, reader: BinaryIO) -> Iterator[bytes]:
        """Yield the chunks of ``reader`` in order; an empty stream yields nothing."""
        np = self._np
        if np is None:
            find = self._find_pure
        else:
            kernel = RabinKernel(np, _numpy_tables(np, self.size_mask), self.size_mask)
            find = NumpyFinder(self.min_size, kernel)
        return cdc_chunks(reader, self.min_size, self.max_size, find)

    def _find_pure(self, buf: bytes, base: int, start: int, limit: int) -> int:
        """Length of the chunk at ``buf[start:]``, hashing byte by byte like the Go code.

        ``min_size <= limit <= max_size`` bytes are available; ``limit`` is returned when no
        digest test hits before it (max size reached, or end of input).
        """
        out, mod, mask = _OUT, _MOD, self.size_mask
        mn = self.min_size
        h = start + mn - WINDOW  # first hashed byte
        # reset(): window zeroed, slide(1) -> digest 1, window [1, 0, ..., 0], wpos 1.
        digest = 1
        # Hashed bytes 0..14 push out window zeros (out[0] == 0); byte 15 pushes out the 1.
        for b in buf[h : h + WINDOW - 1]:
            digest = ((digest << 8) | b) ^ mod[digest >> _POL_SHIFT]
        digest ^= out[1]
        digest = ((digest << 8) | buf[h + WINDOW - 1]) ^ mod[digest >> _POL_SHIFT]
        if not digest & mask:
            return mn
        # From here on the byte leaving the window is the one 16 bytes back.
        count = mn
        leaving = buf[h : start + limit - WINDOW]
        for old, b in zip(leaving, buf[start + mn : start + limit], strict=True):
            digest ^= out[old]
            digest = ((digest << 8) | b) ^ mod[digest >> _POL_SHIFT]
            count += 1
            if not digest & mask:
                return count
        return limit

    def __repr__(self) -> str:
        return f"RabinChunker({self.min_size}, {self.avg_size}, {self.max_size})"
