"""Answering one gateway request: :func:`handle` turns (method, path, query, headers) into a
:class:`Response` (status, headers, lazy body). No server, no framework, no I/O besides
reading blocks."""

from __future__ import annotations

import hashlib
import html
import re
from base64 import b32encode
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode

from .. import ipld
from ..block import BlockGetter, fetch
from ..car import car_v1
from ..cid import CID, DAG_CBOR, DAG_JSON, DAG_PB, RAW
from ..codecs.dagpb import decode_name
from ..codecs.links import links_of
from ..codecs.unixfs import NodeType
from ..errors import (
    BlockNotFoundError,
    DecodeError,
    EncodeError,
    InvalidCIDError,
    InvalidOptionError,
    PathNotFoundError,
    PinfoldError,
)
from ..exporter import ByteRange, Resolved, parse_path, resolve, select
from ..exporter.files import read
from ..exporter.listing import dir_links
from ..exporter.node import Node, checked_file_size, decode
from ..exporter.paths import lookup
from ..exporter.scope import SCOPES
from ..version import __version__
from . import negotiate as ng
from .ipns import NameResolver, serve_ipns
from .sniff import SNIFF_LEN, content_type, guess_type

JSON_CODEC = 0x0200
CBOR_CODEC = 0x51

IMMUTABLE = "public, max-age=29030400, immutable"
#: Bumped when the generated directory listing changes (it is part of the listing's ETag).
LISTING_VERSION = "1"

_CODEC_FORMATS = {DAG_JSON: ng.DAG_JSON, DAG_CBOR: ng.DAG_CBOR, JSON_CODEC: ng.JSON,
                  CBOR_CODEC: ng.CBOR}
_JSONISH = {ng.DAG_JSON, ng.JSON}
# characters left as they are in paths put into headers and Location (RFC 3986 pchar + "/")
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_NON_ASCII = re.compile(r"[^\x20-\x7e]")


@dataclass
class Response:
    """What :func:`handle` answers.

    - ``status``: the HTTP status code; ``reason`` its phrase.
    - ``headers``: ``(name, value)`` pairs, each name once, every value Latin-1 safe (paths
      and file names are percent-encoded).
    - ``body``: an iterable of ``bytes`` chunks. For ``GET`` of content it is lazy: blocks
      are read while it is iterated, so iterate it while sending (a streaming response), and
      never twice. Empty for ``HEAD`` and 304; a short ``text/plain`` message for errors.
    - ``error``: set when the body stopped early because of an exception (a block missing
      or corrupt half-way through a CAR or file); the body iterator itself never raises.
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Iterable[bytes] = ()
    error: BaseException | None = None

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or ``None``."""
        key = name.lower()
        for k, v in self.headers:
            if k.lower() == key:
                return v
        return None

    def read(self) -> bytes:
        """The whole body joined (for tests and small responses)."""
        return b"".join(self.body)


def _guard(chunks: Iterable[bytes], response: Response,
           on_error: Callable[[BaseException], None] | None) -> Iterator[bytes]:
    """Iterate ``chunks``; an exception ends the iteration quietly (recorded on the
    response and passed to ``on_error``) instead of reaching the web framework after the
    status line was sent."""
    try:
        for chunk in chunks:
            if chunk:
                yield chunk
    except Exception as exc:  # noqa: BLE001 - the status is already sent: stop the stream
        response.error = exc
        if on_error is not None:
            on_error(exc)


class _Blocks:
    """The caller's block source, remembering what is read while the request is resolved
    (path blocks, the target) so the response does not read them again. :meth:`streaming`
    stops remembering: from then on a remembered block is handed out once and forgotten,
    and everything else is read through.

    The repo's read-ahead (``Repo.prefetch``) is deliberately not passed on: it is one
    queue per repo, made for one sequential reader, and a web app answers many requests at
    once from several threads."""

    def __init__(self, blocks: BlockGetter) -> None:
        self.blocks = blocks
        self.memo: dict[CID, bytes] = {}
        self.keep = True

    def get(self, cid: CID) -> bytes:
        if self.keep:
            data = self.memo.get(cid)
            if data is None:
                data = fetch(self.blocks, cid)
                self.memo[cid] = data
            return data
        data = self.memo.pop(cid, None)
        return data if data is not None else fetch(self.blocks, cid)

    def streaming(self) -> _Blocks:
        self.keep = False
        return self


