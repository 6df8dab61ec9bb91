"""``GET /pins``: the spec's filters, from query parameters to a pin query.

Every filter of the spec (v1.0.0) is taken:

- ``cid``: one to ten CIDs, comma-separated (``?cid=Qm1,bafy2``, the spec's
  ``explode: false``; repeating the parameter, as clients of earlier drafts do, also works);
  a pin matches when its CID has one of their multihashes (a CIDv0 finds its CIDv1).
- ``name`` (at most 255 characters) with ``match``: ``exact`` (the default, case-sensitive),
  ``iexact``, ``partial``, ``ipartial``.
- ``status``: comma-separated statuses; absent, only ``pinned`` pins are listed.
- ``before`` / ``after``: RFC 3339 times (nanoseconds kept), strictly before / after
  ``created``.
- ``limit``: 1 to 1000, default 10. Results are newest first; ``count`` is every match.
- ``meta``: a JSON object of strings; a pin matches when it has each key with that value
  (extra keys allowed).

Anything malformed, and any other parameter (a misspelt filter would otherwise be ignored and
list everything), is a ``400 BAD_REQUEST`` naming the parameter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..cid import CID
from ..errors import PinfoldError
from ..numbers import parse_int
from ..pins.meta import MetaFilter
from ..pins.query import MATCHES, STATUSES, Query, to_ns
from .errors import bad_request
from .mapping import parse_meta

MAX_CIDS = 10
MAX_LIMIT = 1000
DEFAULT_LIMIT = 10
MAX_NAME_CHARS = 255
MAX_PARAM_CHARS = 64 * 1024

_SINGLE = ("name", "match", "before", "after", "limit", "meta")
_KNOWN = ("cid", "name", "match", "status", "before", "after", "limit", "meta")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def parse_time_param(text: str, param: str) -> int:
    """An RFC 3339 ``date-time`` as ns since the epoch."""
    if not _RFC3339.match(text):
        raise bad_request(f"{param} must be an RFC 3339 date-time such as"
                          f" 2020-07-27T17:32:28Z, not {text[:40]!r}")
    try:
        return to_ns(text.upper())
    except PinfoldError as exc:
        raise bad_request(f"{param}: {exc}") from None


def parse_list(pairs: Iterable[tuple[str, str]]) -> Query:
    """The query that ``GET /pins?…`` asks for (``pairs``: the decoded query parameters)."""
    seen: dict[str, list[str]] = {}
    for key, value in pairs:
        if key not in _KNOWN:
            raise bad_request(f"unknown query parameter {key[:40]!r} (GET /pins takes"
                              f" {', '.join(_KNOWN)})")
        if len(value) > MAX_PARAM_CHARS:
            raise bad_request(f"query parameter {key[:40]!r} is too long")
        seen.setdefault(key, []).append(value)
    for key in _SINGLE:
        if len(seen.get(key, ())) > 1:
            raise bad_request(f"query parameter {key!r} is given more than once")
    one = {k: v[0] for k, v in seen.items() if k in _SINGLE}
    q = Query(status=["pinned"], limit=DEFAULT_LIMIT)

    if "cid" in seen:
        texts = [t for v in seen["cid"] for t in v.split(",")]
        if not texts or any(not t for t in texts):
            raise bad_request("cid is a comma-separated list of CIDs")
        if len(texts) > MAX_CIDS:
            raise bad_request(f"cid takes at most {MAX_CIDS} CIDs")
        if len(set(texts)) != len(texts):  # the spec's uniqueItems
            raise bad_request("cid lists a CID more than once")
        cids = []
        for t in texts:
            try:
                cids.append(CID(t))
            except PinfoldError as exc:
                raise bad_request(f"cid {t[:80]!r} is not a CID: {exc}") from None
        q.cids = cids
    if "name" in one:
        name = one["name"]
        if len(name) > MAX_NAME_CHARS:
            raise bad_request(f"name is longer than {MAX_NAME_CHARS} characters")
        q.name = name
    if "match" in one:
        if one["match"] not in MATCHES:
            raise bad_request(f"match must be one of {', '.join(MATCHES)}")
        q.match = one["match"]
    if "status" in seen:
        statuses = [s for v in seen["status"] for s in v.split(",")]
        bad = [s for s in statuses if s not in STATUSES]
        if not statuses or bad:
            raise bad_request(f"status is a comma-separated list of {', '.join(STATUSES)}")
        if len(set(statuses)) != len(statuses):  # the spec's uniqueItems
            raise bad_request("status lists a status more than once")
        q.status = list(dict.fromkeys(statuses))
    if "before" in one:
        q.before = parse_time_param(one["before"], "before")
    if "after" in one:
        q.after = parse_time_param(one["after"], "after")
    if "limit" in one:
        try:
            q.limit = parse_int(one["limit"], "limit", minimum=1, maximum=MAX_LIMIT)
        except PinfoldError as exc:
            raise bad_request(str(exc)) from None
    if "meta" in one:
        q.meta = meta_filters(one["meta"])
    return q


def meta_filters(text: str) -> list[MetaFilter]:
    try:
        value: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise bad_request("meta must be a JSON object of strings") from None
    if not isinstance(value, dict):  # null too: the spec's meta filter is an object
        raise bad_request("meta must be a JSON object of strings")
    meta = parse_meta(value, "meta")
    try:
        return [MetaFilter(k, "eq", v) for k, v in meta.items()]
    except PinfoldError as exc:
        raise bad_request(f"meta: {exc}") from None
