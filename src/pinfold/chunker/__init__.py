"""Chunkers: fixed-size, rabin and buzhash, cutting at exactly Kubo's boundaries."""

from .base import CHUNK_SIZE_LIMIT, DEFAULT_BLOCK_SIZE, Chunker
from .fixed import FixedSizeChunker
from .parse import parse_chunker

__all__ = [
    "CHUNK_SIZE_LIMIT",
    "DEFAULT_BLOCK_SIZE",
    "Chunker",
    "FixedSizeChunker",
    "parse_chunker",
]
