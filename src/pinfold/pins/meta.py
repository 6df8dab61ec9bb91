"""Pin metadata: typed key-values (string, number, boolean, timestamp) and their filters.

Values keep their type: numbers compare as numbers, timestamps as times. A value given as text
on the command line is typed by what it parses as (``--meta-str`` keeps it a string).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import PinfoldError
from ..numbers import INT64_MIN, NumberError, parse_int
from .limits import MAX_KEY_BYTES, MAX_KEYS, MAX_VALUE_BYTES

STRING, NUMBER, BOOL, TIME = "string", "number", "bool", "time"

OPERATORS = (
    "eq", "ne", "gt", "gte", "lt", "lte", "between", "notBetween", "like", "notLike", "iLike",
    "notILike", "regexp", "iRegexp",
)


class MetadataError(PinfoldError, ValueError):
    """Metadata or a metadata filter that is not valid."""


@dataclass(frozen=True)
class Value:
    """A typed metadata value: ``num`` holds numbers, booleans (0/1) and times (epoch
    seconds); ``text`` holds strings and the ISO form of times."""

    type: str
    num: float | int | None
    text: str | None

    def to_python(self) -> Any:
        if self.type == STRING:
            return self.text
        if self.type == BOOL:
            return bool(self.num)
        if self.type == TIME:
            return stored_time(self.text or "")
        return self.num

    def to_json(self) -> Any:
        """JSON form; times are tagged so that an export imports back typed."""
        if self.type == TIME:
            return {"$time": self.text}
        return self.to_python()


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?$")


def parse_time(text: str) -> _dt.datetime:
    """An ISO-8601 date or date-time; naive times are taken as UTC."""
    t = text.strip()
    if not _ISO.match(t):
        raise MetadataError(f"malformed date {text!r} (use ISO-8601, e.g. 2024-05-01T12:00:00Z)")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    # Python < 3.11 does not take more than 6 fractional digits
    m = re.match(r"^(.*\.\d{6})\d+(.*)$", t)
    if m:
        t = m.group(1) + m.group(2)
    try:
        value = _dt.datetime.fromisoformat(t)
    except ValueError as exc:
        raise MetadataError(f"malformed date {text!r}: {exc}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value


def stored_time(text: str) -> _dt.datetime:
    """A time as a pin database holds it: the UTC form :func:`_time_value` writes
    (``2024-05-01T12:30:15.123456Z``), which ``fromisoformat`` reads as it is (3.11+) and
    :func:`parse_time` would read the same (a test checks it); anything else goes through
    :func:`parse_time`."""
    if text.endswith("Z"):
        try:
            return _dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    return parse_time(text)


def _time_value(d: _dt.datetime | _dt.date) -> Value:
    if not isinstance(d, _dt.datetime):
        d = _dt.datetime(d.year, d.month, d.day, tzinfo=_dt.UTC)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    iso = d.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")
    return Value(TIME, d.timestamp(), iso)


def typed(value: Any) -> Value:
    """A Python value as a typed metadata value (str, int, float, bool, datetime, date)."""
    if isinstance(value, Value):
        return value
    if isinstance(value, bool):
        return Value(BOOL, int(value), None)
    if isinstance(value, int) and not -(1 << 63) <= value < (1 << 63):
        raise MetadataError(f"metadata integers must fit in 64 bits, got {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise MetadataError(f"metadata numbers must be finite, got {value!r}")
        return Value(NUMBER, value, None)
    if isinstance(value, _dt.datetime | _dt.date):
        return _time_value(value)
    if isinstance(value, dict) and set(value) == {"$time"}:
        return _time_value(parse_time(str(value["$time"])))
    if isinstance(value, str):
        if len(stored_text(value, "metadata value")) > MAX_VALUE_BYTES:
            raise MetadataError(f"metadata value longer than {MAX_VALUE_BYTES} bytes")
        return Value(STRING, None, value)
    raise MetadataError(
        f"metadata values are strings, numbers, booleans or timestamps, not {type(value).__name__}"
    )


_NUM = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def infer(text: str) -> Value:
    """Type a command-line value: number, boolean, ISO-8601 time, else string."""
    t = text.strip()
    if _NUM.match(t):
        if any(c in t for c in ".eE"):
            return typed(float(t))
        try:
            return typed(parse_int(t, "metadata integer", minimum=INT64_MIN))
        except NumberError as exc:
            raise MetadataError(str(exc)) from None
    if t.lower() in ("true", "false"):
        return Value(BOOL, int(t.lower() == "true"), None)
    if _ISO.match(t) and re.match(r"^\d{4}-\d{2}-\d{2}", t):
        return _time_value(parse_time(t))
    return typed(text)


def stored_text(text: str, what: str, error: type[PinfoldError] = MetadataError) -> bytes:
    """The UTF-8 bytes of ``text``, as the pin database stores it. A lone surrogate (what
    undecodable bytes in a command-line argument become) is not text: ``error`` naming
    ``what``."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise error(f"{what} {text[:40]!r} is not valid text: {text[exc.start]!r} at position"
                    f" {exc.start} is a lone surrogate (undecodable bytes?)") from None


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise MetadataError(f"metadata keys are non-empty strings, got {key!r}")
    if len(stored_text(key, "metadata key")) > MAX_KEY_BYTES:
        raise MetadataError(f"metadata key {key[:40]!r}... is longer than {MAX_KEY_BYTES} bytes")
    return key


