"""DAG-CBOR: a canonical encoder and a fast, iterative decoder.

The encoder writes the form the DAG-CBOR spec requires and that go-ipld-prime (Kubo),
@ipld/dag-cbor (Helia) and the ``dag-cbor`` package write: definite lengths, the shortest
integer and length heads, map keys sorted by length and then bytewise, every float as a 64-bit
double, links as tag 42 over a byte string holding ``0x00`` and the binary CID.

The decoder accepts what the spec's "decode strictness" section lets decoders accept and what
Kubo accepts, so that blocks written by other (older or looser) encoders can still be read and
pinned: map keys in any order, integers and lengths not in their shortest form, tag 42 not in
its shortest form, half and single precision floats. Everything outside the data model is
rejected: tags other than 42, non-string or repeated map keys, indefinite lengths, simple
values other than false/true/null, NaN and the infinities, invalid UTF-8, bad CIDs and
trailing bytes. ``strict=True`` also requires the canonical form (the bytes the encoder would
write). Decoding does not recurse, so nesting depth is not limited by Python's stack.

With the ``fast`` extra (``cbor2``), :func:`decode` first tries cbor2's C decoder configured
to refuse what DAG-CBOR refuses (indefinite lengths, repeated keys, keys other than strings or
bytes, every tag cbor2 interprets itself) and then checks its output for what cbor2 cannot be
told to refuse (byte-string keys, undefined and other simple values, NaN and the infinities,
trailing bytes). Whatever that path does not accept goes to the pure-Python decoder
(:func:`decode_python`), which gives the answer and the error, so both paths accept the same
blocks and read the same values.
"""

from __future__ import annotations

import json
import math
import struct
import threading
from io import BytesIO
from typing import Any

try:  # the optional C decoder (the `fast` extra)
    import cbor2
except ImportError:  # pragma: no cover - exercised where cbor2 is not installed
    cbor2 = None

from ..cid import CID
from ..errors import DecodeError, EncodeError, InvalidCIDError

_INT_LIMIT = 1 << 64  # CBOR integers: -2**64 <= n < 2**64

_pack_double = struct.Struct(">Bd").pack
_unpack_half = struct.Struct(">e").unpack_from
_unpack_single = struct.Struct(">f").unpack_from
_unpack_double = struct.Struct(">d").unpack_from