def _has(blocks: Any, cid: CID) -> bool:
    if cid.is_identity:
        return True
    has = getattr(blocks, "has", None)
    if callable(has):
        return bool(has(cid))
    try:
        return blocks.get(cid) is not None
    except BlockNotFoundError:
        return False


# -- small helpers ----------------------------------------------------------------------
def _quote_path(path: str) -> str:
    return quote(path, safe=_PATH_SAFE, errors="surrogateescape")


def _disposition(kind: str, filename: str) -> str:
    """``Content-Disposition`` with an ASCII ``filename`` and, for other names, an RFC 8187
    ``filename*`` (as the path-gateway spec asks)."""
    ascii_name = _NON_ASCII.sub("_", filename).replace("\\", "_").replace('"', "_")
    value = f'{kind}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='', errors='surrogateescape')}"
    return value


def _suffix(data: str) -> str:
    return b32encode(hashlib.sha256(data.encode("utf-8", "surrogateescape")).digest()[:10]
                     ).decode().lower()


def _text(status: int, message: str, method: str,
          extra: list[tuple[str, str]] | None = None) -> Response:
    body = (message.rstrip("\n") + "\n").encode("utf-8", "replace")
    headers = [("Content-Type", "text/plain; charset=utf-8"),
               ("Content-Length", str(len(body))),
               ("X-Content-Type-Options", "nosniff")]
    headers.extend(extra or ())
    return Response(status, headers, () if method == "HEAD" else [body])


@dataclass
class _Request:
    method: str
    path: str  # as given (decoded)
    root: CID
    components: list[str]
    query: list[tuple[str, str]]
    params: dict[str, str]
    headers: dict[str, str]
    neg: ng.Negotiated
    on_error: Callable[[BaseException], None] | None

    @property
    def head(self) -> bool:
        return self.method == "HEAD"

    @property
    def clean_path(self) -> str:
        return "/".join(("/ipfs", str(self.root), *self.components))

    def common(self, etag: str, roots: list[CID]) -> list[tuple[str, str]]:
        out = [("Etag", etag), ("Cache-Control", IMMUTABLE),
               ("X-Ipfs-Path", _quote_path(self.path)),
               ("X-Ipfs-Roots", ",".join(str(c) for c in roots)), ("Vary", "Accept")]
        location = self.content_location()
        if location is not None:
            out.append(("Content-Location", location))
        return out

    def content_location(self) -> str | None:
        neg = self.neg
        if not neg.accept_shaped:
            return None
        drop = {"format", "car-version", "car-order", "car-dups"}
        pairs = [(k, v) for k, v in self.query if k not in drop]
        pairs.append(("format", neg.format))
        if neg.car is not None and neg.car.dups:
            pairs.append(("car-dups", "y"))
        return f"{_quote_path(self.path)}?{urlencode(pairs, errors='surrogateescape')}"

    def not_modified(self, headers: list[tuple[str, str]]) -> Response | None:
        etag = next(v for k, v in headers if k == "Etag")
        if ng.etag_matches(self.headers.get("if-none-match"), etag):
            return Response(304, headers)
        return None

    def error(self, status: int, message: str,
              extra: list[tuple[str, str]] | None = None) -> Response:
        return _text(status, message, self.method, extra)

    def stream(self, response: Response, chunks: Iterable[bytes]) -> Response:
        if self.head:
            # an empty iterator, not an empty sequence: frameworks measure a sequence and
            # would declare "Content-Length: 0" on a HEAD that streams (a CAR, a listing)
            response.body = iter(())
        else:
            response.body = _guard(chunks, response, self.on_error)
        return response


