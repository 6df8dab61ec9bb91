"""A streaming ``multipart/form-data`` parser (RFC 7578) with bounded memory.

:class:`MultipartReader` pulls from any binary stream (``read(n)``) and yields each part
(:class:`Part`, itself a stream) in order; a part not read to its end is skipped when the
next one is asked for. Memory is bounded by the limits (:class:`Limits`), never by the size
of a part: a part's bytes are handed on as they arrive, keeping back only what could be the
start of the next boundary.

Refused, with a :class:`~pinfold.upload.errors.MultipartError`: a boundary that is missing
or longer than 70 characters; a preamble, a part's header block or a header line past its
limit; more parts than allowed; headers that are not ``Name: value`` in UTF-8 (obsolete
line folding included); a part without ``Content-Disposition: form-data; name=...``; a body
that ends before the closing boundary (a cut-off upload).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import MultipartError

CHUNK = 256 * 1024
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_BCHARS = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=? ")


@dataclass(frozen=True)
class Limits:
    """The bounds of one multipart body."""

    max_parts: int = 10_000
    max_header_bytes: int = 16 * 1024  # one part's header block
    max_headers: int = 16  # header lines in one part
    max_preamble: int = 64 * 1024


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename="b.txt"`` as ``("form-data", {...})``: parameter
    names lower-cased, quoted strings unquoted, ``filename*=UTF-8''...`` (RFC 5987) decoded.
    A backslash is an ordinary character, as the HTML standard's form encoding writes names
    (browsers send ``"`` as ``%22`` and never escape with backslashes). Malformed text
    raises :class:`MultipartError`."""
    from urllib.parse import unquote

    i, n = 0, len(value)

    def skip_ws() -> None:
        nonlocal i
        while i < n and value[i] in " \t":
            i += 1

    def token() -> str:
        nonlocal i
        start = i
        while i < n and value[i] not in ";= \t\"":
            i += 1
        return value[start:i]

    skip_ws()
    kind = token().lower()
    params: dict[str, str] = {}
    skip_ws()
    while i < n:
        if value[i] != ";":
            raise MultipartError(f"malformed header parameters: {value[:80]!r}")
        i += 1
        skip_ws()
        if i >= n:
            break
        key = token().lower()
        skip_ws()
        if not key or i >= n or value[i] != "=":
            raise MultipartError(f"malformed header parameter in {value[:80]!r}")
        i += 1
        skip_ws()
        if i < n and value[i] == '"':
            i += 1
            out = []
            while True:
                if i >= n:
                    raise MultipartError(f"unterminated quoted string in {value[:80]!r}")
                c = value[i]
                if c == '"':
                    i += 1
                    break
                else:
                    out.append(c)
                    i += 1
            text = "".join(out)
        else:
            text = token()
        if key in params:
            raise MultipartError(f"header parameter {key!r} given twice")
        if key.endswith("*"):
            charset, _, rest = text.partition("'")
            _lang, _, encoded = rest.partition("'")
            if charset.lower() != "utf-8":
                raise MultipartError(f"parameter {key!r}: only UTF-8 is supported")
            try:
                text = unquote(encoded, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise MultipartError(f"parameter {key!r} is not UTF-8") from None
        params[key] = text
        skip_ws()
    return kind, params


def boundary_of(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` content type."""
    if not isinstance(content_type, str):
        raise MultipartError("a multipart/form-data Content-Type is needed")
    kind, params = parse_header_params(content_type)
    if kind != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, not {kind[:60]!r}")
    b = params.get("boundary", "")
    raw = b.encode("latin-1", "replace")
    if not 1 <= len(raw) <= 70 or not set(raw) <= _BCHARS or raw.endswith(b" "):
        raise MultipartError("the multipart boundary is missing or malformed")
    return raw


class Part(io.RawIOBase):
    """One part: its headers and, read as a stream, its body."""

    def __init__(self, reader: MultipartReader, headers: list[tuple[str, str]]) -> None:
        super().__init__()
        self._reader = reader
        self.headers = headers
        self.done = False
        disposition = self.header("content-disposition")
        if disposition is None:
            raise MultipartError("a part has no Content-Disposition header")
        kind, params = parse_header_params(disposition)
        if kind != "form-data" or "name" not in params:
            raise MultipartError("a part's Content-Disposition is not form-data with a name")
        self.name: str = params["name"]
        self.filename: str | None = params.get("filename*", params.get("filename"))
        ctype = self.header("content-type")
        self.content_type: str = (ctype or ("application/octet-stream" if self.filename
                                            is not None else "text/plain")).strip()

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k == name]
        if len(found) > 1:
            raise MultipartError(f"a part has two {name} headers")
        return found[0] if found else None

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        if self.done:
            return b""
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        return self._reader.body_read(self, n)

    def readinto(self, b) -> int:  # type: ignore[override]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read_limited(self, limit: int, what: str) -> bytes:
        """The whole body, refused past ``limit`` bytes (for form fields)."""
        out = bytearray()
        while True:
            chunk = self.read(min(CHUNK, limit + 1 - len(out)))
            if not chunk:
                return bytes(out)
            out += chunk
            if len(out) > limit:
                raise MultipartError(f"{what} is longer than {limit} bytes", 413)

    def __repr__(self) -> str:
        return f"Part(name={self.name!r}, filename={self.filename!r})"


class MultipartReader:
    """The parts of a ``multipart/form-data`` body read from ``stream``."""

    def __init__(self, stream: BinaryIO, boundary: bytes, limits: Limits | None = None) -> None:
        self.stream = stream
        self.limits = limits or Limits()
        self._dash = b"--" + boundary
        self._delim = b"\r\n--" + boundary
        self._buf = bytearray()
        self._eof = False
        self._part: Part | None = None
        self._finished = False
        self._count = 0
        self._scanned = 0  # bytes of _buf known to hold no delimiter start

    # -- reading the stream -----------------------------------------------------------------
    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self.stream.read(CHUNK)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _need(self, n: int) -> bool:
        while len(self._buf) < n:
            if not self._fill():
                return False
        return True

    def _find(self, sep: bytes, limit: int, what: str) -> int:
        start = 0
        while True:
            i = self._buf.find(sep, start)
            if i >= 0:
                if i > limit:
                    raise MultipartError(f"{what} is longer than {limit} bytes")
                return i
            if len(self._buf) > limit + len(sep):
                raise MultipartError(f"{what} is longer than {limit} bytes")
            start = max(0, len(self._buf) - len(sep) + 1)
            if not self._fill():
                raise MultipartError("the body ends before the closing boundary (cut off?)")

    # -- parts ------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Part]:
        first = True
        while True:
            if self._part is not None:
                while not self._part.done:
                    self._part.read(CHUNK)
                self._part = None
            if first:
                self._start()
                first = False
            if self._after_delimiter():
                return
            self._count += 1
            if self._count > self.limits.max_parts:
                raise MultipartError(f"more than {self.limits.max_parts} parts", 413)
            part = Part(self, self._headers())
            self._part = part
            yield part

    def _start(self) -> None:
        # the first delimiter may come at the very start, or after a preamble line
        if self._need(len(self._dash)) and self._buf.startswith(self._dash):
            del self._buf[: len(self._dash)]
            return
        i = self._find(self._delim, self.limits.max_preamble, "the preamble")
        del self._buf[: i + len(self._delim)]

    def _after_delimiter(self) -> bool:
        """Past a delimiter: True at the closing one (``--``), else ready for headers."""
        if not self._need(2):
            raise MultipartError("the body ends before the closing boundary (cut off?)")
        if self._buf.startswith(b"--"):
            self._finished = True
            return True
        i = self._find(b"\r\n", 256, "the boundary line")
        if self._buf[:i].strip(b" \t"):
            raise MultipartError("junk after a multipart boundary")
        del self._buf[: i + 2]
        return False

    def _headers(self) -> list[tuple[str, str]]:
        lim = self.limits
        if not self._need(2):
            raise MultipartError("the body ends before the closing boundary (cut off?)")
        if self._buf.startswith(b"\r\n"):
            del self._buf[:2]
            return []
        end = self._find(b"\r\n\r\n", lim.max_header_bytes, "a part's headers")
        block = bytes(self._buf[:end])
        del self._buf[: end + 4]
        lines = block.split(b"\r\n")
        if len(lines) > lim.max_headers:
            raise MultipartError(f"a part has more than {lim.max_headers} headers")
        headers = []
        for line in lines:
            name, sep, value = line.partition(b":")
            if not sep or not name or not set(name) <= _TOKEN:
                raise MultipartError("a part header is not 'Name: value'")
            if b"\r" in value or b"\n" in value or b"\x00" in value:
                raise MultipartError("a part header holds a control character")
            try:
                text = value.decode("utf-8").strip(" \t")
            except UnicodeDecodeError:
                raise MultipartError("a part header is not UTF-8") from None
            headers.append((name.decode("ascii").lower(), text))
        return headers

    def body_read(self, part: Part, n: int) -> bytes:
        """Up to ``n`` bytes of ``part``'s body (``b""`` at its end)."""
        if part is not self._part or part.done:
            return b""
        delim = self._delim
        while True:
            i = self._buf.find(delim, self._scanned)
            if i >= 0:
                if i == 0:
                    del self._buf[: len(delim)]
                    self._scanned = 0
                    part.done = True
                    return b""
                take = min(n, i)
            else:
                safe = len(self._buf) - len(delim) + 1
                if safe < max(1, min(n, CHUNK)) and self._fill():
                    self._scanned = max(0, safe)
                    continue
                if safe <= 0:
                    if self._eof:
                        raise MultipartError(
                            "the body ends before the closing boundary (cut off?)")
                    continue
                take = min(n, safe)
            data = bytes(self._buf[:take])
            del self._buf[:take]
            self._scanned = max(0, (i - take) if i >= 0 else (safe - take))
            return data

    @property
    def finished(self) -> bool:
        """Whether the closing boundary was read."""
        return self._finished
