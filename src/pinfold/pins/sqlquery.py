"""Pin queries as SQLite SQL: each filter of :mod:`pinfold.pins.query` as a condition on
indexed columns where one exists (CID, name, status, created, size, metadata key and typed
value, group), so a query at a million pins reads what it returns, not the whole table.
"""

from __future__ import annotations

import re
from typing import Any

from .meta import STRING, MetaFilter
from .query import Query, QueryError, typed_operands

# A string row has num NULL (a time row has both num and text): saying so lets the one
# metadata index, (key, type, num, text), find strings by (key, 'string', NULL, text).
TEXT_COL = "m.num IS NULL AND m.text"
STRING_ROW = f"m.type = '{STRING}' AND m.num IS NULL"


def like_to_glob(pattern: str) -> str:
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


def meta_condition(f: MetaFilter, args: list[Any]) -> str:
    """SQL selecting the ids of the pins one metadata filter keeps.

    The subquery runs on the ``(key, type, num, text)`` index, so a selective filter reads only
    its matches. Negated operators (``ne``, ``notBetween``, ``notLike``, ``notILike``) match
    pins that have the key with a value that fails the positive test, as in Pinata.
    """
    op = f.op
    negated = op in ("ne", "notBetween", "notLike", "notILike")
    cond_args: list[Any] = []
    if op in ("like", "notLike", "iLike", "notILike"):
        pattern = str(f.value)
        if op in ("like", "notLike"):
            cond = f"{STRING_ROW} AND m.text GLOB ?"
            cond_args.append(like_to_glob(pattern))
        else:
            cond = f"{STRING_ROW} AND pinfold_lower(m.text) GLOB ?"
            cond_args.append(like_to_glob(pattern.lower()))
    elif op in ("regexp", "iRegexp"):
        flags = "i" if op == "iRegexp" else ""
        cond = f"{STRING_ROW} AND pinfold_regexp(?, m.text)"
        cond_args.append(flags + "\x00" + str(f.value))
    else:
        cond = comparison(f, cond_args)
    if negated:
        cond = f"NOT ({cond})"
    args.append(f.key)
    args.extend(cond_args)
    return f"SELECT m.pin FROM pin_meta m WHERE m.key = ? AND {cond}"


def comparison(f: MetaFilter, args: list[Any]) -> str:
    """The condition on a ``pin_meta m`` row of a comparing filter (``eq`` … ``lte``,
    ``between``; negated ones give their positive test), typed (:func:`typed_operands`), with
    ``?`` placeholders whose values go onto ``args``. Portable SQL: the PostgreSQL pin set
    uses it too."""
    op = f.op
    alts = []
    if op in ("between", "notBetween"):
        lo_forms = dict(typed_operands(f.value[0], ordering=True))
        hi_forms = dict(typed_operands(f.value[1], ordering=True))
        common = [t for t in lo_forms if t in hi_forms]
        if not common:
            raise QueryError(f"between bounds for {f.key!r} have different types")
        for t in common:
            col = TEXT_COL if t == STRING else "m.num"
            alts.append(f"(m.type = ? AND {col} BETWEEN ? AND ?)")
            args.extend([t, lo_forms[t], hi_forms[t]])
        return " OR ".join(alts)
    sql_op = {"eq": "=", "ne": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    for vtype, operand in typed_operands(f.value, ordering=op not in ("eq", "ne")):
        col = TEXT_COL if vtype == STRING else "m.num"
        alts.append(f"(m.type = ? AND {col} {sql_op} ?)")
        args.extend([vtype, operand])
    return " OR ".join(alts)


def build(q: Query, *, scan: bool = False) -> tuple[str, list[Any], str, list[Any]]:
    """SQL for a page of pin ids (newest first) and for the total count.

    Two plans for the page: by default the indexes (trigram names, typed metadata) produce the
    matching ids, which are then sorted by creation time, which is best when few pins match.
    ``scan=True`` walks pins newest first on the creation index and tests each one, stopping
    at ``limit`` matches, which is best when many match. :meth:`PinSet.run_query` picks by
    count. The query was validated (:func:`pinfold.pins.query.validate`).
    """
    conds: list[str] = []
    args: list[Any] = []
    if q.cids is not None:
        conds.append(f"p.mh IN ({','.join('?' * len(q.cids))})" if q.cids else "0")
        args.extend(c.multihash for c in q.cids)
    if q.name is not None:
        if q.match == "exact":
            # NOCASE equality holds wherever equality does: its index narrows, == decides
            conds.append("p.name = ? COLLATE NOCASE AND p.name = ?")
            args.extend([q.name, q.name])
        elif q.match == "iexact":
            if q.name.isascii():  # the NOCASE index narrows, the exact fold decides
                conds.append("p.name = ? COLLATE NOCASE AND pinfold_lower(p.name) = ?")
                args.extend([q.name, q.name.lower()])
            else:
                conds.append("pinfold_lower(p.name) = ?")
                args.append(q.name.lower())
        else:
            needle = q.name
            if len(needle) >= 3 and not scan and "\x00" not in needle:
                # trigram index narrows the candidates; the exact test follows (FTS5 reads a
                # query string only up to a NUL: such a needle is matched by instr alone)
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
        if q.status:
            conds.append(f"p.status IN ({','.join('?' * len(q.status))})")
            args.extend(q.status)
    meta_args: list[Any] = []
    parts = [meta_condition(f, meta_args) for f in q.meta] if q.meta else []
    return assemble(q, conds, args, parts, meta_args, scan=scan,
                    table="pins p INDEXED BY pins_created" if scan else "pins p")


def assemble(q: Query, conds: list[str], args: list[Any], parts: list[str],
             meta_args: list[Any], *, scan: bool, table: str = "pins p",
             count_alias: str = "") -> tuple[str, list[Any], str, list[Any]]:
    """What every engine's query builder shares once it has turned the engine-specific
    filters (CIDs, name, status) into ``conds``/``args`` and the metadata filters into
    ``parts`` (one id-selecting statement each, their arguments in ``meta_args``): the plain
    column filters, the metadata (intersected sets, or per-pin ``EXISTS`` when ``scan``), the
    count and the page. ``table`` names the pins table as the page reads it; ``count_alias``
    names the intersection where the engine needs a derived table named (PostgreSQL)."""
    for value, cond in (
        (q.type, "p.type = ?"),
        (q.network, "p.network = ?"),
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
    if parts:
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
    if parts and only_meta:
        count_sql = f"SELECT COUNT(*) FROM ({' INTERSECT '.join(parts)}){count_alias}"
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
    sql = f"SELECT p.id FROM {table}{page_where} ORDER BY p.created {order}"
    if q.limit is not None:
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