class Fail(Exception):
    """An encoding problem, with the path (innermost last once reversed) where it happened."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def where(self) -> str:
        return "/".join(reversed(self.path))


def describe(fail: Fail, codec: str) -> EncodeError:
    where = fail.where()
    at = f" at {where!r}" if where else ""
    return EncodeError(f"{codec}: {fail.message}{at}")


# -- encoding -----------------------------------------------------------------------------------


def _head(buf: bytearray, base: int, n: int) -> None:
    """Append the shortest CBOR head for ``n`` (``base`` is ``major << 5``)."""
    if n < 24:
        buf.append(base | n)
    elif n < 0x100:
        buf.append(base | 24)
        buf.append(n)
    elif n < 0x10000:
        buf.append(base | 25)
        buf += n.to_bytes(2, "big")
    elif n < 0x100000000:
        buf.append(base | 26)
        buf += n.to_bytes(4, "big")
    else:
        buf.append(base | 27)
        buf += n.to_bytes(8, "big")


def _cbor_key_order(item: tuple[bytes, str, Any]) -> tuple[int, bytes]:
    return len(item[0]), item[0]


def _enc_int(buf: bytearray, v: int) -> None:
    if v >= 0:
        if v >= _INT_LIMIT:
            raise Fail(f"integer {v} is too large (DAG-CBOR integers are below 2**64)")
        _head(buf, 0x00, v)
    else:
        if v < -_INT_LIMIT:
            raise Fail(f"integer {v} is too small (DAG-CBOR integers are at least -2**64)")
        _head(buf, 0x20, -1 - v)


def _enc(v: Any, buf: bytearray) -> None:
    t = type(v)
    if t is str:
        try:
            b = v.encode("utf-8")
        except UnicodeEncodeError:
            raise Fail(f"string {v!r} is not valid Unicode (it has a lone surrogate)") from None
        _head(buf, 0x60, len(b))
        buf += b
    elif t is int:
        _enc_int(buf, v)
    elif t is dict:
        _enc_map(v, buf)
    elif t is list or t is tuple:
        _head(buf, 0x80, len(v))
        for i, item in enumerate(v):
            try:
                _enc(item, buf)
            except Fail as f:
                f.path.append(str(i))
                raise
    elif t is CID:
        cb = v.bytes
        buf += b"\xd8\x2a"
        _head(buf, 0x40, len(cb) + 1)
        buf.append(0)
        buf += cb
    elif t is bytes:
        _head(buf, 0x40, len(v))
        buf += v
    elif t is float:
        if not math.isfinite(v):
            raise Fail(f"float {v} is not allowed (the IPLD data model has no NaN or Infinity)")
        buf += _pack_double(0xFB, v)
    elif v is None:
        buf.append(0xF6)
    elif v is True:
        buf.append(0xF5)
    elif v is False:
        buf.append(0xF4)
    else:
        _enc(coerce(v), buf)


def _enc_map(v: dict, buf: bytearray) -> None:
    items = []
    for k, val in v.items():
        if type(k) is not str:
            if not isinstance(k, str):
                raise Fail(f"map key {k!r} is a {type(k).__name__}: map keys must be strings")
            k = str(k)
        try:
            kb = k.encode("utf-8")
        except UnicodeEncodeError:
            raise Fail(f"map key {k!r} is not valid Unicode (it has a lone surrogate)") from None
        items.append((kb, k, val))
    if len(items) > 1:
        items.sort(key=_cbor_key_order)
    _head(buf, 0xA0, len(items))
    for kb, k, val in items:
        _head(buf, 0x60, len(kb))
        buf += kb
        try:
            _enc(val, buf)
        except Fail as f:
            f.path.append(k)
            raise


def coerce(v: Any) -> Any:
    """The data-model value for a Python value of a less common type, or raise :class:`Fail`.

    Subclasses of the model's types become the base type, ``bytearray``/``memoryview``
    become ``bytes`` and a ``multiformats`` CID becomes a pinfold :class:`~pinfold.cid.CID`
    (converted through its binary form).
    """
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v)
    if isinstance(v, dict):
        return dict(v)
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, CID):
        return CID.from_bytes(v.bytes)
    if type(v).__module__.startswith("multiformats") and type(v).__name__ == "CID":
        try:
            return CID.from_bytes(bytes(v))
        except InvalidCIDError as exc:
            raise Fail(f"CID {v!s} cannot be converted: {exc}") from None
    if isinstance(v, set | frozenset):
        raise Fail(f"a {type(v).__name__} is not an IPLD value (use a list)")
    raise Fail(f"a {type(v).__name__} ({v!r:.60}) is not an IPLD value: use dict, list, str, int,"
               " float, bool, None, bytes or CID")


def encode(value: Any) -> bytes:
    """The canonical DAG-CBOR bytes of a data-model value."""
    buf = bytearray()
    try:
        _enc(value, buf)
    except Fail as f:
        raise describe(f, "dag-cbor") from None
    except RecursionError:
        raise EncodeError("dag-cbor: the value is nested too deeply to encode") from None
    return bytes(buf)


# -- decoding -----------------------------------------------------------------------------------

_NEED_KEY = object()  # map frame waiting for its next key
_MAJOR_NAMES = ("unsigned integer", "negative integer", "byte string", "text string", "array",
                "map", "tag", "simple value or float")


def _err(msg: str, pos: int) -> DecodeError:
    return DecodeError(f"dag-cbor: {msg} (at byte {pos})")


class _NotFast(Exception):
    """The C decoder's answer is not taken: the pure-Python decoder decides."""


# tags cbor2 decodes itself (found by trying every tag below 70,000 and a few large ones):
# each is refused, so no tag but 42 can turn into a value (a big int, a shared reference...)
_CBOR2_TAGS = (0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
               1004, 43000, 55799)


def _refuse_tag(value: Any, immutable: bool) -> Any:
    raise _NotFast("a tag other than 42")


def _refuse_unknown_tag(tag: Any, immutable: bool) -> Any:
    raise _NotFast("a tag other than 42")