# -- the entry point --------------------------------------------------------------------
def handle(blocks: BlockGetter, method: str, path: str,
           query: Mapping[str, str] | Iterable[tuple[str, str]] | str | bytes | None = None,
           headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None, *,
           trustless_only: bool = False,
           on_error: Callable[[BaseException], None] | None = None,
           names: NameResolver | None = None) -> Response:
    """Answer a path/trustless-gateway request for ``/ipfs/{cid}[/{path}]``.

    - ``blocks``: a :class:`~pinfold.Repo` or anything with ``get(cid) -> bytes`` (raising
      :class:`~pinfold.errors.BlockNotFoundError`); ``has(cid)`` is used when present.
    - ``method``: ``GET`` or ``HEAD`` (anything else: 405).
    - ``path``: the URL path, already percent-decoded (Flask's ``request.path``; with
      Starlette, ``"/ipfs/"`` plus the route's path parameter): it is not decoded again, so
      a ``%`` in a file name stays a ``%``.
    - ``query``: the raw query string, or a mapping / multi-mapping of decoded values.
    - ``headers``: the request headers (any case; repeated names are joined).
    - ``trustless_only``: refuse deserialized responses (406; 400 when neither ``Accept``
      nor ``?format=`` is given), as a strict trustless gateway does.
    - ``on_error``: called with the exception when a streaming body stops early.
    - ``names``: a :class:`pinfold.ipns.Names`: ``/ipns/{name}[/path]`` is answered from its
      records (see :mod:`pinfold.gateway.ipns`). By default a :class:`~pinfold.Repo`'s own
      (``blocks.names``); with neither, 501.

    Unexpected exceptions from ``blocks`` (an I/O error before the response starts)
    propagate, for the framework to log and turn into a 500.
    """
    method = method.upper()
    if method not in ("GET", "HEAD"):
        return _text(405, f"method {method} not allowed: read-only gateway", method,
                     [("Allow", "GET, HEAD")])
    hdrs = ng.normalize_headers(headers)
    pairs = ng.normalize_query(query)
    params = ng.first_values(pairs)
    try:
        ng.check_text(path, "path")
        for name, value in pairs:
            ng.check_text(name, "query parameter name")
            ng.check_text(value, f"query parameter {name}")
    except ng.RequestError as exc:
        return _text(exc.status, exc.message, method)
    if names is None and path.startswith("/ipns/"):
        names = getattr(blocks, "names", None)  # a Repo answers from its own records
    if path.startswith("/ipns/") and names is not None:
        return serve_ipns(
            names, method, path, params, hdrs, error=lambda s, m: _text(s, m, method),
            respond=lambda s, h, b: Response(s, h, [b] if b and method == "GET" else ()),
            forward=lambda p: handle(blocks, method, p, query, headers,
                                     trustless_only=trustless_only, on_error=on_error))
    if path.startswith("/ipns/"):
        return _text(501, "/ipns/ paths are not supported: resolve the name to an /ipfs/"
                          " path first", method)
    if not path.startswith("/ipfs/"):
        return _text(400, f"not a gateway path: {path!r}; expected /ipfs/{{cid}}[/{{path}}]",
                     method)
    try:
        root, components = parse_path(path)
    except InvalidCIDError as exc:
        return _text(400, f"invalid CID in {path!r}: {exc}", method)
    except PathNotFoundError as exc:
        return _text(400, str(exc), method)
    try:
        neg = ng.negotiate(hdrs.get("accept"), params)
    except ng.RequestError as exc:
        return _text(exc.status, exc.message, method)
    req = _Request(method, path, root, components, pairs, params, hdrs, neg, on_error)

    trustless = neg.format in (ng.RAW, ng.CAR)
    if trustless_only and not trustless:
        if not neg.explicit and "accept" not in hdrs:
            return req.error(400, "this is a trustless gateway: ask for"
                                  " application/vnd.ipld.raw or application/vnd.ipld.car"
                                  " (Accept header or ?format=raw|car)")
        return req.error(406, "only trustless responses (application/vnd.ipld.raw,"
                              " application/vnd.ipld.car) are served here")
    if neg.format == ng.RAW and components:
        return req.error(400, "a raw block is requested by CID alone: /ipfs/{cid} takes no"
                              " path (ask for a CAR to verify a path)")
    if (not trustless and hdrs.get("service-worker", "").lower() == "script"
            and not components and not path.endswith("/")):
        return req.error(400, "navigator.serviceWorker: registration is not allowed for this"
                              " scope")
    cache_control = {t.strip().lower() for t in hdrs.get("cache-control", "").split(",")}
    if "only-if-cached" in cache_control and not _has(blocks, root):
        return req.error(412, f"{root} is not in the local blockstore (only-if-cached)")
    if neg.format == ng.RAW:
        return _serve_raw(req, blocks)
    if neg.format == ng.CAR:
        return _serve_car(req, blocks)
    return _serve_deserialized(req, blocks)


