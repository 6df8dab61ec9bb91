"""Parse Kubo's ``--chunker`` strings (boxo ``chunker/parse.go``) into chunkers."""

from __future__ import annotations

from ..errors import InvalidOptionError
from ..numbers import INT64_MIN, NumberError, parse_int
from .base import CHUNK_SIZE_LIMIT, DEFAULT_BLOCK_SIZE, Chunker
from .fixed import FixedSizeChunker


def _int(text: str, spec: str, what: str) -> int:
    """As Go's ``strconv.Atoi``: ASCII digits, an optional sign, int64 range."""
    try:
        return parse_int(text, what, minimum=INT64_MIN)
    except NumberError as exc:
        raise InvalidOptionError(f"invalid chunker {spec!r}: {exc}") from None


def parse_chunker(spec: str | None) -> Chunker:
    """``size-N``, ``rabin``, ``rabin-AVG``, ``rabin-MIN-AVG-MAX`` or ``buzhash``.

    Limits are Kubo's: 0 < N ≤ 2096896; for rabin MIN ≥ 16, MIN < AVG < MAX ≤ 2096896.
    """
    if spec is None or spec in ("", "default"):
        return FixedSizeChunker(DEFAULT_BLOCK_SIZE)
    if not isinstance(spec, str):
        raise InvalidOptionError(f"chunker spec must be a string, not {type(spec).__name__}")
    name, _, rest = spec.partition("-")
    if name == "size":
        if not rest:
            raise InvalidOptionError(f"invalid chunker {spec!r}: size-N needs a size")
        size = _int(rest, spec, "size")
        if size <= 0:
            raise InvalidOptionError(f"invalid chunker {spec!r}: chunk size must be greater than 0")
        if size > CHUNK_SIZE_LIMIT:
            raise InvalidOptionError(
                f"invalid chunker {spec!r}: chunk size {size} exceeds the limit of"
                f" {CHUNK_SIZE_LIMIT} bytes"
            )
        return FixedSizeChunker(size)
    if name == "rabin":
        from .rabin import RabinChunker

        if not rest:
            return RabinChunker.from_avg(DEFAULT_BLOCK_SIZE)
        parts = rest.split("-")
        if len(parts) == 1:
            avg = _int(parts[0], spec, "average size")
            if avg <= 0:
                raise InvalidOptionError(f"invalid chunker {spec!r}: average must be positive")
            mn, mx = avg // 3, avg + avg // 2
            if mn < 16 or mx > CHUNK_SIZE_LIMIT:
                raise InvalidOptionError(
                    f"invalid chunker {spec!r}: rabin-{avg} gives min {mn} and max {mx};"
                    f" need min >= 16 and max <= {CHUNK_SIZE_LIMIT}"
                )
            return RabinChunker(mn, avg, mx)
        if len(parts) != 3:
            raise InvalidOptionError(
                f"invalid chunker {spec!r}: use rabin, rabin-AVG or rabin-MIN-AVG-MAX"
            )
        values = []
        for part, label in zip(parts, ("min", "avg", "max"), strict=True):
            text = part
            if ":" in part:
                got, _, text = part.partition(":")
                if got != label:
                    raise InvalidOptionError(
                        f"invalid chunker {spec!r}: expected label {label!r}, got {got!r}"
                    )
            values.append(_int(text, spec, label))
        mn, avg, mx = values
        if mn < 16:
            raise InvalidOptionError(f"invalid chunker {spec!r}: rabin min must be >= 16")
        if not mn < avg:
            raise InvalidOptionError(f"invalid chunker {spec!r}: rabin min must be < avg")
        if not avg < mx:
            raise InvalidOptionError(f"invalid chunker {spec!r}: rabin avg must be < max")
        if mx > CHUNK_SIZE_LIMIT:
            raise InvalidOptionError(
                f"invalid chunker {spec!r}: rabin max must be <= {CHUNK_SIZE_LIMIT}"
            )
        return RabinChunker(mn, avg, mx)
    if name == "buzhash":
        if rest:
            raise InvalidOptionError(f"invalid chunker {spec!r}: buzhash takes no parameters")
        from .buzhash import BuzhashChunker

        return BuzhashChunker()
    raise InvalidOptionError(
        f"invalid chunker {spec!r}: unknown chunker (use size-N, rabin[-...] or buzhash)"
    )
