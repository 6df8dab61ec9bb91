"""Pin queries: the Pinning Service API's filters plus Pinata's metadata operators.

What a query means, whichever pin set runs it (the SQLite one turns it into SQL in
:mod:`pinfold.pins.sqlquery`). A pin matches when it passes every filter given:

- ``cids``: its CID's multihash is one of theirs (so a CIDv0 finds the CIDv1 pin); ``[]``
  matches nothing.
- ``name`` with ``match``: ``exact`` (same string), ``iexact`` (same after Unicode lower-casing
  both), ``partial`` (a substring, case-sensitive), ``ipartial`` (a substring after Unicode
  lower-casing both).
- ``status``: one of the listed :data:`STATUSES` (``[]`` matches nothing); ``type``: that pin
  type; ``network``: that network (``public`` or ``private``); ``group``: a member of the
  group with that id.
- ``before`` / ``after``: created strictly before / after that many ns since the epoch;
  ``min_size`` / ``max_size``: ``size`` at least / at most (a pin without a size fails both).
- ``meta``: every :class:`~pinfold.pins.meta.MetaFilter`. A filter compares the pin's value of
  its key, *typed*: a value compares only with values of the types :func:`typed_operands`
  gives (a number with numbers, a boolean with booleans, a string with strings; a string that
  reads as an ISO-8601 time with times, and for ``eq``/``ne`` also with strings). ``between``
  is inclusive of both bounds, which must share a type. ``like``/``notLike`` are SQL LIKE on
  strings (``%`` any run, ``_`` one character, a backslash makes the next character literal,
  case-sensitive), ``iLike``/``notILike`` the same after Unicode lower-casing,
  ``regexp``/``iRegexp`` Python :mod:`re` search (``i``: ignoring case). Negated operators
  (``ne``, ``notBetween``, ``notLike``, ``notILike``) match pins that *have* the key with a
  value failing the positive test, as in Pinata; a pin without the key matches no filter on it.

Pages come newest first (``oldest_first``: oldest first), by ``created`` (unique), at most
``limit`` pins (``None``: all). ``cursor`` is the ``created`` of the last pin of the previous
page: the next page holds the pins strictly after it in the page order. ``Page.total`` counts
every match, ignoring ``limit`` and ``cursor``; ``Page.cursor`` is ``None`` on the last page
(never an empty page after a full one).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID
from ..numbers import INT64_MIN, NumberError, check_int, parse_int
from .meta import (
    STRING,
    TIME,
    MetadataError,
    MetaFilter,
    filters_from_json,
    parse_time,
    stored_text,
    typed,
)

STATUSES = ("queued", "pinning", "pinned", "failed")
MATCHES = ("exact", "iexact", "partial", "ipartial")


class QueryError(MetadataError):
    """A query that cannot be run (bad filter, bad cursor, ...)."""


@dataclass
class Query:
    cids: list[CID] | None = None
    name: str | None = None
    match: str = "exact"
    status: list[str] | None = None
    group: str | None = None  # a group id
    before: int | None = None  # created, ns
    after: int | None = None
    min_size: int | None = None
    max_size: int | None = None
    meta: list[MetaFilter] = field(default_factory=list)
    type: str | None = None
    limit: int | None = 10
    cursor: int | None = None  # created of the last pin of the previous page
    oldest_first: bool = False
    network: str | None = None  # 'public' or 'private'


def make_query(group_id: Callable[[str], str], *, cid: Any = None, name: str | None = None,
               match: str = "exact", status: str | Iterable[str] | None = None,
               group: str | None = None, before: Any = None, after: Any = None,
               min_size: int | None = None, max_size: int | None = None,
               meta: dict[str, Any] | None = None, meta_filters: Iterable[MetaFilter] = (),
               type: str | None = None, limit: int | None = 10, cursor: Any = None,
               oldest_first: bool = False, network: str | None = None) -> Query:
    """A :class:`Query` from the keyword form of ``query(...)``: CIDs parsed, a group name or
    id turned into its id by ``group_id``, times into ns, Pinata's JSON metadata filters into
    :class:`MetaFilter`. Bad values raise here, before any query runs."""
    cids = None
    if cid is not None:
        cids = [CID(x) for x in (cid if isinstance(cid, list | tuple | set) else [cid])]
    statuses = [status] if isinstance(status, str) else (
        list(status) if status is not None else None)
    group_ref = group_id(group) if group is not None else None
    filters = list(meta_filters)
    if meta:
        filters.extend(filters_from_json(meta))
    try:
        cur = None if cursor is None else parse_int(str(cursor), "cursor", minimum=INT64_MIN)
    except NumberError as exc:
        raise QueryError(f"bad {exc}") from None
    return Query(
        cids=cids, name=name, match=match, status=statuses, group=group_ref,
        before=to_ns(before) if before is not None else None,
        after=to_ns(after) if after is not None else None,
        min_size=min_size, max_size=max_size, meta=filters, type=type, limit=limit,
        cursor=cur, oldest_first=oldest_first, network=network,
    )


def validate(q: Query) -> None:
    """Refuse a query no pin set can run (every implementation calls this first)."""
    for what, value in (("min_size", q.min_size), ("max_size", q.max_size),
                        ("limit", q.limit), ("cursor", q.cursor)):
        if value is not None:  # the engines' integers are 64-bit
            try:
                if type(value) is not int:
                    raise NumberError(what, f"{value!r} is not an integer")
                # a page probes one pin past ``limit``: that too must fit the engines
                check_int(value, what, minimum=-_I64 - 1,
                          maximum=_I64 - 1 if what == "limit" else _I64)
            except NumberError as exc:
                raise QueryError(str(exc)) from None
    if q.limit is not None and q.limit < 1:
        raise QueryError("limit must be at least 1")
    if q.name is not None and q.match not in MATCHES:
        raise QueryError(f"unknown name match {q.match!r} (use {', '.join(MATCHES)})")
    if q.name is not None:
        stored_text(q.name, "name filter", QueryError)
    if q.network is not None and q.network not in ("public", "private"):
        raise QueryError(f"unknown network {q.network!r} (use public or private)")
    if q.status is not None:
        bad = [s for s in q.status if s not in STATUSES]
        if bad:
            raise QueryError(f"unknown status {bad[0]!r} (use {', '.join(STATUSES)})")


_I64 = (1 << 63) - 1


def to_ns(value: Any) -> int:
    """A time given as ns (int), a datetime, or ISO-8601 text (nanoseconds kept), as ns since
    the epoch, clamped to what a signed 64-bit integer holds."""
    if isinstance(value, bool):
        raise QueryError(f"not a time: {value!r}")
    extra_ns = 0
    if isinstance(value, int):
        ns = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"not a time: {value!r}")
        ns = int(value * 1e9)
    else:
        if isinstance(value, str):
            m = re.search(r"\.\d{6}(\d{1,3})", value)
            if m:
                extra_ns = int(m.group(1).ljust(3, "0"))
            value = parse_time(value)
        if not isinstance(value, _dt.datetime):
            raise QueryError(f"not a time: {value!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        ns = ((delta.days * 86400 + delta.seconds) * 1_000_000_000
              + delta.microseconds * 1000 + extra_ns)
    return max(-_I64 - 1, min(_I64, ns))


def typed_operands(value: Any, ordering: bool = False) -> list[tuple[str, Any]]:
    """The (type, stored value) pairs a filter value is compared with: a number with numbers,
    a boolean with booleans, a string with strings. A string that reads as an ISO-8601 time
    compares with times, and for equality also with strings (a date stored as text).
    ``ordering``: for ``gt``/``lt``/``between`` (a time string then compares as a time only).
    Stored values are those of :class:`~pinfold.pins.meta.Value`: ``num`` for numbers,
    booleans and times, ``text`` for strings."""
    if isinstance(value, str):
        if re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                as_time = (TIME, typed(parse_time(value)).num)
            except MetadataError:
                return [(STRING, value)]
            return [as_time] if ordering else [as_time, (STRING, value)]
        return [(STRING, value)]
    v = typed(value)
    if v.type == STRING:
        return [(STRING, v.text)]
    return [(v.type, v.num)]
