"""Request parsing for the gateway: the response format (``?format=`` and ``Accept``), the CAR
content-type parameters, ``Range``, ``If-None-Match`` and the query string."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ..numbers import NumberError, parse_int

# Response formats, by their ``?format=`` names ("" is the implicit, deserialized one).
DEFAULT = ""
RAW = "raw"
CAR = "car"
JSON = "json"
CBOR = "cbor"
DAG_JSON = "dag-json"
DAG_CBOR = "dag-cbor"

MEDIA_TYPES = {
    RAW: "application/vnd.ipld.raw",
    CAR: "application/vnd.ipld.car",
    JSON: "application/json",
    CBOR: "application/cbor",
    DAG_JSON: "application/vnd.ipld.dag-json",
    DAG_CBOR: "application/vnd.ipld.dag-cbor",
}
_FORMAT_OF = {media: fmt for fmt, media in MEDIA_TYPES.items()}
#: formats the path-gateway spec names that this library does not produce
UNSUPPORTED_FORMATS = {
    "tar": "application/x-tar",
    "ipns-record": "application/vnd.ipfs.ipns-record",
}
_UNSUPPORTED_MEDIA = set(UNSUPPORTED_FORMATS.values())

CAR_VERSIONS = ("", "1")
CAR_ORDERS = ("", "dfs", "unk")
CAR_DUPS = ("", "y", "n")


class RequestError(Exception):
    """A request this library refuses: ``status`` (400, 406, ...) and a short message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- headers and query ------------------------------------------------------------------
def normalize_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
                      ) -> dict[str, str]:
    """Lower-cased names; a header given several times is joined with ``", "`` (RFC 9110)."""
    out: dict[str, str] = {}
    if headers is None:
        return out
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:  # type: ignore[union-attr]
        key = str(name).lower()
        value = str(value)
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def normalize_query(query: Mapping[str, str] | Iterable[tuple[str, str]] | str | bytes | None
                    ) -> list[tuple[str, str]]:
    """The query as ordered ``(name, value)`` pairs, from a raw (undecoded) query string, a
    mapping (Flask's ``request.args``, a dict) or a multi-mapping (Starlette's
    ``request.query_params``: every value is kept)."""
    if query is None:
        return []
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    if isinstance(query, str):
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    multi = getattr(query, "multi_items", None)
    if callable(multi):
        return [(str(k), str(v)) for k, v in multi()]
    items = query.items() if hasattr(query, "items") else query
    return [(str(k), str(v)) for k, v in items]  # type: ignore[union-attr]


def check_text(value: str, what: str) -> str:
    """``value`` if it is text a UnixFS name and a percent-encoded header can carry: any
    Unicode, undecodable bytes included as the surrogate escapes (U+DC80-U+DCFF) that
    ``os.fsdecode`` and frameworks produce for them. Any other lone surrogate names no
    bytes at all: :class:`RequestError` 400. The path and every query name and value pass
    here before they are used as names or put into headers."""
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise RequestError(
            400, f"invalid {what}: {value[exc.start]!r} at position {exc.start} is a lone"
                 " surrogate, which is not text and names no bytes (send UTF-8, percent-"
                 "encoded)") from None
    return value


def first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


