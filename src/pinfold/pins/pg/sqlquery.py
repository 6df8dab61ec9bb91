"""Pin queries as PostgreSQL SQL: the filters of :mod:`pinfold.pins.query`, with the results
of the SQLite pin set's :mod:`pinfold.pins.sqlquery`.

Where the engines differ, this keeps SQLite's (and Python's) answer:

- case-insensitive matches compare ``name_fold``/``text_fold``, lower-cased by Python's
  ``str.lower`` when written, with the query's text lower-cased the same way (PostgreSQL's
  ``lower`` follows the server's locale);
- text compares in byte order (``COLLATE "C"`` columns), as SQLite's ``BINARY``;
- Pinata's ``like`` is PostgreSQL's own LIKE (a backslash escapes), a trailing lone backslash
  standing for itself as it does in the SQLite pin set;
- ``regexp``/``iRegexp`` are Python :mod:`re` searches: the strings under the filter's key are
  read and tested here, and the matching pins' ids go into the query (a cost that grows with
  the number of pins having that key, written down in docs/scale-out.md).

Statements use ``?`` placeholders (:class:`~pinfold.pins.pg.store.Connection` translates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..meta import MetaFilter
from ..query import Query
from ..sqlquery import assemble, comparison

RegexpIds = Callable[[str, str, bool], list[str]]


def like_pattern(pattern: str) -> str:
    """Pinata's LIKE pattern as PostgreSQL takes it: the same, except that a trailing lone
    backslash (an error to PostgreSQL) is escaped, to stand for itself."""
    out = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, None)
            out.append("\\\\" if nxt is None else "\\" + nxt)
        else:
            out.append(ch)
    return "".join(out)


def substring_pattern(needle: str) -> str:
    """A LIKE pattern matching any text that contains ``needle``."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def meta_condition(f: MetaFilter, args: list[Any], regexp_ids: RegexpIds) -> str:
    """SQL selecting the ids of the pins one metadata filter keeps (see
    :func:`pinfold.pins.sqlquery.meta_condition` for the meaning)."""
    op = f.op
    negated = op in ("ne", "notBetween", "notLike", "notILike")
    cond_args: list[Any] = []
    if op in ("like", "notLike"):
        cond = "m.type = 'string' AND m.text LIKE ?"
        cond_args.append(like_pattern(str(f.value)))
    elif op in ("iLike", "notILike"):
        cond = "m.type = 'string' AND m.text_fold LIKE ?"
        cond_args.append(like_pattern(str(f.value).lower()))
    elif op in ("regexp", "iRegexp"):
        cond = "m.pin = ANY(?)"
        cond_args.append(regexp_ids(f.key, str(f.value), op == "iRegexp"))
    else:
        cond = comparison(f, cond_args)
    if negated:
        cond = f"NOT ({cond})"
    args.append(f.key)
    args.extend(cond_args)
    return f"SELECT m.pin FROM pin_meta m WHERE m.key = ? AND {cond}"


def build(q: Query, regexp_ids: RegexpIds, *,
          scan: bool = False) -> tuple[str, list[Any], str, list[Any]]:
    """SQL for a page of pin ids (in page order) and for the total count; ``scan``: metadata
    filters tested per pin (when many match) instead of intersected id sets."""
    conds: list[str] = []
    args: list[Any] = []
    if q.cids is not None:
        conds.append("p.mh = ANY(?)" if q.cids else "FALSE")
        if q.cids:
            args.append([c.multihash for c in q.cids])
    if q.name is not None:
        if q.match == "exact":
            conds.append("p.name = ?")
            args.append(q.name)
        elif q.match == "iexact":
            conds.append("p.name_fold = ?")
            args.append(q.name.lower())
        elif q.match == "partial":
            conds.append("p.name LIKE ?")
            args.append(substring_pattern(q.name))
        else:
            conds.append("p.name_fold LIKE ?")
            args.append(substring_pattern(q.name.lower()))
    if q.status is not None:
        conds.append("p.status = ANY(?)" if q.status else "FALSE")
        if q.status:
            args.append(list(q.status))
    meta_args: list[Any] = []
    parts = [meta_condition(f, meta_args, regexp_ids) for f in q.meta] if q.meta else []
    return assemble(q, conds, args, parts, meta_args, scan=scan, count_alias=" AS matches")