class _FastDecoder(threading.local):
    """One cbor2 decoder per thread (making one costs as much as decoding a small block).

    Its tag-42 hook is a closure over this thread's ``found`` cell (the list collecting the
    links of the decode running here, or None): cheaper per link than a method reading
    thread-local attributes."""

    def __init__(self) -> None:
        found: list[list[CID] | None] = [None]
        from_bytes = CID.from_bytes

        def cid(value: Any, immutable: bool) -> CID:
            if type(value) is not bytes or value[:1] != b"\x00":
                raise _NotFast("tag 42 without a 0x00-prefixed byte string")
            link = from_bytes(value[1:])
            links = found[0]
            if links is not None:
                links.append(link)
            return link

        self.found = found
        semantic: dict[int, Any] = dict.fromkeys(_CBOR2_TAGS, _refuse_tag)
        semantic[42] = cid
        self.decoder = cbor2.CBORDecoder(
            BytesIO(b""), tag_hook=_refuse_unknown_tag, semantic_decoders=semantic,
            allow_indefinite=False, allow_duplicate_keys=False, strict_hashable_types=True)


def _leaf(v: Any) -> None:
    """JSON's encoder walks the value in C and calls this for what JSON has no form of."""
    if type(v) is not bytes and type(v) is not CID:
        raise _NotFast(f"a {type(v).__name__} is not an IPLD value")


def _json_walker() -> Any:
    """A callable ``walk(value, 0)`` that walks a value in C, raising for what is not IPLD
    data: keys that are not str (bytes here) raise TypeError, NaN and the infinities
    ValueError, anything but the JSON types, bytes and CIDs reaches :func:`_leaf`. json's C
    encoder is made once (``JSONEncoder.encode`` makes one on every call, ~0.5 us of a ~6 us
    decode); where CPython has no C encoder, or its signature differs, ``JSONEncoder.encode``
    does the same walk."""
    encode = json.JSONEncoder(default=_leaf, allow_nan=False, check_circular=False).encode

    def fallback(value: Any, level: int) -> None:  # pragma: no cover
        encode(value)

    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython builds without _json
        return fallback
    try:
        encoder = make(None, _leaf, json.encoder.encode_basestring, None, ":", ",",
                       False, False, False)
        if encoder({"a": [1, None, True, 1.5, "x"]}, 0) != ('{"a":[1,null,true,1.5,"x"]}',):
            return fallback  # pragma: no cover
    except Exception:  # noqa: BLE001  # pragma: no cover - another CPython's signature
        return fallback
    return encoder


_walk = _json_walker()
_local: _FastDecoder | None = _FastDecoder() if cbor2 is not None else None


def _decode_fast(data: bytes, links: list[CID] | None) -> Any:
    assert _local is not None
    state = _local
    found = state.found
    if links is not None:
        found[0] = []
    dec = state.decoder
    fp = dec.fp = BytesIO(data)
    try:
        value = dec.decode()
        if fp.tell() != len(data):
            raise _NotFast("trailing bytes")
        _walk(value, 0)
    except Exception:  # noqa: BLE001 - any doubt: the pure-Python decoder decides
        found[0] = None
        return _NOT_FAST
    finally:
        dec.fp = _EMPTY
    if links is not None:
        links.extend(found[0])  # type: ignore[arg-type]
        found[0] = None
    return value


_NOT_FAST = object()
_EMPTY = BytesIO(b"")


def decode(data: bytes | bytearray | memoryview, links: list[CID] | None = None) -> Any:
    """Decode one DAG-CBOR item (see the module docstring for what is accepted).

    When ``links`` is a list, every CID met is appended to it in the order of the bytes.
    """
    if type(data) is not bytes:
        data = bytes(data)
    if _local is not None:
        value = _decode_fast(data, links)
        if value is not _NOT_FAST:
            return value
    return decode_python(data, links)


