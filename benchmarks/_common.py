"""What the benchmarks share: deterministic test data and the sha256 ceiling."""

from __future__ import annotations

import hashlib
import time


def make_file(path: str, size: int) -> None:
    """Incompressible, deterministic content (SHAKE-256 per MiB), written once."""
    seed = hashlib.sha256(b"pinfold-bench").digest()
    with open(path, "wb") as f:
        written = i = 0
        while written < size:
            chunk = hashlib.shake_256(seed + i.to_bytes(8, "big")).digest(
                min(1 << 20, size - written))
            f.write(chunk)
            written += len(chunk)
            i += 1


def sha256_seconds(path: str) -> float:
    """Single-core hashlib.sha256 over the file (read from the page cache), in seconds."""
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return time.perf_counter() - start


def rate(fn, seconds: float) -> float:
    """Calls of ``fn`` per second over about ``seconds`` (after one warm-up call)."""
    fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed
