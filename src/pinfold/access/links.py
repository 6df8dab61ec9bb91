"""Signed access links, as Pinata's private-file links are made: a URL for
``/ipfs/<cid>[/sub/path]`` with the query parameters ``X-Algorithm``, ``X-Date`` (unix
seconds), ``X-Expires`` (seconds after ``X-Date``), ``X-Method`` and ``X-Signature``.

The signature is HMAC-SHA256 (``cryptography``) under the repo's link secret, hex-encoded,
over the string::

    PINFOLD1-HMAC-SHA256 \\n METHOD \\n /ipfs/<cid>[/sub/path] \\n X-Date \\n X-Expires \\n query

where the path is the decoded path without a trailing ``/`` (so a directory's link opens it
with and without the slash) and ``query`` is every other query parameter of the link,
sorted and percent-encoded (so ``?format=car`` cannot be added to a link that did not have
it). The gateway token parameter is not signed. Verification compares in constant time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from ..cid import CID
from ..errors import InvalidCIDError
from .errors import AccessDenied, AccessError

ALGORITHM = "PINFOLD1-HMAC-SHA256"
PARAMS = ("X-Algorithm", "X-Date", "X-Expires", "X-Method", "X-Signature")
METHODS = ("GET", "HEAD")
#: How far in the future ``X-Date`` may be (clocks of two hosts differ a little).
CLOCK_SKEW = 60
#: The query parameter of gateway tokens: never signed, never passed on.
TOKEN_PARAM = "pinfoldGatewayToken"
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_MAX_INT_DIGITS = 12


@dataclass(frozen=True)
class LinkParams:
    """The ``X-*`` parameters of a presented link (``signature`` as given, hex)."""

    algorithm: str
    date: int
    expires: int
    method: str
    signature: str

    def __repr__(self) -> str:  # the signature is a bearer credential: never shown
        return (f"LinkParams(algorithm={self.algorithm!r}, date={self.date},"
                f" expires={self.expires}, method={self.method!r})")


def canonical_path(path: str) -> str:
    """``/ipfs/<cid>[/sub/path]`` from ``<cid>[/...]``, ``/ipfs/<cid>[/...]`` or
    ``ipfs://<cid>[/...]``, decoded, without a trailing ``/``; refuses a bad CID and empty,
    ``.`` and ``..`` segments."""
    if not isinstance(path, str) or not path or len(path) > 4096:
        raise AccessError("an access link is for a path /ipfs/<cid>[/sub/path]")
    p = path
    if p.startswith("ipfs://"):
        p = p[len("ipfs://"):]
    elif p.startswith("/ipfs/"):
        p = p[len("/ipfs/"):]
    elif p.startswith("/"):
        raise AccessError(f"not an /ipfs/ path: {path[:80]!r}")
    segments = p.rstrip("/").split("/")
    try:
        CID(segments[0])
    except (InvalidCIDError, ValueError, TypeError):
        raise AccessError(f"invalid CID {segments[0][:80]!r} in access link path") from None
    for seg in segments[1:]:
        if seg in ("", ".", ".."):
            raise AccessError(f"access link path {path[:80]!r} has an empty, '.' or '..'"
                              " segment")
    return "/ipfs/" + "/".join(segments)


def _canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    rest = sorted((k, v) for k, v in pairs if k not in PARAMS and k != TOKEN_PARAM)
    return urlencode(rest, quote_via=quote)


def string_to_sign(method: str, path: str, date: int, expires: int,
                   query: Iterable[tuple[str, str]] = ()) -> bytes:
    return "\n".join([ALGORITHM, method, path, str(date), str(expires),
                      _canonical_query(query)]).encode("utf-8", "surrogatepass")


def _mac(secret: bytes) -> hmac.HMAC:
    return hmac.HMAC(secret, hashes.SHA256())


def signature(secret: bytes, method: str, path: str, date: int, expires: int,
              query: Iterable[tuple[str, str]] = ()) -> str:
    h = _mac(secret)
    h.update(string_to_sign(method, path, date, expires, query))
    return h.finalize().hex()


def make_link(secret: bytes, path: str, expires: int, *, method: str = "GET",
              base_url: str = "", date: int | None = None,
              query: Sequence[tuple[str, str]] = ()) -> str:
    """The URL of an access link (relative, ``/ipfs/...?...``, unless ``base_url``)."""
    method = check_method(method)
    cpath = canonical_path(path)
    if path.endswith("/"):
        cpath_url = cpath + "/"
    else:
        cpath_url = cpath
    if not isinstance(expires, int) or isinstance(expires, bool) or expires < 1:
        raise AccessError("an access link's expiry is a positive number of seconds")
    date = int(time.time()) if date is None else int(date)
    query = [(str(k), str(v)) for k, v in query]
    for k, _ in query:
        if k in PARAMS or k == TOKEN_PARAM:
            raise AccessError(f"query parameter {k} is reserved for access links")
    sig = signature(secret, method, cpath, date, expires, query)
    params = list(query) + [("X-Algorithm", ALGORITHM), ("X-Date", str(date)),
                            ("X-Expires", str(expires)), ("X-Method", method),
                            ("X-Signature", sig)]
    return (base_url.rstrip("/") + quote(cpath_url, safe=_PATH_SAFE) + "?"
            + urlencode(params, quote_via=quote))


def check_method(method: str) -> str:
    m = method.upper() if isinstance(method, str) else ""
    if m not in METHODS:
        raise AccessError(f"an access link is for GET or HEAD, not {str(method)[:20]!r}")
    return m


def _int(name: str, text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_INT_DIGITS:
        raise AccessDenied(f"access link: {name} is not a whole number of seconds")
    if text != str(int(text)):  # one spelling per link: no leading zeros
        raise AccessDenied(f"access link: {name} has leading zeros")
    return int(text)


def parse_query(pairs: Iterable[tuple[str, str]]) -> tuple[LinkParams | None,
                                                             list[tuple[str, str]]]:
    """Split decoded query pairs into the link's ``X-*`` parameters (``None`` when the
    request has none of them) and the others. A link missing one of them, or repeating
    one, is refused (:class:`AccessDenied`, 403)."""
    found: dict[str, str] = {}
    rest: list[tuple[str, str]] = []
    for k, v in pairs:
        if k in PARAMS:
            if k in found:
                raise AccessDenied(f"access link: {k} is given twice")
            found[k] = v
        else:
            rest.append((k, v))
    if not found:
        return None, rest
    missing = [p for p in PARAMS if p not in found]
    if missing:
        raise AccessDenied(f"access link: missing {', '.join(missing)}")
    return LinkParams(found["X-Algorithm"], _int("X-Date", found["X-Date"]),
                      _int("X-Expires", found["X-Expires"]), found["X-Method"],
                      found["X-Signature"]), rest


def parse_query_string(query: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs of a raw query string (``+`` is a space)."""
    out = []
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out.append((unquote(k.replace("+", " "), errors="replace"),
                    unquote(v.replace("+", " "), errors="replace")))
    return out


