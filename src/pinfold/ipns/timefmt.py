"""Go's time text, which IPNS records carry: RFC 3339 validity times as ``time.RFC3339Nano``
writes and reads them, and durations in ``time.ParseDuration`` / ``Duration.String``
syntax (``0s``, ``90s``, ``1h30m``, ``1.5h``, ``300ms``).

Times are integers of nanoseconds since the Unix epoch, so nothing is rounded.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from ..errors import InvalidOptionError

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "\u00b5s": MICROSECOND,
          "\u03bcs": MICROSECOND, "ms": MILLISECOND, "s": SECOND, "m": MINUTE, "h": HOUR}
_MAX_DURATION = (1 << 63) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimeFormatError(InvalidOptionError):
    """A time or duration that Go would not parse."""


# -- RFC 3339 ---------------------------------------------------------------------------
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})\Z",
    re.ASCII)  # Go's digits are ASCII: "２０２４-..." is no time


def format_rfc3339nano(ns: int) -> str:
    """``ns`` (nanoseconds since the epoch) as Go's ``t.UTC().Format(time.RFC3339Nano)``:
    ``2123-08-14T12:17:03.694052Z`` (trailing zeros of the fraction dropped, no fraction
    when it is zero)."""
    secs, frac = divmod(ns, SECOND)
    try:
        t = _EPOCH + timedelta(seconds=secs)
    except OverflowError:
        raise TimeFormatError(f"time {ns} ns since the epoch is outside years 1-9999") from None
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.year < 1000:
        text = f"{t.year:04d}" + text[text.index("-"):]
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def parse_rfc3339(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time as Go's ``time.Parse(RFC3339Nano)``
    reads it: ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)``, any number of fraction
    digits (past nine are dropped). :class:`TimeFormatError` otherwise."""
    m = _RFC3339.match(text) if isinstance(text, str) else None
    if m is None:
        raise TimeFormatError(f"invalid RFC 3339 time {text!r} (e.g. 2030-01-02T15:04:05Z)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not 1 <= month <= 12:
        raise TimeFormatError(f"invalid RFC 3339 time {text!r}: month out of range")
    if not 1 <= day <= calendar.monthrange(year if year else 2000, month)[1]:
        raise TimeFormatError(f"invalid RFC 3339 time {text!r}: day out of range")
    if hour > 23 or minute > 59 or second > 59:
        raise TimeFormatError(f"invalid RFC 3339 time {text!r}: time of day out of range")
    frac = (m.group(7) or "")[:9].ljust(9, "0")
    zone = m.group(8)
    offset = 0
    if zone != "Z":
        hh, mm = int(zone[1:3]), int(zone[4:6])
        if hh > 23 or mm > 59:
            raise TimeFormatError(f"invalid RFC 3339 time {text!r}: zone offset out of range")
        offset = (hh * 3600 + mm * 60) * (1 if zone[0] == "+" else -1)
    days = _days_from_civil(year, month, day)
    secs = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return secs * SECOND + int(frac)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, including 0)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def to_ns(when: datetime | int | str) -> int:
    """Nanoseconds since the epoch of a ``datetime`` (naive means UTC), an int (already
    nanoseconds) or an RFC 3339 string."""
    if isinstance(when, bool):
        raise TypeError("a time is a datetime, an int of nanoseconds or an RFC 3339 string")
    if isinstance(when, int):
        return when
    if isinstance(when, str):
        return parse_rfc3339(when)
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delta = when - _EPOCH
        return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds * MICROSECOND
    raise TypeError("a time is a datetime, an int of nanoseconds or an RFC 3339 string")


# -- durations --------------------------------------------------------------------------
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration (``time.ParseDuration``): a sequence of decimal numbers
    with units ``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h`` (``1h30m``, ``1.5h``,
    ``-90s``); ``0`` alone is allowed. :class:`TimeFormatError` with Go's message
    otherwise."""
    orig = text
    if not isinstance(text, str):
        raise TimeFormatError(f"time: invalid duration {orig!r}")
    neg = False
    if text[:1] in ("-", "+"):
        neg = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if text == "":
        raise TimeFormatError(f'time: invalid duration "{orig}"')
    total = 0
    while text:
        m = _DURATION_PART.match(text)
        whole, frac, unit = m.group(1), m.group(2), m.group(3)
        if not whole and not frac:
            raise TimeFormatError(f'time: invalid duration "{orig}"')
        if not unit:
            raise TimeFormatError(f'time: missing unit in duration "{orig}"')
        if unit not in _UNITS:
            raise TimeFormatError(f'time: unknown unit "{unit}" in duration "{orig}"')
        scale = _UNITS[unit]
        whole = whole.lstrip("0")
        if len(whole) > 19:  # Go's leadingInt overflows past 1<<63
            raise TimeFormatError(f'time: invalid duration "{orig}"')
        v = int(whole or "0") * scale
        if frac:
            # Go adds the fraction in float64, as float(f) * (unit / 10**digits), with only
            # the digits read before f would pass 1<<63 (leadingFraction ignores the rest)
            f, digits = 0, 0
            for c in frac:
                if f > ((1 << 63) - 1) // 10 or f * 10 + int(c) > 1 << 63:
                    break
                f, digits = f * 10 + int(c), digits + 1
            v += int(float(f) * (scale / float(10 ** digits)))
        total += v
        if total > _MAX_DURATION + (1 if neg else 0):
            raise TimeFormatError(f'time: invalid duration "{orig}"')
        text = text[m.end():]
    return -total if neg else total


def _frac(v: int, prec: int) -> str:
    whole, frac = divmod(v, 10 ** prec)
    return str(whole) + ("." + f"{frac:0{prec}d}".rstrip("0") if frac else "")


def format_duration(ns: int) -> str:
    """Go's ``Duration.String``: ``0s``, ``1.5s``, ``300ms``, ``5m0s``, ``48h0m0s``."""
    neg, u = ns < 0, abs(ns)
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            out = f"{u}ns"
        elif u < MILLISECOND:
            out = _frac(u, 3) + "\u00b5s"
        else:
            out = _frac(u, 6) + "ms"
    else:
        whole = u // SECOND
        out = f"{whole % 60}" + _frac(u % SECOND, 9)[1:] + "s"
        if whole >= 60:
            out = f"{whole // 60 % 60}m" + out
        if whole >= 3600:
            out = f"{whole // 3600}h" + out
    return ("-" if neg else "") + out
