"""Integers that come from outside: one bounded parser for every numeric field a caller does
not control (request headers, query parameters, command-line values, offsets read from files).

Python's ``int()`` takes any length (up to a 4,300-digit limit that raises ``ValueError``),
accepts ``_`` separators, surrounding spaces and non-ASCII digits, and has no notion of a
field's range. :func:`parse_int` takes ASCII decimal digits only, checks the length before
converting (so a megabyte of digits costs nothing) and the range after, and names the field
in its error; :func:`check_int` bounds an integer already decoded (a CARv2 header field).
"""

from __future__ import annotations

from .errors import InvalidOptionError

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


class NumberError(InvalidOptionError):
    """A numeric field that is not a whole number, or is out of its range; ``field`` names
    it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _shown(text: str) -> str:
    """``text`` for an error message: short, whatever its length."""
    if len(text) <= 24:
        return repr(text)
    return f"{text[:20]!r}... ({len(text)} characters)"


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is None:
        return f"at most {maximum}"
    if maximum is None:
        return f"at least {minimum}"
    return f"from {minimum} to {maximum}"


def parse_int(text: str, field: str, *, minimum: int | None = 0,
              maximum: int | None = INT64_MAX) -> int:
    """The integer ``text`` spells, in ``[minimum, maximum]`` (``None``: unbounded on that
    side; at least one bound is required).

    ``text`` is ASCII decimal digits, with an optional sign only when the field can be
    negative (``minimum`` below 0 or ``None``); no spaces, no ``_``. Anything else, or a value
    out of range, raises :class:`NumberError` naming ``field``."""
    if minimum is None and maximum is None:
        raise ValueError("parse_int needs a minimum or a maximum")
    if not isinstance(text, str):
        raise NumberError(field, f"expected a whole number, not {type(text).__name__}")
    signed = minimum is None or minimum < 0
    digits = text[1:] if signed and text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        if not signed and text[:1] == "-" and text[1:].isascii() and text[1:].isdigit():
            raise NumberError(field, f"{_shown(text)} is negative")
        raise NumberError(field, f"{_shown(text)} is not a number")
    significant = digits.lstrip("0")
    limit = max(len(str(abs(b))) for b in (minimum, maximum) if b is not None)
    if len(significant) > limit:
        raise NumberError(field, f"{_shown(text)} is out of range"
                                 f" ({_range(minimum, maximum)})")
    value = int(significant or "0")
    return check_int(-value if text[0] == "-" else value, field, minimum=minimum,
                     maximum=maximum)


def check_int(value: int, field: str, *, minimum: int | None = 0,
              maximum: int | None = INT64_MAX) -> int:
    """``value`` if it lies in ``[minimum, maximum]``, else :class:`NumberError`."""
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise NumberError(field, f"{value} is out of range ({_range(minimum, maximum)})")
    return value
