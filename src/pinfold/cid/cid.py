"""The :class:`CID` value type: content identifiers, versions 0 and 1.

A CID is kept as its binary form; string forms are produced and parsed at the API edge
with the multibase tables of the ``multiformats`` package.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from ..errors import DecodeError, InvalidCIDError
from .multihash import decode_multihash, multihash_length
from .varint import decode_varint, encode_varint

DAG_PB = 0x70
RAW = 0x55
DAG_CBOR = 0x71
DAG_JSON = 0x0129

_V0_PREFIX = b"\x12\x20"  # sha2-256, 32 bytes


def _multicodec(**which: str | int) -> Any:
    """``multiformats.multicodec.get(**which)``, on a thread of its own. Its argument checks
    (``typing_validation``) keep the frames of their latest caller alive, locals and all,
    until the next check: called from here directly, that would be whoever asked for a
    codec (``block_put``, with its block's bytes, say). Raises what ``get`` raised."""
    from multiformats import multicodec

    out: list[Any] = []

    def lookup() -> None:
        try:
            out.append(multicodec.get(**which))
        except Exception as exc:  # noqa: BLE001 - handed to the caller
            out.append(exc)

    try:
        thread = threading.Thread(target=lookup, name="pinfold-multicodec", daemon=True)
        thread.start()
        thread.join()
    except RuntimeError:  # no new threads (interpreter shutdown): ask here, as before
        lookup()
    if isinstance(out[0], Exception):
        raise out[0]
    return out[0]


@cache
def _codec_name(code: int) -> str:
    try:
        return _multicodec(code=code).name
    except Exception:  # noqa: BLE001 - unknown codes are legal in a CID
        return f"0x{code:x}"


def codec_code(name: str | int) -> int:
    """The multicodec code of a codec name such as ``dag-pb`` or ``raw``."""
    if isinstance(name, int):
        return name
    if not isinstance(name, str):
        raise InvalidCIDError(f"unknown codec {name!r}")
    return _code_of_name(name)


@cache
def _code_of_name(name: str) -> int:
    try:
        return _multicodec(name=name).code
    except Exception as exc:  # noqa: BLE001
        raise InvalidCIDError(f"unknown codec {name!r}") from exc


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# two base58 digits at a time: half the big-integer steps of a digit-by-digit loop
_B58_PAIRS = [a + b for a in _B58 for b in _B58]
# byte -> digit value for the decoder; 0xFF marks a byte outside the alphabet
_B58_VALUES = bytes(_B58.find(chr(c)) & 0xFF if chr(c) in _B58 else 0xFF for c in range(256))
# base32 (RFC 4648, lower case, no padding) by C-level string operations: hashlib-era Pythons
# (3.11) run base64.b32encode/b32decode as Python loops, ~10x slower than these
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_B32_BITS = str.maketrans({c: f"{i:05b}" for i, c in enumerate(_B32)})  # char -> 5 bits
_B32_PAIRS = {f"{i:010b}": _B32[i >> 5] + _B32[i & 31] for i in range(1024)}  # 10 bits -> 2
_TEN_BITS = re.compile("[01]{10}")


def _b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n >= 58:
        n, r = divmod(n, 3364)
        out.append(_B58_PAIRS[r])
    text = "".join(reversed(out)).lstrip("1")
    if n:
        text = _B58[n] + text
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + text


def _b58decode_v0(text: str) -> bytes | None:
    """The 34 bytes of a 46-digit base58btc CIDv0, or None when ``text`` is not one."""
    digits = text.encode("ascii", "replace").translate(_B58_VALUES)
    if 0xFF in digits:
        return None
    n = 0
    for d in digits:
        n = n * 58 + d
    if n >> 272:
        return None
    raw = n.to_bytes(34, "big")
    return raw if raw[:2] == _V0_PREFIX else None


def _b32encode_lower(data: bytes) -> str:
    if not data:
        return ""
    chars = -(-len(data) * 8 // 5)
    bits = (chars + 1) // 2 * 10  # whole pairs of characters
    text = format(int.from_bytes(data, "big") << (bits - len(data) * 8), f"0{bits}b")
    return "".join(map(_B32_PAIRS.__getitem__, _TEN_BITS.findall(text)))[:chars]


def _b32decode_lower(text: str) -> bytes | None:
    """The bytes of canonical unpadded lower-case base32, or None when ``text`` is not that."""
    bits = text.translate(_B32_BITS)
    if len(bits) != 5 * len(text):  # a character outside the alphabet stays one character
        return None
    size, spare = divmod(len(bits), 8)
    if spare >= 5:  # a length no byte count encodes to
        return None
    n = int(bits, 2) if bits else 0
    if n & ((1 << spare) - 1):  # padding bits must be zero
        return None
    return (n >> spare).to_bytes(size, "big")


def _base(name: str):  # pragma: no cover - trivial
    from multiformats import multibase

    return multibase.get(name)


class CID:
    """An immutable content identifier.

    ``CID("QmT78z...")`` or ``CID.decode(...)`` parses a string (any common multibase) or binary
    form; ``CID.v1(codec, multihash)`` builds one. CIDs compare and hash by their binary form.
    """

    __slots__ = ("_bytes", "_version", "_codec", "_mh", "_str")

    _bytes: bytes
    _version: int
    _codec: int
    _mh: bytes
    _str: str | None  # the default string form, made once

    def __new__(cls, value: str | bytes | CID) -> CID:  # noqa: PYI034
        if isinstance(value, CID):
            return value
        return cls.decode(value)

    @classmethod
    def _make(cls, version: int, codec: int, mh: bytes, binary: bytes | None = None) -> CID:
        self = object.__new__(cls)
        self._version = version
        self._codec = codec
        self._mh = mh
        if binary is None:
            binary = mh if version == 0 else b"\x01" + encode_varint(codec) + mh
        self._bytes = binary
        self._str = None
        return self

    # -- construction -------------------------------------------------------------------
    @classmethod
    def v0(cls, multihash: bytes) -> CID:
        """A CIDv0 (dag-pb, sha2-256) from its multihash."""
        if len(multihash) != 34 or multihash[:2] != _V0_PREFIX:
            raise InvalidCIDError("a CIDv0 must be a 32-byte sha2-256 multihash")
        return cls._make(0, DAG_PB, bytes(multihash))

    @classmethod
    def v1(cls, codec: int | str, multihash: bytes) -> CID:
        """A CIDv1 from a codec (code or name) and a multihash."""
        mh = bytes(multihash)
        try:
            decode_multihash(mh)
        except DecodeError as exc:
            raise InvalidCIDError(f"invalid multihash: {exc}") from None
        return cls._make(1, codec_code(codec), mh)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> CID:
        """Parse the binary form of a CID (the whole of ``data``)."""
        if len(data) == 36 and data[0] == 1 and data[1] < 0x80 and data[2:4] == _V0_PREFIX:
            binary = bytes(data)  # v1, one-byte codec, sha2-256: the usual case, inline
            self = object.__new__(cls)
            self._version = 1
            self._codec = binary[1]
            self._mh = binary[2:]
            self._bytes = binary
            self._str = None
            return self
        cid, end = cls.read(data, 0)
        if end != len(data):
            raise InvalidCIDError(f"{len(data) - end} trailing bytes after the CID")
        return cid

    @classmethod
    def read(cls, data: bytes | memoryview, pos: int = 0) -> tuple[CID, int]:
        """Parse a binary CID at ``data[pos:]``; return it and the position after it."""
        if data[pos : pos + 1] == b"\x01" and data[pos + 2 : pos + 4] == _V0_PREFIX:
            codec = data[pos + 1]
            end = pos + 36
            if codec < 0x80 and end <= len(data):  # v1, one-byte codec, sha2-256: the usual
                binary = bytes(data[pos:end])
                return cls._make(1, codec, binary[2:], binary), end
        try:
            if data[pos : pos + 2] == _V0_PREFIX:
                end = pos + 34
                if end > len(data):
                    raise InvalidCIDError("truncated CIDv0")
                return cls._make(0, DAG_PB, bytes(data[pos:end])), end
            version, p = decode_varint(data, pos)
            if version != 1:
                raise InvalidCIDError(f"unsupported CID version {version}")
            codec, p = decode_varint(data, p)
            end = p + multihash_length(data, p)
            binary = bytes(data[pos:end])
            return cls._make(1, codec, binary[p - pos :], binary), end
        except DecodeError as exc:
            raise InvalidCIDError(f"invalid binary CID: {exc}") from None

    @classmethod
    def decode(cls, value: str | bytes | memoryview) -> CID:
        """Parse a CID from a string in any supported multibase, or from its binary form."""
        if isinstance(value, bytes | bytearray | memoryview):
            return cls.from_bytes(bytes(value))
        if not isinstance(value, str):
            raise InvalidCIDError(f"a CID is a str or bytes, not {type(value).__name__}")
        text = value.strip()
        if not text:
            raise InvalidCIDError("empty CID string")
        if text[0] == "b":
            # base32, the CIDv1 default; anything not canonical goes the general way below
            raw = _b32decode_lower(text[1:])
            if raw is not None and raw[:1] == b"\x01":
                try:
                    cid = cls.from_bytes(raw)
                except InvalidCIDError as exc:
                    raise InvalidCIDError(f"invalid CID {value!r}: {exc}") from None
                cid._str = text
                return cid
        if len(text) == 46 and text.startswith("Qm"):
            raw = _b58decode_v0(text)
            if raw is not None:
                cid = cls._make(0, DAG_PB, raw)
                cid._str = text  # base58 without leading zero digits is canonical
                return cid
            try:
                raw = _base("base58btc").decode("z" + text)
            except Exception as exc:  # noqa: BLE001
                raise InvalidCIDError(f"invalid CIDv0 {value!r}: {exc}") from None
            return cls.v0(raw)
        from multiformats import multibase

        try:
            raw = multibase.decode(text)
        except Exception as exc:  # noqa: BLE001
            raise InvalidCIDError(f"invalid CID {value!r}: {exc}") from None
        if raw[:1] == b"\x12":
            raise InvalidCIDError(f"invalid CID {value!r}: a CIDv0 must be written in base58btc")
        try:
            return cls.from_bytes(raw)
        except InvalidCIDError as exc:
            raise InvalidCIDError(f"invalid CID {value!r}: {exc}") from None

    # -- properties ---------------------------------------------------------------------
    @property
    def version(self) -> int:
        return self._version

    @property
    def codec_code(self) -> int:
        """The multicodec code of the content: 0x70 dag-pb, 0x55 raw, ..."""
        return self._codec

    @property
    def codec(self) -> str:
        """The multicodec name of the content: ``dag-pb``, ``raw``, ``dag-cbor``, ..."""
        return _codec_name(self._codec)

    @property
    def multihash(self) -> bytes:
        """The multihash (code, length and digest) in binary."""
        return self._mh

    @property
    def hash_code(self) -> int:
        return decode_varint(self._mh, 0)[0]

    @property
    def hash_name(self) -> str:
        return _codec_name(self.hash_code)

    @property
    def digest(self) -> bytes:
        return decode_multihash(self._mh)[1]

    @property
    def is_identity(self) -> bool:
        """True when the multihash is the identity: the CID carries its block's bytes."""
        return self._mh[:1] == b"\x00"

    @property
    def identity_data(self) -> bytes | None:
        """The bytes an identity CID carries, or None for a hashed CID."""
        return decode_multihash(self._mh)[1] if self._mh[:1] == b"\x00" else None

    def __bytes__(self) -> bytes:
        return self._bytes

    @property
    def bytes(self) -> bytes:
        """The binary form, as written in DAG-PB links and CAR files."""
        return self._bytes

    # -- conversion ---------------------------------------------------------------------
    def to_v1(self) -> CID:
        if self._version == 1:
            return self
        return CID._make(1, self._codec, self._mh)

    def to_v0(self) -> CID:
        if self._version == 0:
            return self
        if self._codec != DAG_PB:
            raise InvalidCIDError("only dag-pb CIDs have a version 0 form")
        return CID.v0(self._mh)

    def encode(self, base: str | None = None) -> str:
        """The string form: base58btc for v0, else ``base`` (default base32)."""
        if base is None:
            return self.__str__()
        if self._version == 0:
            if base != "base58btc":
                raise InvalidCIDError("a CIDv0 can only be written in base58btc; use to_v1()")
            return self.__str__()
        if base == "base32":
            return self.__str__()
        if base == "base58btc":
            return "z" + _b58encode(self._bytes)
        return _base(base).encode(self._bytes)

    def __str__(self) -> str:
        text = self._str
        if text is None:
            if self._version == 0:
                text = _b58encode(self._bytes)
            else:  # base32, ~70x faster than the generic multibase encoder
                text = "b" + _b32encode_lower(self._bytes)
            self._str = text
        return text

    def __repr__(self) -> str:
        return f"CID({self.__str__()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CID):
            return self._bytes == other._bytes
        return NotImplemented

    def __lt__(self, other: CID) -> bool:
        if not isinstance(other, CID):
            return NotImplemented
        return self._bytes < other._bytes

    def __le__(self, other: CID) -> bool:
        if not isinstance(other, CID):
            return NotImplemented
        return self._bytes <= other._bytes

    def __gt__(self, other: CID) -> bool:
        if not isinstance(other, CID):
            return NotImplemented
        return self._bytes > other._bytes

    def __ge__(self, other: CID) -> bool:
        if not isinstance(other, CID):
            return NotImplemented
        return self._bytes >= other._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __reduce__(self):
        return (CID.from_bytes, (self._bytes,))
