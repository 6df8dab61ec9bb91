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


_I64 = (1 << 63) - 1


def to_ns(value: Any) -> int:
    """A time given as ns (int), a datetime, or ISO-8601 text (nanoseconds kept), as ns since
    the epoch, clamped to what SQLite's 64-bit integers hold."""
    if isinstance(value, bool):
        raise QueryError(f"not a time: {value!r}")
    extra_ns = 0
    if isinstance(value, int):
        ns = value
    elif isinstance(value, float):
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


def _like_to_glob(pattern: str) -> str:
    """SQL LIKE (``%``, ``_``; a backslash makes the next character literal, as in
    PostgreSQL's LIKE, which Pinata's filters use) as a case-sensitive GLOB pattern."""
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            ch = next(chars, "\\")  # a trailing backslash stands for itself
            out.append(f"[{ch}]" if ch in "*?[" else ch)
        elif ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "*?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    return "".join(out)


def _typed_operand(value: Any, ordering: bool = False) -> list[tuple[str, Any]]:
    """The (type, column value) pairs a filter value is compared with: a number with numbers,
    a boolean with booleans, a string with strings. A string that reads as an ISO-8601 time
    compares with times, and for equality also with strings (a date stored as text)."""
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
            cond = "m.type = 'string' AND pinfold_lower(m.text) GLOB ?"
            cond_args.append(_like_to_glob(pattern.lower()))
    elif op in ("regexp", "iRegexp"):
        flags = "i" if op == "iRegexp" else ""
        cond = "m.type = 'string' AND pinfold_regexp(?, m.text)"
        cond_args.append(flags + "\x00" + str(f.value))
    elif op in ("between", "notBetween"):
        lo_forms = dict(_typed_operand(f.value[0], ordering=True))
        hi_forms = dict(_typed_operand(f.value[1], ordering=True))
        common = [t for t in lo_forms if t in hi_forms]
        if not common:
            raise QueryError(f"between bounds for {f.key!r} have different types")
        alts = []
        for t in common:
            col = "m.text" if t == STRING else "m.num"
            alts.append(f"(m.type = ? AND {col} BETWEEN ? AND ?)")
            cond_args.extend([t, lo_forms[t], hi_forms[t]])
        cond = " OR ".join(alts)
    else:
        sql_op = {"eq": "=", "ne": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        alts = []
        for vtype, operand in _typed_operand(f.value, ordering=op not in ("eq", "ne")):
            col = "m.text" if vtype == STRING else "m.num"
            alts.append(f"(m.type = ? AND {col} {sql_op} ?)")
            cond_args.extend([vtype, operand])
        cond = " OR ".join(alts)
    if negated:
        cond = f"NOT ({cond})"
    args.append(f.key)
    args.extend(cond_args)
    return f"SELECT m.pin FROM pin_meta m WHERE m.key = ? AND {cond}"


def build(q: Query, *, scan: bool = False) -> tuple[str, list[Any], str, list[Any]]:
    """SQL for a page of pin ids (newest first) and for the total count.

    Two plans for the page: by default the indexes (trigram names, typed metadata) produce the
    matching ids, which are then sorted by creation time, which is best when few pins match.
    ``scan=True`` walks pins newest first on the creation index and tests each one, stopping
    at ``limit`` matches, which is best when many match. :meth:`PinSet.query` picks by count.
    """
    conds: list[str] = []
    args: list[Any] = []
    if q.cids is not None:
        conds.append(f"p.mh IN ({','.join('?' * len(q.cids))})" if q.cids else "0")
        args.extend(c.multihash for c in q.cids)
    if q.name is not None:
        if q.match not in MATCHES:
            raise QueryError(f"unknown name match {q.match!r} (use {', '.join(MATCHES)})")
        if q.match == "exact":
            conds.append("p.name = ?")
            args.append(q.name)
        elif q.match == "iexact":
            if q.name.isascii():  # the NOCASE index narrows, the exact fold decides
                conds.append("p.name = ? COLLATE NOCASE AND pinfold_lower(p.name) = ?")
                args.extend([q.name, q.name.lower()])
            else:
                conds.append("pinfold_lower(p.name) = ?")
                args.append(q.name.lower())
        else:
            needle = q.name
            if len(needle) >= 3 and not scan:
                # trigram index narrows the candidates; the exact test follows
                conds.append("p.rowid IN (SELECT rowid FROM pin_names WHERE pin_names MATCH ?)")
                args.append('"' + needle.replace('"', '""') + '"')
            if q.match == "partial":
                conds.append("instr(p.name, ?) > 0")
                args.append(needle)
            else:
                conds.append("instr(pinfold_lower(p.name), ?) > 0")
                args.append(needle.lower())
    if q.status is not None:
        if not q.status:
            conds.append("0")
        bad = [s for s in q.status if s not in STATUSES]
        if bad:
            raise QueryError(f"unknown status {bad[0]!r} (use {', '.join(STATUSES)})")
        if q.status:
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
    only_meta = not conds
    meta_args: list[Any] = []
    if q.meta:
        parts = [_meta_condition(f, meta_args) for f in q.meta]
        if scan:
            # per pin: its own (pin, key) rows, found by primary key
            for part in parts:
                conds.append("EXISTS (" + part.replace(
                    "FROM pin_meta m WHERE", "FROM pin_meta m WHERE m.pin = p.id AND") + ")")
        else:
            # one set of pin ids per filter, intersected: each set comes from its index
            conds.append(f"p.id IN ({' INTERSECT '.join(parts)})")
        args.extend(meta_args)
    where = " WHERE " + " AND ".join(conds) if conds else ""
    if q.meta and only_meta:
        count_sql = f"SELECT COUNT(*) FROM ({' INTERSECT '.join(parts)})"
        count_args = list(meta_args)
    else:
        count_sql = f"SELECT COUNT(*) FROM pins p{where}"
        count_args = list(args)
    page_conds = list(conds)
    page_args = list(args)
    if q.cursor is not None:
        page_conds.append("p.created > ?" if q.oldest_first else "p.created < ?")
        page_args.append(q.cursor)
    page_where = " WHERE " + " AND ".join(page_conds) if page_conds else ""
    order = "ASC" if q.oldest_first else "DESC"
    table = "pins p INDEXED BY pins_created" if scan else "pins p"
    sql = f"SELECT p.id FROM {table}{page_where} ORDER BY p.created {order}"
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