def verify(secrets: Iterable[bytes], method: str, path: str, link: LinkParams,
           query: Iterable[tuple[str, str]] = (), *, now: float | None = None,
           skew: int = CLOCK_SKEW) -> None:
    """Check a presented link for a request (``path`` decoded, as the request has it);
    raise :class:`AccessDenied` (403) with the reason if it does not open it."""
    if link.algorithm != ALGORITHM:
        raise AccessDenied(f"access link: unknown X-Algorithm (expected {ALGORITHM})")
    # one spelling per link: X-Method as issued (upper case), the signature in lower-case hex
    # (what make_link writes), so an edited link text never opens what the issued one does
    if link.method != method.upper():
        raise AccessDenied("access link: made for another method")
    now = time.time() if now is None else now
    if link.date > now + skew:
        raise AccessDenied("access link: X-Date is in the future")
    if now > link.date + link.expires:
        raise AccessDenied("access link: expired")
    sig = link.signature
    if len(sig) != 64 or not all(c in "0123456789abcdef" for c in sig):
        raise AccessDenied("access link: malformed X-Signature (64 lower-case hex digits)")
    try:
        cpath = canonical_path(path)
    except AccessError:
        raise AccessDenied("access link: not a path an access link opens") from None
    message = string_to_sign(link.method, cpath, link.date, link.expires, query)
    given = bytes.fromhex(sig)
    for secret in secrets:
        h = _mac(secret)
        h.update(message)
        try:
            h.verify(given)  # constant time
            return
        except InvalidSignature:
            continue
    raise AccessDenied("access link: signature does not match (another path or query, a"
                       " changed parameter, or a link made before the secret was rotated)")