def _failure(req: _Request, exc: PinfoldError) -> Response:
    """The response for an error raised before anything is sent."""
    if isinstance(exc, PathNotFoundError):
        return req.error(404, str(exc))
    if isinstance(exc, BlockNotFoundError):
        return req.error(404, f"{exc} (under {req.clean_path})")
    if isinstance(exc, InvalidCIDError | InvalidOptionError):
        return req.error(400, str(exc))
    if isinstance(exc, EncodeError):  # a sound block this gateway cannot convert as asked
        return req.error(501, f"cannot serve {req.clean_path} as asked: {exc}")
    return req.error(500, f"cannot serve {req.clean_path}: {exc}")


class _NotImplemented(PinfoldError):
    pass


def _resolve(req: _Request, cache: _Blocks) -> tuple[Resolved, list[CID]]:
    """Resolve the path one component at a time: the final :class:`Resolved` and the
    logical root of each path segment (``X-Ipfs-Roots``). Pathing through anything but
    UnixFS (a DAG-CBOR map, say) is not implemented (501)."""
    roots = [req.root]
    resolved = Resolved(req.root, req.root, (), str(req.root), ())
    for i in range(len(req.components)):
        here = resolved.cid
        if here.codec_code not in (DAG_PB, RAW):
            raise _NotImplemented(
                f"cannot resolve {req.clean_path}: pathing into {here.codec} data is not"
                " supported (only UnixFS directories)")
        prefix = "/".join(("/ipfs", str(req.root), *req.components[: i + 1]))
        resolved = resolve(cache, prefix)
        roots.append(resolved.cid)
    return resolved, roots


def _load_target(req: _Request, blocks: BlockGetter
                 ) -> tuple[_Blocks, Resolved, list[CID], bytes] | Response:
    cache = _Blocks(blocks)
    try:
        resolved, roots = _resolve(req, cache)
        data = cache.get(resolved.cid)
    except _NotImplemented as exc:
        return req.error(501, str(exc))
    except PinfoldError as exc:
        return _failure(req, exc)
    return cache, resolved, roots, data


# -- application/vnd.ipld.raw -----------------------------------------------------------
def _serve_raw(req: _Request, blocks: BlockGetter) -> Response:
    cid = req.root
    try:
        data = fetch(blocks, cid)  # one block: read (and verified) before a 304 or HEAD
    except PinfoldError as exc:
        return _failure(req, exc)
    etag = f'"{cid}.raw"'
    headers = req.common(etag, [cid])
    hit = req.not_modified(headers)
    if hit is not None:
        return hit
    name = req.params.get("filename") or f"{cid}.bin"
    headers += [("Content-Type", ng.MEDIA_TYPES[ng.RAW]),
                ("Content-Disposition", _disposition("attachment", name)),
                ("X-Content-Type-Options", "nosniff")]
    return _ranged(req, headers, etag, len(data), lambda lo, hi: [data[lo:hi]])


