"""What the gateway app decides before it serves a request, without a web framework: the
rules of :mod:`pinfold.access` applied to one request (address, origin, path, credentials,
network of the root CID). :func:`decide` returns a :class:`Decision`; the app turns it into
a response."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..access import (
    TOKEN_HEADER,
    TOKEN_PARAM,
    AccessDenied,
    check_address,
    check_origin,
    client_address,
    parse_query_string,
    request_origin,
)
from ..access.links import PARAMS as LINK_PARAMS
from ..cid import CID
from ..errors import InvalidCIDError, PinfoldError

#: A request header longer than this is refused with 431 (uvicorn refuses a whole head
#: over 16 KiB before the app sees it).
MAX_HEADER = 8192
#: The longest query string read.
MAX_QUERY = 8192
CORS_METHODS = "GET, HEAD, OPTIONS"
CORS_HEADERS = ("Authorization, Range, If-None-Match, If-Range, Accept, Cache-Control,"
                f" Service-Worker, {TOKEN_HEADER}")
CORS_EXPOSE = ("Content-Range, Content-Length, Content-Type, Content-Disposition, Etag,"
               " X-Ipfs-Path, X-Ipfs-Roots, X-Content-Type-Options, Accept-Ranges")
#: What the API routes (pins, uploads) allow a page on another origin to send and read.
API_CORS_HEADERS = "Authorization, Content-Type"
API_CORS_EXPOSE = "Content-Length, Content-Type"
PRIVATE_CACHE = "private, no-store"


@dataclass
class Decision:
    """``status`` ``None``: serve ``path`` with ``query`` (the request's, without the
    credentials); else refuse with ``status`` and ``reason``. ``headers`` go on the response
    either way (CORS); ``private``: the response must not be cached by others."""

    status: int | None = None
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    path: str = ""
    query: list[tuple[str, str]] = field(default_factory=list)
    private: bool = False
    credentials: str = ""  # "", "link", "key" or "token"

    def refuse(self, status: int, reason: str) -> Decision:
        self.status, self.reason = status, reason
        return self


def header_list(headers: Mapping[str, str] | Sequence[tuple[str, str]], name: str) -> list[str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [v for k, v in items if k.lower() == name]


def bearer(value: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` value (``AccessDenied`` 401 for any
    other scheme); ``None`` when there is no header."""
    if value is None:
        return None
    scheme, _, cred = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not cred.strip():
        raise AccessDenied("Authorization must be 'Bearer <API key>'", 401)
    return cred.strip()


def cors_headers(rules: Any, origin: str | None, *, methods: str = CORS_METHODS,
                 allow_headers: str = CORS_HEADERS,
                 expose: str = CORS_EXPOSE) -> list[tuple[str, str]]:
    """The CORS headers of an answer to a request from ``origin``: every origin may read
    when the rules list none (``*``), else only a listed one (named, with ``Vary: Origin``)."""
    base = [("Access-Control-Allow-Methods", methods),
            ("Access-Control-Allow-Headers", allow_headers),
            ("Access-Control-Expose-Headers", expose)]
    if not rules.allow_origins:
        return [("Access-Control-Allow-Origin", "*"), *base]
    if origin is not None and origin in rules.allow_origins:
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), *base]
    return [("Vary", "Origin")]


def check_path(raw_path: bytes, path: str) -> str | None:
    """Why a request path is refused before anything else (400), or ``None``: an encoded
    ``/`` (``%2F``: it would decode into a path separator the URL did not have), a NUL, or a
    ``.``/``..`` segment (the root CID decides access, so no path may step out of it). A
    backslash is an ordinary character of a UnixFS name."""
    if b"%2f" in raw_path.lower():
        return "encoded slashes are not allowed in gateway paths"
    if "\x00" in path:
        return "NUL in path"
    for seg in path.split("/")[2:]:
        if seg in (".", ".."):
            return "'.' and '..' segments are not allowed in gateway paths"
    return None


def root_of(repo: Any, path: str) -> CID | None:
    """The root CID of ``/ipfs/<cid>/...`` (of the path an ``/ipns/`` name resolves to);
    ``None`` when there is none (the gateway function then answers the error)."""
    try:
        if path.startswith("/ipns/"):
            path = repo.ipfs_path(path)
        if not path.startswith("/ipfs/"):
            return None
        return CID(path.split("/")[2])
    except (PinfoldError, InvalidCIDError, ValueError, IndexError):
        return None


def decide(repo: Any, method: str, path: str, raw_path: bytes, query_string: str,
           headers: Mapping[str, str] | Sequence[tuple[str, str]],
           peer: str | None) -> Decision:
    """Apply the repo's gateway rules to one request (``path`` decoded, ``raw_path`` as
    received). Runs the blocking checks (SQLite): call it in a worker thread."""
    d = Decision(path=path)
    items = list(headers.items() if isinstance(headers, Mapping) else headers)
    for k, v in items:
        if len(k) + len(v) > MAX_HEADER:
            return d.refuse(431, f"request header {k[:40]} is too large")
    if len(query_string) > MAX_QUERY:
        return d.refuse(414, "query string too long")
    access = repo.access
    try:
        rules = access.rules()
        one = {k.lower(): v for k, v in items}
        origin = request_origin(one.get("origin"), one.get("referer"))
        d.headers = cors_headers(rules, origin)
        client = client_address(rules, peer, header_list(items, "x-forwarded-for"))
        check_address(rules, client)
        check_origin(rules, origin)
        if method == "OPTIONS":
            return d.refuse(204, "")
        why = check_path(raw_path, path)
        if why:
            return d.refuse(400, why)
        pairs = parse_query_string(query_string)
        d.query = [(k, v) for k, v in pairs if k not in LINK_PARAMS and k != TOKEN_PARAM]
        authorized = False
        if access.check_link(method, path, pairs):
            authorized, d.credentials = True, "link"
        key = bearer(one.get("authorization"))
        if key is not None:
            access.check_key(key, "files:read")  # one use
            authorized, d.credentials = True, "key"
        if not authorized and access.tokens_required():
            token = one.get(TOKEN_HEADER) or next(
                (v for k, v in pairs if k == TOKEN_PARAM), None)
            access.check_token(token)
            d.credentials = "token"
        root = root_of(repo, path)
        if root is not None:
            reach = repo.reach(root)
            if reach is None and rules.restricted:
                return d.refuse(404, f"{root} is not served here: no pin on this gateway"
                                     " reaches it")
            if reach == "private":
                d.private = True
                if not authorized:
                    return d.refuse(401, "private content: open it with an access link or"
                                         " an API key with files:read (Authorization:"
                                         " Bearer)")
        if authorized:
            d.private = True
    except AccessDenied as exc:
        return d.refuse(exc.status, exc.reason)
    return d


def redirect_location(location: str, query_string: str) -> str:
    """A directory redirect keeps the whole original query (the access link's parameters and
    the token too), so the link still opens the directory after the ``/`` is added."""
    base = location.split("?", 1)[0]
    return base + ("?" + query_string if query_string else "")


def redact(target: str) -> str:
    """A request target with the values of secret query parameters replaced by ``***``
    (for access logs)."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    secret = {p.lower() for p in (*LINK_PARAMS[-1:], TOKEN_PARAM)}
    out = []
    for part in query.split("&"):
        k, eq, v = part.partition("=")
        out.append(f"{k}=***" if eq and k.lower() in secret else part)
    return path + "?" + "&".join(out)


__all__ = ["Decision", "bearer", "cors_headers", "decide", "redact", "redirect_location"]
