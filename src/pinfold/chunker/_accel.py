"""Machinery shared by the content-defined chunkers (rabin, buzhash).

* :func:`cdc_chunks` is the streaming driver: it keeps a bounded buffer (at most
  ``max_size + SEGMENT`` bytes), reads with :func:`~pinfold.chunker.base.read_full` and asks a
  *finder* where the chunk that starts at the front of the buffer ends.
* :class:`NumpyFinder` answers that question from window hashes computed with numpy, block by
  block, and caches the sparse "hit" positions so that many small chunks share one block.
* :class:`RabinKernel` and :class:`BuzhashKernel` are the numpy kernels. Both rely on the fact
  that, wherever Kubo tests for a cut, the rolling hash is a pure function of the last 16
  (rabin) or 32 (buzhash) bytes, so it can be computed for every position at once.

numpy is optional: nothing here imports it at module level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from .base import read_full

if TYPE_CHECKING:
    import numpy as np

# How much is read past what the current chunk needs, per refill of the buffer.
SEGMENT = 1 << 20
# How many window positions the numpy finder hashes per block.
BLOCK = 1 << 16

# find(buf, base, start, limit) -> length of the chunk that starts at buf[start], with
# min_size <= length <= limit. ``base`` is the stream offset of buf[0].
Finder = Callable[[bytes, int, int, int], int]


def cdc_chunks(reader: BinaryIO, min_size: int, max_size: int, find: Finder) -> Iterator[bytes]:
    """Cut ``reader`` the way Kubo's rabin and buzhash chunkers do.

    A chunk is at most ``max_size`` bytes; ``find`` picks its end once ``max_size`` bytes (or
    the rest of the stream) are buffered. Fewer than ``min_size`` bytes left at EOF (and more
    than zero) make the last chunk as they are.
    """
    buf = b""
    pos = 0  # start of the current chunk in buf
    base = 0  # stream offset of buf[0]
    eof = False
    while True:
        avail = len(buf) - pos
        if avail < max_size and not eof:
            need = max_size - avail + SEGMENT
            more = read_full(reader, need)
            if len(more) < need:
                eof = True
            if more:
                if not isinstance(more, bytes):
                    more = bytes(more)
                buf = b"".join((memoryview(buf)[pos:], more)) if avail else more
                base += pos
                pos = 0
                avail = len(buf)
        if avail == 0:
            return
        if avail < min_size:  # only at EOF
            yield buf[pos:]
            return
        limit = avail if avail < max_size else max_size
        cut = find(buf, base, pos, limit)
        yield buf[pos : pos + cut]
        pos += cut


class NumpyFinder:
    """A :data:`Finder` over window hashes computed a block at a time.

    ``kernel(buf, lo, hi)`` hashes the windows ending at the buffer offsets ``lo .. hi-1``
    and returns None if none of them is a cut, else a bool array ``flags`` with ``flags[i]``
    true when the window ending at ``lo + i`` is. The last block is kept, so that many small
    chunks share one block; the first ``min_size`` positions of a chunk are never looked at,
    so (with large chunks) they are never hashed.
    """

    def __init__(
        self,
        min_size: int,
        kernel: Callable[[bytes, int, int], np.ndarray | None],
        block: int | None = None,
    ) -> None:
        self.min_size = min_size
        self.kernel = kernel
        self.block = BLOCK if block is None else block
        # Window ends [cache_lo, cache_hi) (stream offsets) were hashed into flags.
        self.cache_lo = 0
        self.cache_hi = 0
        self.flags: Any = None

    def __call__(self, buf: bytes, base: int, start: int, limit: int) -> int:
        lo = base + start + self.min_size
        hi = base + start + limit
        while lo < hi:
            cache_lo, cache_hi = self.cache_lo, self.cache_hi
            if cache_lo <= lo < cache_hi:
                flags = self.flags
                if flags is not None:
                    window = flags[lo - cache_lo : min(hi, cache_hi) - cache_lo]
                    k = int(window.argmax())  # the first True, or 0
                    if window[k]:
                        return lo + k - base - start
                if cache_hi >= hi:
                    break
                lo = cache_hi
                continue
            stop = min(lo + self.block, base + len(buf))
            self.flags = self.kernel(buf, lo - base, stop - base)
            self.cache_lo, self.cache_hi = lo, stop
        return limit


class _ParityKernel:
    """Window-hash hits over a block of ends, as two interleaved halves (even and odd ends).

    Each half reads the bytes as a big-endian uint16 view, so byte pairs come for free. Work
    arrays are allocated once per kernel, so that no block pays for fresh (page-faulting)
    memory.
    """

    window = 0  # bytes in the hashed window

    def __init__(self, np: Any, block: int | None) -> None:
        self.np = np
        self.be16 = np.dtype(">u2")
        self.half = ((BLOCK if block is None else block) + 1) // 2
        self.work = self._alloc(np, self.half)
        self.hit = [np.empty(self.half, dtype=np.bool_) for _ in range(2)]
        self.flags = np.empty(2 * self.half, dtype=np.bool_)

    def _alloc(self, np: Any, h: int) -> Any:
        raise NotImplementedError

    def _half(self, buf: bytes, offset: int, h: int, hit: np.ndarray) -> bool:
        """Set ``hit[t]`` for the ``h`` windows starting at ``buf[offset + 2t]``; any hit?"""
        raise NotImplementedError

    def __call__(self, buf: bytes, lo: int, hi: int) -> np.ndarray | None:
        """None if no window ending in ``[lo, hi)`` is a cut, else flags for those ends."""
        n = hi - lo
        if n > 2 * self.half:
            raise ValueError("block too large for this kernel")
        start = lo - self.window
        h0, h1 = (n + 1) // 2, n // 2
        even, odd = self.hit[0][:h0], self.hit[1][:h1]
        found = self._half(buf, start, h0, even)
        if h1 and self._half(buf, start + 1, h1, odd):
            found = True
        if not found:
            return None
        flags = self.flags[:n]
        flags[0::2] = even
        flags[1::2] = odd
        return flags


class RabinKernel(_ParityKernel):
    """Ends ``e`` where ``rabin(buf[e-16:e]) & mask == 0``.

    The fingerprint of a 16-byte window is ``XOR_k T_k[byte at distance k]`` with
    ``T_k[b] = b * x^(8k) mod P``. Bytes are taken in pairs, big-endian, so that pair ``q``
    (distances 2q+1 and 2q) is one lookup in a 65536-entry table ``U_q``. Pairs 0 and 1
    need no table (no reduction: ``T_k[b] = b << 8k`` for k <= 5) and pair 2 adds nothing
    below bit 32, so only ``U_3..U_7`` (``tables``, uint32, masked) are looked up.
    """

    window = 16

    def __init__(self, np: Any, tables: list[Any], mask: int, block: int | None = None) -> None:
        if not 0 <= mask < 1 << 32:
            raise ValueError("rabin mask must fit in 32 bits")
        self.tables = tables
        self.mask = np.uint32(mask)
        self.shift16 = np.uint32(16)
        super().__init__(np, block)

    def _alloc(self, np: Any, h: int) -> Any:
        return (
            np.empty(h + 7, dtype=np.intp),
            np.empty(h, dtype=np.uint32),
            np.empty(h, dtype=np.uint32),
            np.empty(h + 1, dtype=np.uint32),
        )

    def _half(self, buf: bytes, offset: int, h: int, hit: np.ndarray) -> bool:
        np = self.np
        idx_w, acc_w, tmp_w, near_w = self.work
        # pair t of the view starts at buf[offset + 2t]; the window of end offset+16+2t has
        # its pair q (distances 2q+1, 2q) at t + 7 - q.
        pairs = np.frombuffer(buf, dtype=self.be16, count=h + 7, offset=offset)
        idx = idx_w[: h + 7]
        np.copyto(idx, pairs)
        acc, tmp = acc_w[:h], tmp_w[:h]
        tables = self.tables
        tables[0].take(idx[4 : 4 + h], out=acc, mode="wrap")
        for q in range(4, 8):
            tables[q - 3].take(idx[7 - q : 7 - q + h], out=tmp, mode="wrap")
            acc ^= tmp
        # pairs 1 and 0: (p1 << 16 | p0) & mask
        near = near_w[: h + 1]
        np.copyto(near, pairs[6:])
        mask = self.mask
        if mask >> 16:
            np.left_shift(near[:h], self.shift16, out=tmp)
            tmp ^= near[1:]
            tmp &= mask
        else:
            np.bitwise_and(near[1:], mask, out=tmp)
        acc ^= tmp
        np.equal(acc, 0, out=hit)
        return bool(hit.any())


def rabin_tables(np: Any, t: list[list[int]], mask: int) -> list[Any]:
    """``U_q[hi << 8 | lo] = (T_{2q+1}[hi] ^ T_{2q}[lo]) & mask`` for q = 3..7, as uint32."""
    out = []
    for q in range(3, 8):
        hi = np.array(t[2 * q + 1], dtype=np.uint64) & np.uint64(mask)
        lo = np.array(t[2 * q], dtype=np.uint64) & np.uint64(mask)
        out.append((hi[:, None] ^ lo[None, :]).reshape(-1).astype(np.uint32))
    return out


class BuzhashKernel(_ParityKernel):
    """Ends ``e`` where ``buzhash(buf[e-32:e]) & mask == 0``.

    The state of a window of 2w bytes starting at a is ``rotl(S_w(a), w) ^ S_w(a + w)``
    (32 rotations of a uint32 are the identity, so the state depends on the window only).
    Start from 2-byte windows (one lookup in ``pairs``: ``rotl(T[hi], 1) ^ T[lo]``) and
    double four times.
    """

    window = 32

    def __init__(self, np: Any, pairs: Any, mask: int, block: int | None = None) -> None:
        self.pairs = pairs
        self.mask = np.uint32(mask)
        self.shifts = {k: np.uint32(k) for k in (2, 4, 8, 16, 24, 28, 30)}
        super().__init__(np, block)

    def _alloc(self, np: Any, h: int) -> Any:
        return (
            np.empty(h + 15, dtype=np.intp),
            np.empty(h + 15, dtype=np.uint32),
            np.empty(h + 15, dtype=np.uint32),
            np.empty(h + 15, dtype=np.uint32),
        )

    def _half(self, buf: bytes, offset: int, h: int, hit: np.ndarray) -> bool:
        np = self.np
        idx_w, a_w, b_w, tmp_w = self.work
        # index t: the 2w-byte window starting at buf[offset + 2t]
        size = h + 15
        idx = idx_w[:size]
        np.copyto(idx, np.frombuffer(buf, dtype=self.be16, count=size, offset=offset))
        cur, spare = a_w, b_w
        self.pairs.take(idx, out=cur[:size], mode="wrap")
        for w in (2, 4, 8, 16):
            # S_2w(t) = rotl(S_w(t), w) ^ S_w(t + w/2)
            step = w // 2
            size -= step
            nxt, tmp = spare[:size], tmp_w[:size]
            np.left_shift(cur[:size], self.shifts[w], out=nxt)
            np.right_shift(cur[:size], self.shifts[32 - w], out=tmp)
            nxt |= tmp
            nxt ^= cur[step : step + size]
            cur, spare = spare, cur
        cur = cur[:h]
        cur &= self.mask
        np.equal(cur, 0, out=hit)
        return bool(hit.any())


def buzhash_table_pairs(np: Any, table: list[int]) -> Any:
    """``V[hi << 8 | lo] = rotl32(T[hi], 1) ^ T[lo]``: the hash of a 2-byte window."""
    t = np.array(table, dtype=np.uint32)
    rot = (t << np.uint32(1)) | (t >> np.uint32(31))
    return (rot[:, None] ^ t[None, :]).reshape(-1)