# -- Accept -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header."""

    type: str  # lower-cased "type/subtype"
    params: dict[str, str] = field(default_factory=dict)  # lower-cased names, q removed
    q: float = 1.0
    index: int = 0


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_accept(value: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header, in header order. Malformed elements (no
    ``/``, a ``q`` that is not a number from 0 to 1) are dropped."""
    ranges: list[MediaRange] = []
    if not value:
        return ranges
    for index, element in enumerate(_split(value, ",")):
        pieces = _split(element, ";")
        mtype = pieces[0].strip().lower()
        if "/" not in mtype:
            continue
        params: dict[str, str] = {}
        q = 1.0
        ok = True
        for piece in pieces[1:]:
            name, eq, val = piece.partition("=")
            name = name.strip().lower()
            if not name or not eq:
                continue
            val = val.strip()
            if len(val) >= 2 and val[0] == val[-1] == '"':
                val = val[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if name == "q":
                try:
                    q = float(val)
                except ValueError:
                    ok = False
                    break
                if not 0.0 <= q <= 1.0:
                    ok = False
                    break
            else:
                params[name] = val
        if ok:
            ranges.append(MediaRange(mtype, params, q, index))
    return ranges


# -- the response format ----------------------------------------------------------------
@dataclass(frozen=True)
class CarParams:
    """The CAR variant to send: always version 1 and depth-first order here."""

    dups: bool = False  # dups=y
    order_requested: str = ""  # what the client asked ("", "dfs", "unk")


@dataclass(frozen=True)
class Negotiated:
    """The outcome of format negotiation.

    - ``format``: ``""`` (deserialized), ``raw``, ``car``, ``json``, ``cbor``, ``dag-json``,
      ``dag-cbor``.
    - ``explicit``: the format came from ``?format=`` (else from ``Accept``, or the default).
    - ``car``: the CAR parameters (CAR only).
    - ``accept_shaped``: ``Accept`` decided something the URL does not say (the format, or
      a CAR parameter): the response then names its exact URL in ``Content-Location``.
    """

    format: str
    explicit: bool = False
    car: CarParams | None = None
    accept_shaped: bool = False


def _is_vendor(mtype: str) -> bool:
    return mtype.startswith(("application/vnd.ipld.", "application/vnd.ipfs."))


def _car_ok(params: Mapping[str, str]) -> bool:
    return (params.get("version", "") in CAR_VERSIONS
            and params.get("order", "").lower() in CAR_ORDERS
            and params.get("dups", "").lower() in CAR_DUPS)


def negotiate(accept: str | None, query: Mapping[str, str]) -> Negotiated:
    """Choose the response format.

    ``?format=`` wins over ``Accept``. Otherwise the ``Accept`` element with the highest
    ``q`` that can be served is chosen; on equal ``q`` a verifiable or codec type
    (``application/vnd.ipld.*``, ``application/json``, ...) wins over generic ones
    (``text/html``, ``*/*``), then header order. A CAR element with a parameter this library
    cannot honour (``version=2``, ``order=foo``, ``dups=x``) is not servable; when
    ``Accept`` names only types that cannot be served this raises 406. No ``Accept`` (or
    only generic types) means the deserialized response.

    CAR parameters come from the chosen ``application/vnd.ipld.car`` element (with
    ``?format=car``, from the best one in ``Accept``), then ``car-version``, ``car-order``,
    ``car-dups`` query parameters override them; a bad query value raises 400.
    """
    fmt_param = query.get("format", "")
    ranges = [r for r in parse_accept(accept) if r.q > 0]
    accept_params: dict[str, str] = {}
    accept_shaped = False
    if fmt_param:
        fmt = fmt_param.lower()
        if fmt in UNSUPPORTED_FORMATS:
            raise RequestError(400, f"format={fmt_param} is not supported by this gateway")
        if fmt not in MEDIA_TYPES:
            raise RequestError(
                400, f"unknown format {fmt_param!r}: use raw, car, dag-json, dag-cbor, json"
                     " or cbor")
        if fmt == CAR:
            cars = sorted((r for r in ranges if r.type == MEDIA_TYPES[CAR]),
                          key=lambda r: (-r.q, r.index))
            if cars:
                accept_params = cars[0].params
        explicit = True
    else:
        explicit = False
        fmt = DEFAULT

        def rank(r: MediaRange) -> tuple[float, int, int]:
            specific = r.type in _FORMAT_OF or r.type in _UNSUPPORTED_MEDIA or _is_vendor(r.type)
            return (-r.q, 0 if specific else 1, r.index)

        chosen: MediaRange | None = None
        refused = False
        for r in sorted(ranges, key=rank):
            if r.type in _FORMAT_OF:
                if r.type == MEDIA_TYPES[CAR] and not _car_ok(r.params):
                    refused = True
                    continue
                chosen = r
                break
            if r.type in _UNSUPPORTED_MEDIA or _is_vendor(r.type):
                refused = True
                continue
            chosen = r  # text/html, image/*, */* ...: the deserialized response
            break
        if chosen is None and refused:
            raise RequestError(
                406, "none of the types in Accept can be served: this gateway produces"
                     " application/vnd.ipld.raw, application/vnd.ipld.car (version=1,"
                     " order=dfs or unk, dups=y or n) and deserialized responses")
        if chosen is not None and chosen.type in _FORMAT_OF:
            fmt = _FORMAT_OF[chosen.type]
            accept_params = chosen.params
            accept_shaped = fmt in (RAW, CAR, DAG_JSON, DAG_CBOR)
    if fmt != CAR:
        return Negotiated(fmt, explicit, None, accept_shaped)

    merged = {k: accept_params.get(k, "").lower() for k in ("version", "order", "dups")}
    for key in ("version", "order", "dups"):
        value = query.get(f"car-{key}")
        if value is not None:
            merged[key] = value.lower()
        elif accept_params.get(key):
            accept_shaped = True  # Accept said something the URL does not
    if merged["version"] not in CAR_VERSIONS:
        raise RequestError(400, f"unsupported CAR version {merged['version']!r}: only version=1"
                                " is supported")
    if merged["order"] not in CAR_ORDERS:
        raise RequestError(400, f"unsupported CAR order {merged['order']!r}: use dfs or unk")
    if merged["dups"] not in CAR_DUPS:
        raise RequestError(400, f"invalid CAR dups {merged['dups']!r}: use y or n")
    car = CarParams(dups=merged["dups"] == "y", order_requested=merged["order"])
    return Negotiated(CAR, explicit, car, accept_shaped)


# -- Range ------------------------------------------------------------------------------
UNSATISFIABLE = "unsatisfiable"


def parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
    """A ``Range`` header against a representation of ``size`` bytes.

    Returns ``(lo, hi)`` (half-open) for one satisfiable range, :data:`UNSATISFIABLE` (416)
    when the single range asked lies beyond the end, and ``None`` when the header is to be
    ignored (absent, malformed, another unit, or several ranges: RFC 9110 lets a server send
    the whole representation instead)."""
    if not value:
        return None
    unit, eq, spec = value.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    specs = [s.strip() for s in spec.split(",") if s.strip()]
    if len(specs) != 1:
        return None
    first, dash, last = specs[0].partition("-")
    first, last = first.strip(), last.strip()
    if not dash:
        return None
    try:
        lo = parse_int(first, "Range") if first else None
        end = parse_int(last, "Range") if last else None
    except NumberError:
        return None  # not digits, or more than any representation can have
    if lo is None:
        if end is None:
            return None
        lo, hi = max(size - end, 0), size
        if end == 0 or lo >= hi:
            return UNSATISFIABLE
        return lo, hi
    if end is not None and end < lo:
        return None
    if lo >= size:
        return UNSATISFIABLE
    hi = size if end is None else min(end + 1, size)
    return lo, hi


# -- ETags ------------------------------------------------------------------------------
def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` matches ``etag`` (weak comparison, ``*`` matches)."""
    if not if_none_match:
        return False
    mine = etag[2:] if etag.startswith("W/") else etag
    for candidate in _split(if_none_match, ","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate and candidate == mine:
            return True
    return False
