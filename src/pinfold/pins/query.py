"""Pin queries: the Pinning Service API's filters plus Pinata's metadata operators, as SQL.

Every filter is a condition on indexed columns where one exists (CID, name, status, created,
size, metadata key and typed value, group), so a query at a million pins reads what it
returns, not the whole table.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID
from .meta import STRING, TIME, MetadataError, MetaFilter, parse_time, typed

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
    group: str | None = None
    before: int | None = None  # created, ns
    after: int | None = None
    min_size: int | None = None
    max_size: int | None = None
    meta: list[MetaFilter] = field(default_factory=list)
    type: str | None = None
    limit: int | None = 10
    cursor: int | None = None  # created of the last pin of the previous page
    oldest_first: bool = False


def to_ns(value: Any) -> int:
    """A time given as ns (int), a datetime, or ISO-8601 text, as ns since the epoch."""
    if isinstance(value, bool):
        raise QueryError(f"not a time: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value * 1e9)
    if isinstance(value, str):
        value = parse_time(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
        return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    raise QueryError(f"not a time: {value!r}")


def _like_to_glob(pattern: str) -> str:
    """SQL LIKE (``%``, ``_``) as a case-sensitive GLOB pattern."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def _typed_operand(value: Any) -> tuple[str, Any]:
    """(type, column value) for comparing a filter value with stored values."""
    if isinstance(value, str):
        # a string that reads as a time compares as a time; numbers are given as numbers
        if re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                v = typed(parse_time(value))
                return TIME, v.num
            except MetadataError:
                pass
        return STRING, value
    v = typed(value)
    if v.type == STRING:
        return STRING, v.text
    return v.type, v.num


def _meta_condition(f: MetaFilter, args: list[Any]) -> str:
    """SQL selecting the ids of the pins one metadata filter keeps.

    The subquery runs on the ``(key, type, value)`` indexes, so a selective filter reads only
    its matches. Negated operators (``ne``, ``notBetween``, ``notLike``, ``notILike``) match
    pins that have the key with a value that fails the positive test, as in Pinata.
    """
    op = f.op
    negated = op in ("ne", "notBetween", "notLike", "notILike")
    cond_args: list[Any] = []
    if op in ("like", "notLike", "iLike", "notILike"):
        pattern = str(f.value)
        if op in ("like", "notLike"):
            cond = "m.type = 'string' AND m.text GLOB ?"
            cond_args.append(_like_to_glob(pattern))
        else:
            cond = "m.type = 'string' AND lower(m.text) GLOB ?"
            cond_args.append(_like_to_glob(pattern.lower()))
    elif op in ("regexp", "iRegexp"):
        flags = "i" if op == "iRegexp" else ""
        cond = "m.type = 'string' AND pinfold_regexp(?, m.text)"
        cond_args.append(flags + "\x00" + str(f.value))
    elif op in ("between", "notBetween"):
        lo_t, lo = _typed_operand(f.value[0])
        hi_t, hi = _typed_operand(f.value[1])
        if lo_t != hi_t:
            raise QueryError(f"between bounds for {f.key!r} have different types")
        col = "m.text" if lo_t == STRING else "m.num"
        cond = f"m.type = ? AND {col} BETWEEN ? AND ?"
        cond_args.extend([lo_t, lo, hi])
    else:
        vtype, operand = _typed_operand(f.value)
        col = "m.text" if vtype == STRING else "m.num"
        sql_op = {"eq": "=", "ne": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        cond = f"m.type = ? AND {col} {sql_op} ?"
        cond_args.extend([vtype, operand])
    if negated:
        cond = f"NOT ({cond})"
    args.append(f.key)
    args.extend(cond_args)
    return f"SELECT m.pin FROM pin_meta m WHERE m.key = ? AND {cond}"


def build(q: Query) -> tuple[str, list[Any], str, list[Any]]:
    """SQL for a page of pin ids (newest first) and for the total count."""
    conds: list[str] = []
    args: list[Any] = []
    if q.cids:
        conds.append(f"p.mh IN ({','.join('?' * len(q.cids))})")
        args.extend(c.multihash for c in q.cids)
    if q.name is not None:
        if q.match not in MATCHES:
            raise QueryError(f"unknown name match {q.match!r} (use {', '.join(MATCHES)})")
        if q.match == "exact":
            conds.append("p.name = ?")
            args.append(q.name)
        elif q.match == "iexact":
            conds.append("p.name = ? COLLATE NOCASE AND lower(p.name) = lower(?)")
            args.extend([q.name, q.name])
        else:
            needle = q.name
            if len(needle) >= 3:
                # trigram index narrows the candidates; the exact test follows
                conds.append("p.rowid IN (SELECT rowid FROM pin_names WHERE pin_names MATCH ?)")
                args.append('"' + needle.replace('"', '""') + '"')
            if q.match == "partial":
                conds.append("instr(p.name, ?) > 0")
                args.append(needle)
            else:
                conds.append("instr(lower(p.name), lower(?)) > 0")
                args.append(needle)
    if q.status:
        bad = [s for s in q.status if s not in STATUSES]
        if bad:
            raise QueryError(f"unknown status {bad[0]!r} (use {', '.join(STATUSES)})")
        conds.append(f"p.status IN ({','.join('?' * len(q.status))})")
        args.extend(q.status)
    for value, cond in (
        (q.type, "p.type = ?"),
        (q.group, "EXISTS (SELECT 1 FROM pin_groups g WHERE g.pin = p.id AND g.grp = ?)"),
        (q.before, "p.created < ?"),
        (q.after, "p.created > ?"),
        (q.min_size, "p.size >= ?"),
        (q.max_size, "p.size <= ?"),
    ):
        if value is not None:
            conds.append(cond)
            args.append(value)
    if q.meta:
        # one set of pin ids per filter, intersected: each set comes from its index
        parts = [_meta_condition(f, args) for f in q.meta]
        conds.append(f"p.id IN ({' INTERSECT '.join(parts)})")
    where = " WHERE " + " AND ".join(conds) if conds else ""
    count_sql = f"SELECT COUNT(*) FROM pins p{where}"
    count_args = list(args)
    page_conds = list(conds)
    page_args = list(args)
    if q.cursor is not None:
        page_conds.append("p.created > ?" if q.oldest_first else "p.created < ?")
        page_args.append(q.cursor)
    page_where = " WHERE " + " AND ".join(page_conds) if page_conds else ""
    order = "ASC" if q.oldest_first else "DESC"
    sql = f"SELECT p.id FROM pins p{page_where} ORDER BY p.created {order}"
    if q.limit is not None:
        if q.limit < 1:
            raise QueryError("limit must be at least 1")
        sql += " LIMIT ?"
        page_args.append(q.limit)
    return sql, page_args, count_sql, count_args


def regexp_function(flags_and_pattern: str, text: str | None) -> bool:
    if text is None:
        return False
    flags, _, pattern = flags_and_pattern.partition("\x00")
    return _compiled(pattern, "i" in flags).search(text) is not None


_cache: dict[tuple[str, bool], re.Pattern] = {}


def _compiled(pattern: str, ignore_case: bool) -> re.Pattern:
    key = (pattern, ignore_case)
    rx = _cache.get(key)
    if rx is None:
        rx = _cache[key] = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    return rx