# -- application/vnd.ipld.car -----------------------------------------------------------
def _car_etag(req: _Request, scope: str, rng: ByteRange | None, dups: bool) -> str:
    key = [req.clean_path, scope]
    if rng is not None and (rng.start, rng.end) != (0, None):
        key.append(str(rng))
    key.append("dups=y" if dups else "dups=n")
    return f'"{req.root}.car.{_suffix(chr(0).join(key))}"'


def _outside(rng: ByteRange, size: int) -> bool:
    """Whether ``rng`` lies entirely outside a non-empty file of ``size`` bytes (before its
    start or after its end); empty or inverted ranges inside it are not outside."""
    if size == 0:
        return False
    lo = rng.start if rng.start >= 0 else size + rng.start
    if rng.end is None:
        hi = size
    else:
        hi = rng.end + 1 if rng.end >= 0 else size + rng.end + 1
    return lo >= size or hi <= 0


def _serve_car(req: _Request, blocks: BlockGetter) -> Response:
    car = req.neg.car
    assert car is not None
    scope = req.params.get("dag-scope", "all")
    if scope not in SCOPES:
        return req.error(400, f"invalid dag-scope {scope!r}: use block, entity or all")
    rng: ByteRange | None = None
    if "entity-bytes" in req.params:
        try:
            rng = ByteRange.parse(req.params["entity-bytes"])
        except InvalidOptionError as exc:
            return req.error(400, str(exc))
        scope = "entity"
    etag = _car_etag(req, scope, rng, car.dups)
    # If-None-Match is answered after the lookup: a 304 must not hide a 404
    loaded = _load_target(req, blocks)
    if isinstance(loaded, Response):
        return loaded
    cache, resolved, roots, data = loaded
    headers = req.common(etag, roots)
    hit = req.not_modified(headers)
    if hit is not None:
        return hit
    target = resolved.cid
    if rng is not None and target.codec_code in (DAG_PB, RAW):
        try:
            node = decode(target, data)
            size = checked_file_size(node) if node.is_file else None
        except DecodeError as exc:
            return _failure(req, exc)
        if size is not None and _outside(rng, size):
            return req.error(400, f"entity-bytes={rng} is entirely outside {req.clean_path}"
                                  f" ({size} bytes)")
    name = req.params.get("filename") or f"{req.root}.car"
    dups = "y" if car.dups else "n"
    headers += [("Content-Type", f"{ng.MEDIA_TYPES[ng.CAR]}; version=1; order=dfs; dups={dups}"),
                ("Content-Disposition", _disposition("attachment", name)),
                ("X-Content-Type-Options", "nosniff"),
                ("Accept-Ranges", "none")]
    response = Response(200, headers)
    if req.head:
        return req.stream(response, ())

    def chunks() -> Iterator[bytes]:
        picked = select(cache.streaming(), resolved.path, scope=scope, entity_bytes=rng,
                        dups=car.dups, resolved=resolved)
        yield from car_v1([resolved.root], picked)

    return req.stream(response, chunks())


