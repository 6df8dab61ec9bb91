"""Chunkers: fixed-size, rabin and buzhash, cutting at exactly Kubo's boundaries."""

from .base import CHUNK_SIZE_LIMIT, DEFAULT_BLOCK_SIZE, Chunker
from .buzhash import BuzhashChunker
from .fixed import FixedSizeChunker
from .parse import parse_chunker
from .rabin import RabinChunker

__all__ = [
    "CHUNK_SIZE_LIMIT",
    "DEFAULT_BLOCK_SIZE",
    "BuzhashChunker",
    "Chunker",
    "FixedSizeChunker",
    "RabinChunker",
    "parse_chunker",
]
