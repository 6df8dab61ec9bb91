"""Rabin and buzhash chunkers: Kubo's exact boundaries, numpy path == pure-Python path."""

from __future__ import annotations

import io
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pytest
from gen import make_content
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pinfold.chunker import _accel, parse_chunker
from pinfold.chunker.buzhash import BUZ_MAX, BUZ_MIN, TABLE, BuzhashChunker
from pinfold.chunker.rabin import POLY, RabinChunker

HERE = Path(__file__).parent
VECTORS = json.loads((HERE / "vectors" / "chunkers.json").read_text())


class ShortReader(io.RawIOBase):
    """Serves ``data`` in reads of the given sizes (cycled), like a pipe would."""

    def __init__(self, data: bytes, sizes: list[int], as_bytearray: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.sizes = sizes or [1 << 30]
        self.calls = 0
        self.as_bytearray = as_bytearray

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        size = self.sizes[self.calls % len(self.sizes)]
        self.calls += 1
        if n < 0:
            n = len(self.data)
        end = min(self.pos + min(n, size), len(self.data))
        out = self.data[self.pos : end]
        self.pos = end
        return bytearray(out) if self.as_bytearray else out


def with_numpy(chunker: RabinChunker | BuzhashChunker, flag: bool) -> RabinChunker | BuzhashChunker:
    if isinstance(chunker, RabinChunker):
        return RabinChunker(chunker.min_size, chunker.avg_size, chunker.max_size, use_numpy=flag)
    return BuzhashChunker(use_numpy=flag)


def cut(
    chunker: RabinChunker | BuzhashChunker, data: bytes, sizes: list[int] | None = None
) -> list[int]:
    chunks = list(chunker.chunks(ShortReader(data, sizes or [])))
    assert all(isinstance(c, bytes) and c for c in chunks)
    assert b"".join(chunks) == data
    return [len(c) for c in chunks]


@contextmanager
def tiny_buffers(segment: int, block: int) -> Iterator[None]:
    """Shrink the read segment and the numpy block so that small inputs cross many of both."""
    old = _accel.SEGMENT, _accel.BLOCK
    _accel.SEGMENT, _accel.BLOCK = segment, block
    try:
        yield
    finally:
        _accel.SEGMENT, _accel.BLOCK = old


# ---------------------------------------------------------------------------------------------
# Literal transcriptions of the Go code (spec §3.2, §3.3), for small inputs only.


def _gf2_mod(value: int, poly: int) -> int:
    deg = poly.bit_length() - 1
    while value.bit_length() - 1 >= deg:
        value ^= poly << (value.bit_length() - 1 - deg)
    return value


@lru_cache(maxsize=1)
def _go_rabin_tables() -> tuple[list[int], list[int]]:
    out = []
    for b in range(256):
        h = _gf2_mod(b, POLY)  # appendByte(0, b)
        for _ in range(15):
            h = _gf2_mod(h << 8, POLY)
        out.append(h)
    mod = [_gf2_mod(b << 53, POLY) | (b << 53) for b in range(256)]
    return out, mod


def go_rabin(data: bytes, min_size: int, avg: int, max_size: int) -> list[int]:
    out, mod = _go_rabin_tables()
    mask = (1 << int(math.log2(avg))) - 1
    window = [0] * 16
    wpos = digest = 0

    def slide(b: int) -> None:
        nonlocal wpos, digest
        digest ^= out[window[wpos]]
        window[wpos] = b
        wpos = (wpos + 1) % 16
        idx = digest >> 45
        digest = (((digest << 8) | b) ^ mod[idx]) & 0xFFFFFFFFFFFFFFFF

    lengths = []
    i = 0
    while i < len(data):
        window[:] = [0] * 16  # reset()
        wpos = digest = 0
        slide(1)
        pre, count, start = min_size - 16, 0, i
        while i < len(data):
            b = data[i]
            i += 1
            count += 1
            if count <= pre:
                continue
            slide(b)
            if count >= min_size and ((digest & mask) == 0 or count >= max_size):
                break
        lengths.append(i - start)
    return lengths


def go_buzhash(data: bytes) -> list[int]:
    def rotl(x: int) -> int:
        return ((x << 1) | (x >> 31)) & 0xFFFFFFFF

    lengths = []
    pos = 0
    while True:
        buf = data[pos : pos + BUZ_MAX]
        if len(buf) < BUZ_MIN:
            if buf:
                lengths.append(len(buf))
            return lengths
        state = 0
        for i in range(BUZ_MIN - 32, BUZ_MIN):
            state = rotl(state) ^ TABLE[buf[i]]
        top = len(buf) - 32 - 1
        i = BUZ_MIN - 32
        while i <= top:
            if state & ((1 << 17) - 1) == 0:
                break
            state = rotl(state) ^ TABLE[buf[i]] ^ TABLE[buf[i + 32]]
            i += 1
        lengths.append(i + 32)
        pos += i + 32


# ---------------------------------------------------------------------------------------------
# Kubo's vectors


@lru_cache(maxsize=1)
def _content(case_id: str) -> bytes:
    (case,) = [c for c in VECTORS if c["id"] == case_id]
    return make_content(case["file"])


def test_vector_file_has_all_cases() -> None:
    assert len(VECTORS) == 16
    assert {c["chunker"] for c in VECTORS} == {
        "rabin",
        "rabin-16-512-1024",
        "rabin-36-4096-65536",
        "buzhash",
    }


@pytest.mark.parametrize("use_numpy", [True, False], ids=["numpy", "pure"])
@pytest.mark.parametrize("case", VECTORS, ids=[c["id"] for c in VECTORS])
def test_vectors(case: dict, use_numpy: bool) -> None:
    chunker = with_numpy(parse_chunker(case["chunker"]), use_numpy)
    assert chunker.uses_numpy is use_numpy
    data = _content(case["id"])
    assert cut(chunker, data) == case["chunk_lengths"]


def test_vector_through_short_reads() -> None:
    case = next(c for c in VECTORS if c["id"] == "rabin-16-512-1024-lowent")
    data = _content(case["id"])
    for flag in (True, False):
        chunker = with_numpy(parse_chunker(case["chunker"]), flag)
        assert cut(chunker, data, [4093, 1, 65536, 77]) == case["chunk_lengths"]


# ---------------------------------------------------------------------------------------------
# numpy == pure == the literal Go transcription


def _make_data(seed: int, size: int, style: int) -> bytes:
    """Random (style 0), runs of few byte values (1), or a mix of runs, patterns, noise (2)."""
    rnd = random.Random(seed)
    if style == 0:
        return rnd.randbytes(size)
    out = bytearray()
    alphabet = rnd.sample(range(256), rnd.randint(1, 4))
    while len(out) < size:
        kind = rnd.randrange(3) if style == 2 else 0
        n = rnd.randint(1, max(1, size // 8))
        if kind == 0:
            out += bytes([rnd.choice(alphabet)]) * n
        elif kind == 1:
            out += rnd.randbytes(rnd.randint(1, 40)) * (n // 20 + 1)
        else:
            out += rnd.randbytes(n)
    return bytes(out[:size])


def _size(seed: int, top: int, bottom: int = 0) -> int:
    """A size spread evenly over [bottom, top] (Hypothesis itself favours small integers)."""
    return random.Random(seed * 31 + top).randint(bottom, top)


def _shape(lengths: list[int], mn: int, mx: int) -> str:
    """How a case cut, for ``--hypothesis-show-statistics``."""
    inner = lengths[:-1]
    hashed = sum(mn <= n < mx for n in inner)
    return f"chunks: {min(len(lengths), 10)}{'+' if len(lengths) > 10 else ''}, " + (
        "some hash cuts" if hashed else "no hash cut"
    )


read_sizes = st.lists(st.integers(1, 5000), min_size=0, max_size=4)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.tuples(st.integers(16, 80), st.integers(1, 2000), st.integers(1, 3000)),
    seed=st.integers(0, 2**32),
    big=st.booleans(),
    style=st.integers(0, 2),
    sizes=st.tuples(read_sizes, read_sizes),
    tiny=st.none() | st.tuples(st.integers(1, 3000), st.integers(1, 700)),
)
def test_rabin_paths_agree(params, seed, big, style, sizes, tiny) -> None:
    mn, d_avg, d_max = params
    avg = mn + d_avg
    mx = avg + d_max
    data = _make_data(seed, _size(seed, 30000 if big else 300), style)
    expected = go_rabin(data, mn, avg, mx)
    event(_shape(expected, mn, mx))
    assert cut(RabinChunker(mn, avg, mx, use_numpy=False), data, sizes[0]) == expected
    if tiny is None:
        got = cut(RabinChunker(mn, avg, mx, use_numpy=True), data, sizes[1])
    else:
        with tiny_buffers(*tiny):
            got = cut(RabinChunker(mn, avg, mx, use_numpy=True), data, sizes[1])
    assert got == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.sampled_from([(16, 1 << 16, 1 << 17), (40, 1 << 17, 1 << 18), (17, 70000, 71000)]),
    seed=st.integers(0, 2**32),
    sizes=st.tuples(read_sizes, read_sizes),
)
def test_rabin_paths_agree_wide_masks(params, seed, sizes) -> None:
    """Masks of 16 and 17 bits (the numpy kernel treats masks above 16 bits differently)."""
    data = _make_data(seed, _size(seed, 400_000), 0)
    pure = cut(RabinChunker(*params, use_numpy=False), data, sizes[0])
    event(_shape(pure, params[0], params[2]))
    assert cut(RabinChunker(*params, use_numpy=True), data, sizes[1]) == pure


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    big=st.integers(0, 4),
    style=st.integers(0, 2),
    sizes=st.tuples(read_sizes, read_sizes),
    tiny=st.none() | st.tuples(st.integers(1, 200000), st.integers(1, 70000)),
)
def test_buzhash_paths_agree(seed, big, style, sizes, tiny) -> None:
    size = _size(seed, 900_000, BUZ_MIN - 100) if big else _size(seed, BUZ_MIN + 100)
    data = _make_data(seed, size, style)
    expected = go_buzhash(data)
    event(_shape(expected, BUZ_MIN, BUZ_MAX))
    assert cut(BuzhashChunker(use_numpy=False), data, sizes[0]) == expected
    if tiny is None:
        got = cut(BuzhashChunker(use_numpy=True), data, sizes[1])
    else:
        with tiny_buffers(*tiny):
            got = cut(BuzhashChunker(use_numpy=True), data, sizes[1])
    assert got == expected


def test_buzhash_cuts_between_min_and_max() -> None:
    data = _make_data(7, 1_500_000, 2)
    lengths = cut(BuzhashChunker(use_numpy=True), data)
    assert lengths == go_buzhash(data)
    assert len(lengths) > 3
    assert all(BUZ_MIN <= n <= BUZ_MAX for n in lengths[:-1])


# ---------------------------------------------------------------------------------------------
# Interface, edge cases, streaming


@pytest.mark.parametrize("use_numpy", [True, False], ids=["numpy", "pure"])
def test_edges(use_numpy: bool) -> None:
    rabin = RabinChunker(16, 32, 64, use_numpy=use_numpy)
    buz = BuzhashChunker(use_numpy=use_numpy)
    for chunker in (rabin, buz):
        assert list(chunker.chunks(io.BytesIO(b""))) == []
        assert cut(chunker, b"x") == [1]
    assert cut(rabin, bytes(15)) == [15]
    assert cut(rabin, bytes(16)) == [16]
    assert cut(rabin, bytes(100)) == [16] * 6 + [4]  # zero windows always cut at min
    assert cut(buz, bytes(BUZ_MIN - 1)) == [BUZ_MIN - 1]
    assert cut(buz, bytes(BUZ_MIN)) == [BUZ_MIN]
    # a reader handing out bytearrays still gives bytes
    chunks = list(rabin.chunks(ShortReader(bytes(100), [7], as_bytearray=True)))
    assert all(type(c) is bytes for c in chunks) and len(chunks) == 7


def test_specs_and_params() -> None:
    default = parse_chunker("rabin")
    assert isinstance(default, RabinChunker)
    assert default.spec == "rabin-87381-262144-393216"
    assert (default.min_size, default.avg_size, default.max_size) == (87381, 262144, 393216)
    assert default.size_mask == (1 << 18) - 1
    assert RabinChunker.from_avg(1000).spec == "rabin-333-1000-1500"
    assert RabinChunker.from_avg(1000).size_mask == 511
    assert RabinChunker(16, 1023, 2000).size_mask == 511
    assert RabinChunker(16, 1024, 2000).size_mask == 1023
    assert parse_chunker("rabin-16-512-1024").spec == "rabin-16-512-1024"
    assert parse_chunker("buzhash").spec == BuzhashChunker.spec == "buzhash"
    assert len(TABLE) == 256 and TABLE[:2] == [0x6236E7D5, 0x10279B0B]
    for bad in [(15, 512, 1024), (100, 512, 99), (16, 0, 100), (16, 1 << 32, 1 << 33)]:
        with pytest.raises(ValueError):
            RabinChunker(*bad)


@pytest.mark.parametrize("kind", ["rabin", "buzhash"])
def test_streams_in_bounded_segments(kind: str) -> None:
    """The first chunk comes out long before a large stream has been read."""

    class Zeros(io.RawIOBase):
        def __init__(self, size: int) -> None:
            self.left = size
            self.total = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:  # type: ignore[override]
            n = min(n, self.left, 1 << 16)
            self.left -= n
            self.total += n
            return bytes(n)

    size = 16 << 20
    reader = Zeros(size)
    chunker = RabinChunker.from_avg(262144) if kind == "rabin" else BuzhashChunker()
    chunks = chunker.chunks(reader)
    next(chunks)
    assert reader.total <= chunker_max(chunker) + 2 * _accel.SEGMENT
    assert sum(len(c) for c in chunks) + chunker_first(chunker) == size


def chunker_max(chunker: RabinChunker | BuzhashChunker) -> int:
    return chunker.max_size if isinstance(chunker, RabinChunker) else BUZ_MAX


def chunker_first(chunker: RabinChunker | BuzhashChunker) -> int:
    # all-zero input: rabin cuts at min; buzhash's zero window hashes to a cut as well
    return chunker.min_size if isinstance(chunker, RabinChunker) else BUZ_MIN


def test_use_numpy_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert RabinChunker(16, 32, 64).uses_numpy  # numpy is installed for the tests
    assert BuzhashChunker(use_numpy=None).uses_numpy
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ImportError
    assert not RabinChunker(16, 32, 64).uses_numpy
    assert not BuzhashChunker().uses_numpy
    with pytest.raises(ImportError):
        RabinChunker(16, 32, 64, use_numpy=True)
    with pytest.raises(ImportError):
        BuzhashChunker(use_numpy=True)


def test_imports_and_cuts_without_numpy() -> None:
    code = (
        "import io, sys\n"
        "sys.modules['numpy'] = None\n"
        "from pinfold.chunker import parse_chunker\n"
        "data = bytes(range(256)) * 2000\n"
        "for spec in ('rabin-16-512-1024', 'buzhash'):\n"
        "    c = parse_chunker(spec)\n"
        "    assert not c.uses_numpy\n"
        "    print(spec, [len(x) for x in c.chunks(io.BytesIO(data))][:3])\n"
        "assert 'numpy' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    env = dict(os.environ)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "rabin-16-512-1024" in result.stdout and "buzhash" in result.stdout