# -- deserialized responses -------------------------------------------------------------
def _serve_deserialized(req: _Request, blocks: BlockGetter) -> Response:
    loaded = _load_target(req, blocks)
    if isinstance(loaded, Response):
        return loaded
    cache, resolved, roots, data = loaded
    target = resolved.cid
    codec = target.codec_code
    try:
        if codec in _CODEC_FORMATS:
            return _serve_codec(req, target, data, roots)
        if codec not in (DAG_PB, RAW):
            return req.error(501, f"{req.clean_path} is a {target.codec} block: only UnixFS,"
                                  " DAG-JSON and DAG-CBOR have a deserialized response"
                                  " (ask for ?format=raw or ?format=car)")
        if req.neg.format in (ng.DAG_JSON, ng.DAG_CBOR):
            return _serve_codec(req, target, data, roots)  # the DAG-PB data model
        node = decode(target, data)
        if node.is_file:
            name = resolved.components[-1] if resolved.components else None
            return _serve_file(req, cache, node, name, f'"{target}"', roots)
        if node.is_dir:
            return _serve_dir(req, cache, node, roots)
        assert node.fs is not None
        if node.fs.type == NodeType.SYMLINK:
            target_bytes = node.fs.data or b""
            etag = f'"{target}"'
            headers = req.common(etag, roots)
            hit = req.not_modified(headers)
            if hit is not None:
                return hit
            headers += [("Content-Type", "inode/symlink"),
                        ("Content-Length", str(len(target_bytes)))]
            return req.stream(Response(200, headers), [target_bytes])
        return req.error(501, f"{req.clean_path} is a UnixFS {node.kind} node: nothing to"
                              " serve (ask for ?format=raw or ?format=car)")
    except PinfoldError as exc:
        return _failure(req, exc)


def _ranged(req: _Request, headers: list[tuple[str, str]], etag: str, size: int,
            body: Callable[[int, int], Iterable[bytes]]) -> Response:
    """A response that honours a single ``Range`` (206 / 416), else the whole thing."""
    headers.append(("Accept-Ranges", "bytes"))
    wanted = ng.parse_range(req.headers.get("range"), size)
    if_range = req.headers.get("if-range")
    if wanted is not None and if_range is not None and if_range.strip() != etag:
        wanted = None  # the client's copy is another version (or a date): send it all
    if wanted == ng.UNSATISFIABLE:
        return req.error(416, f"range not satisfiable: the content has {size} bytes",
                         [("Content-Range", f"bytes */{size}"), ("Accept-Ranges", "bytes")])
    if isinstance(wanted, tuple):
        lo, hi = wanted
        headers += [("Content-Range", f"bytes {lo}-{hi - 1}/{size}"),
                    ("Content-Length", str(hi - lo))]
        return req.stream(Response(206, headers), body(lo, hi))
    headers.append(("Content-Length", str(size)))
    return req.stream(Response(200, headers), body(0, size))


def _disposition_param(req: _Request) -> tuple[str, str] | None:
    filename = req.params.get("filename")
    if not filename:
        return None
    kind = "attachment" if req.params.get("download") == "true" else "inline"
    return ("Content-Disposition", _disposition(kind, filename))


def _serve_file(req: _Request, cache: _Blocks, node: Node, name: str | None, etag: str,
                roots: list[CID]) -> Response:
    size = checked_file_size(node)
    headers = req.common(etag, roots)
    hit = req.not_modified(headers)
    if hit is not None:
        return hit
    name = req.params.get("filename") or name
    head = None
    if guess_type(name) is None:
        head = b"".join(read(cache, node, 0, min(size, SNIFF_LEN)))
    headers.append(("Content-Type", content_type(name, head)))
    disposition = _disposition_param(req)
    if disposition is not None:
        headers.append(disposition)
    return _ranged(req, headers, etag, size,
                   lambda lo, hi: read(cache.streaming(), node, lo, hi))


def _serve_dir(req: _Request, cache: _Blocks, node: Node, roots: list[CID]) -> Response:
    if not req.path.endswith("/"):
        location = _quote_path(req.path) + "/"
        if req.query:
            location += "?" + urlencode(req.query, errors="surrogateescape")
        return req.error(301, f"moved to {location}", [("Location", location)])
    index = lookup(cache, node, "index.html")
    if index is not None:
        idx = decode(index.cid, cache.get(index.cid))
        if idx.is_file:
            return _serve_file(req, cache, idx, "index.html", f'"{index.cid}"', roots)
    etag = f'"DirIndex-pinfold-{__version__}-{LISTING_VERSION}_CID-{node.cid}"'
    headers = req.common(etag, roots)
    hit = req.not_modified(headers)
    if hit is not None:
        return hit
    entries = sorted(dir_links(cache, node), key=lambda item: item[0])
    headers.append(("Content-Type", "text/html; charset=utf-8"))
    return req.stream(Response(200, headers), _listing(req, node, entries))