def check_meta(meta: dict[str, Any] | None, *, allow_none: bool = False) -> dict[str, Value | None]:
    """Validate a metadata mapping (``None`` values mean "remove" where ``allow_none``)."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise MetadataError(f"metadata must be a mapping, not {type(meta).__name__}")
    if len(meta) > MAX_KEYS:
        raise MetadataError(f"at most {MAX_KEYS} metadata keys, got {len(meta)}")
    out: dict[str, Value | None] = {}
    for key, value in meta.items():
        check_key(key)
        if value is None:
            if not allow_none:
                raise MetadataError(f"metadata key {key!r} has no value")
            out[key] = None
        else:
            out[key] = typed(value)
    return out


def check_key_count(count: int) -> None:
    """Refuse a change that would leave a pin with more than :data:`MAX_KEYS` keys (checked
    on the merged result, after :func:`check_meta` checked the change itself)."""
    if count > MAX_KEYS:
        raise MetadataError(f"a pin may carry at most {MAX_KEYS} metadata keys, this would have"
                            f" {count}")


@dataclass(frozen=True)
class MetaFilter:
    """One metadata condition: ``key op value`` (``value`` is a pair for between)."""

    key: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        check_key(self.key)
        if self.op not in OPERATORS:
            raise MetadataError(
                f"unknown metadata operator {self.op!r} (use {', '.join(OPERATORS)})")
        for v in self.value if isinstance(self.value, list | tuple) else [self.value]:
            if isinstance(v, str):
                stored_text(v, f"the {self.op} value for {self.key!r}")
        if self.op in ("between", "notBetween"):
            if not isinstance(self.value, list | tuple) or len(self.value) != 2:
                raise MetadataError(f"{self.op} needs two values, got {self.value!r}")
        elif self.op in ("like", "notLike", "iLike", "notILike", "regexp", "iRegexp"):
            if not isinstance(self.value, str):
                raise MetadataError(f"{self.op} needs a text pattern, got {self.value!r}")
            if self.op in ("regexp", "iRegexp"):
                try:
                    re.compile(self.value)
                except re.error as exc:
                    raise MetadataError(f"bad regular expression {self.value!r}: {exc}") \
                        from None


def filters_from_json(spec: dict[str, Any]) -> list[MetaFilter]:
    """Pinata's filter form ``{"key": {"value": V, "op": "gte"}}``; a bare value means eq."""
    if not isinstance(spec, dict):
        raise MetadataError("a metadata filter is a JSON object of key: {value, op}")
    out = []
    for key, cond in spec.items():
        if isinstance(cond, dict) and "value" in cond:
            unknown = set(cond) - {"value", "op", "secondValue"}
            if unknown:
                raise MetadataError(f"unknown filter fields for {key!r}: {sorted(unknown)}")
            op = cond.get("op", "eq")
            value = cond["value"]
            if op in ("between", "notBetween") and "secondValue" in cond:
                value = [value, cond["secondValue"]]
            out.append(MetaFilter(key, op, value))
        else:
            out.append(MetaFilter(key, "eq", cond))
    return out


_CLI_OPS = [("!=", "ne"), (">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt"), ("~", "like"),
            ("=", "eq")]


def parse_cli_filter(text: str) -> MetaFilter:
    """``KEY=V``, ``KEY!=V``, ``KEY>V``, ``KEY>=V``, ``KEY<V``, ``KEY<=V``, ``KEY~PATTERN``."""
    best = None
    for sym, op in _CLI_OPS:
        i = text.find(sym)
        if i > 0 and (best is None or i < best[0] or (i == best[0] and len(sym) > len(best[1]))):
            best = (i, sym, op)
    if best is None:
        raise MetadataError(
            f"bad metadata filter {text!r} (use KEY=V, KEY!=V, KEY>V, KEY>=V, KEY<V, KEY<=V or"
            " KEY~PATTERN)")
    i, sym, op = best
    key, raw = text[:i], text[i + len(sym):]
    value: Any = raw if op == "like" else infer(raw).to_python()
    if isinstance(value, _dt.datetime):
        value = {"$time": raw}
    return MetaFilter(key, op, value)


def parse_cli_pair(text: str, *, as_string: bool = False) -> tuple[str, Value]:
    if "=" not in text:
        raise MetadataError(f"bad metadata {text!r}: use KEY=VALUE")
    key, _, raw = text.partition("=")
    check_key(key)
    return key, (typed(raw) if as_string else infer(raw))
