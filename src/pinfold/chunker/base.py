"""What every chunker is: something that cuts a byte stream into chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol

# boxo chunker/parse.go
BLOCK_SIZE_LIMIT = 2 * 1024 * 1024
CHUNK_SIZE_LIMIT = BLOCK_SIZE_LIMIT - 256  # 2096896
DEFAULT_BLOCK_SIZE = 262144


class Chunker(Protocol):
    """Cuts a binary stream into chunks. ``spec`` is the Kubo ``--chunker`` string."""

    spec: str

    def chunks(self, reader: BinaryIO) -> Iterator[bytes]:
        """Yield the chunks of ``reader`` in order; an empty stream yields nothing."""
        ...


def read_full(reader: BinaryIO, n: int) -> bytes:
    """Read up to ``n`` bytes, looping over short reads (Go's ``io.ReadFull``)."""
    data = reader.read(n)
    if data is None:
        data = b""
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = reader.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)