def _listing(req: _Request, node: Node, entries: list) -> Iterator[bytes]:
    """A minimal HTML index: every name escaped for HTML, every link percent-encoded and
    relative (``./name``), so no name can inject markup or become a URL scheme."""
    def esc(text: str) -> str:
        return html.escape(text.encode("utf-8", "replace").decode("utf-8"), quote=True)

    title = esc(req.clean_path + "/")
    yield (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>Index of {title}</title>\n</head>\n<body>\n"
        f"<h1>Index of {title}</h1>\n<p>{esc(str(node.cid))}</p>\n<table>\n"
        "<tr><th>Name</th><th>CID</th><th>Size</th></tr>\n"
    ).encode()
    if req.components:
        yield b'<tr><td><a href="../">..</a></td><td></td><td></td></tr>\n'
    rows: list[str] = []
    for name_bytes, link in entries:
        text = esc(decode_name(name_bytes))
        href = "./" + quote(name_bytes, safe="")
        rows.append(f'<tr><td><a href="{href}">{text}</a></td><td>{esc(str(link.cid))}</td>'
                    f"<td>{int(link.tsize or 0)}</td></tr>\n")
        if len(rows) >= 256:
            yield "".join(rows).encode()
            rows = []
    rows.append("</table>\n</body>\n</html>\n")
    yield "".join(rows).encode()


# -- DAG-JSON / DAG-CBOR ----------------------------------------------------------------
_CONTENT_TYPES = {fmt: ng.MEDIA_TYPES[fmt] for fmt in (ng.JSON, ng.CBOR, ng.DAG_JSON,
                                                       ng.DAG_CBOR)}


def _serve_codec(req: _Request, cid: CID, data: bytes, roots: list[CID]) -> Response:
    """A DAG-JSON, DAG-CBOR, JSON or CBOR block: as it is (with its codec's content type)
    when the requested format is of the same family, else converted between DAG-JSON and
    DAG-CBOR through :mod:`pinfold.ipld`. A DAG-PB or raw block asked for
    as ``dag-json``/``dag-cbor`` is converted from its IPLD data-model form."""
    native = _CODEC_FORMATS.get(cid.codec_code, "")
    want = req.neg.format or native
    if not native or codec_family(want) != codec_family(native):
        data = _convert(cid, data, want)
    elif cid.codec_code in (DAG_JSON, DAG_CBOR):
        try:
            links_of(cid, data)  # the spec: validate before returning it as it is
        except PinfoldError as exc:
            return req.error(500, f"{cid} is not valid {native}: {exc}")
    etag = f'"{cid}.{want}"'
    headers = req.common(etag, roots)
    hit = req.not_modified(headers)
    if hit is not None:
        return hit
    headers.append(("Content-Type", _CONTENT_TYPES[want]))
    disposition = _disposition_param(req)
    if disposition is None:
        if want in _JSONISH:
            disposition = ("Content-Disposition", _disposition("inline", f"{cid}.json"))
        else:
            disposition = ("Content-Disposition", _disposition("attachment", f"{cid}.cbor"))
    headers.append(disposition)
    return _ranged(req, headers, etag, len(data), lambda lo, hi: [data[lo:hi]])


def codec_family(fmt: str) -> str:
    return "json" if fmt in _JSONISH else "cbor"


def _convert(cid: CID, data: bytes, target: str) -> bytes:
    """The block of ``cid`` re-encoded as DAG-JSON or DAG-CBOR through :mod:`pinfold.ipld`
    (its data-model value: links stay links). Bytes that do not decode raise
    :class:`~pinfold.errors.DecodeError` (a 500)."""
    value = ipld.decode_block(cid, data)
    if target in _JSONISH:  # as Kubo prints it, reserved-looking maps from CBOR included
        return ipld.to_dag_json_text(value).encode()
    return ipld.encode(value, "dag-cbor")
