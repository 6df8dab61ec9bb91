"""``size-N``: fixed-size chunks (boxo ``chunker/splitting.go``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from .base import read_full


class FixedSizeChunker:
    """Every chunk is ``size`` bytes but the last; boundaries do not depend on read sizes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.spec = f"size-{size}"

    def chunks(self, reader: BinaryIO) -> Iterator[bytes]:
        size = self.size
        while True:
            chunk = read_full(reader, size)
            if not chunk:
                return
            yield chunk
            if len(chunk) < size:
                return

    def __repr__(self) -> str:
        return f"FixedSizeChunker({self.size})"