def decode_python(data: bytes | bytearray | memoryview, links: list[CID] | None = None) -> Any:
    """:func:`decode` by the pure-Python decoder alone (what decides when cbor2 does not)."""
    if type(data) is not bytes:
        data = bytes(data)
    n = len(data)
    if n == 0:
        raise DecodeError("dag-cbor: empty block")
    pos = 0
    stack: list[list] = []  # [container, items left, None (list) | key | _NEED_KEY (map)]
    unpack = int.from_bytes
    while True:
        if pos >= n:
            raise _err("unexpected end of data", pos)
        start = pos
        ib = data[pos]
        major = ib >> 5
        ai = ib & 31
        pos += 1
        top = stack[-1] if stack else None
        if top is not None and top[2] is _NEED_KEY and major != 3:
            raise _err(f"map key is a {_MAJOR_NAMES[major]}: keys must be strings", start)
        # -- the head's argument (floats are handled with major 7 below) --
        if major == 7:
            if ai == 27:
                if pos + 8 > n:
                    raise _err("truncated float", start)
                v = _unpack_double(data, pos)[0]
                pos += 8
            elif ai == 20:
                v = False
            elif ai == 21:
                v = True
            elif ai == 22:
                v = None
            elif ai == 25:
                if pos + 2 > n:
                    raise _err("truncated float", start)
                v = _unpack_half(data, pos)[0]
                pos += 2
            elif ai == 26:
                if pos + 4 > n:
                    raise _err("truncated float", start)
                v = _unpack_single(data, pos)[0]
                pos += 4
            elif ai == 23:
                raise _err("'undefined' is not an IPLD value", start)
            elif ai == 31:
                raise _err("unexpected 'break' (indefinite lengths are not allowed)", start)
            else:
                raise _err(f"simple value {ai if ai < 24 else data[pos:pos + 1].hex()} is not"
                           " an IPLD value", start)
            if type(v) is float and not math.isfinite(v):
                raise _err(f"float {v} is not allowed (no NaN or Infinity in IPLD)", start)
        else:
            if ai < 24:
                arg = ai
            elif ai == 24:
                if pos >= n:
                    raise _err("truncated head", start)
                arg = data[pos]
                pos += 1
            elif ai == 25:
                if pos + 2 > n:
                    raise _err("truncated head", start)
                arg = unpack(data[pos:pos + 2], "big")
                pos += 2
            elif ai == 26:
                if pos + 4 > n:
                    raise _err("truncated head", start)
                arg = unpack(data[pos:pos + 4], "big")
                pos += 4
            elif ai == 27:
                if pos + 8 > n:
                    raise _err("truncated head", start)
                arg = unpack(data[pos:pos + 8], "big")
                pos += 8
            elif ai == 31:
                raise _err(f"indefinite-length {_MAJOR_NAMES[major]} is not allowed", start)
            else:
                raise _err(f"reserved additional information {ai}", start)

            if top is not None and top[2] is _NEED_KEY:  # a map key (a text string)
                end = pos + arg
                if end > n:
                    raise _err("truncated map key", start)
                try:
                    key = data[pos:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise _err("map key is not valid UTF-8", start) from None
                pos = end
                if key in top[0]:
                    raise _err(f"repeated map key {key!r}", start)
                top[2] = key
                continue

            if major == 0:
                v = arg
            elif major == 1:
                v = -1 - arg
            elif major == 2:
                end = pos + arg
                if end > n:
                    raise _err("truncated byte string", start)
                v = data[pos:end]
                pos = end
            elif major == 3:
                end = pos + arg
                if end > n:
                    raise _err("truncated string", start)
                try:
                    v = data[pos:end].decode("utf-8")
                except UnicodeDecodeError:
                    raise _err("string is not valid UTF-8", start) from None
                pos = end
            elif major == 4:
                if arg:
                    stack.append([[], arg, None])
                    continue
                v = []
            elif major == 5:
                if arg:
                    stack.append([{}, arg, _NEED_KEY])
                    continue
                v = {}
            else:  # major 6: a tag; only 42 (a CID) is allowed
                if arg != 42:
                    raise _err(f"tag {arg} is not allowed (only tag 42, a CID)", start)
                if pos >= n:
                    raise _err("truncated CID", start)
                ib = data[pos]
                if ib >> 5 != 2:
                    raise _err("tag 42 must hold a byte string", start)
                ai = ib & 31
                pos += 1
                if ai < 24:
                    length = ai
                elif 24 <= ai <= 27:
                    w = 1 << (ai - 24)
                    if pos + w > n:
                        raise _err("truncated CID", start)
                    length = unpack(data[pos:pos + w], "big")
                    pos += w
                else:
                    raise _err("tag 42 must hold a definite-length byte string", start)
                end = pos + length
                if end > n:
                    raise _err("truncated CID", start)
                if length == 0 or data[pos] != 0:
                    raise _err("a CID in tag 42 must start with the 0x00 multibase prefix", start)
                try:
                    v = CID.from_bytes(data[pos + 1:end])
                except InvalidCIDError as exc:
                    raise _err(f"invalid CID: {exc}", start) from None
                pos = end
                if links is not None:
                    links.append(v)

        # -- attach the finished value to its container(s) --
        while stack:
            top = stack[-1]
            container = top[0]
            if top[2] is None:
                container.append(v)
            else:
                container[top[2]] = v
                top[2] = _NEED_KEY
            top[1] -= 1
            if top[1]:
                break
            stack.pop()
            v = container
        else:
            if pos != n:
                raise _err(f"{n - pos} bytes after the end of the value", pos)
            return v
