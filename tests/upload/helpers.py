"""Multipart bodies for the upload tests, and a stream that hands them out in small reads."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

BOUNDARY = "----pinfoldTestBoundary7MA4YWxkTrZu0gW"


def multipart(parts, boundary: str = BOUNDARY) -> tuple[bytes, str]:
    """``parts``: ``(name, filename or None, content type or None, data)`` tuples; the body
    and its Content-Type."""
    out = bytearray()
    for name, filename, ctype, data in parts:
        out += f"--{boundary}\r\n".encode()
        cd = f'form-data; name="{name}"'
        if filename is not None:
            cd += '; filename="' + filename.replace('"', "%22") + '"'
        out += f"Content-Disposition: {cd}\r\n".encode()
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + (data.encode() if isinstance(data, str) else data) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class Trickle(io.RawIOBase):
    """``data`` in reads of at most ``step`` bytes; ``cut``: stop after that many bytes."""

    def __init__(self, data: bytes, step: int = 4096, cut: int | None = None) -> None:
        self.buf = io.BytesIO(data if cut is None else data[:cut])
        self.step = step

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        return self.buf.read(self.step if n < 0 else min(n, self.step))


def url_pairs(url: str) -> list[tuple[str, str]]:
    """The query parameters of a URL as a web framework hands them to the upload route: the
    text after the first ``?`` (before any ``#``), split into pairs. Not ``urlsplit``: it
    raises on text that is no URL (``//[`` is an unclosed IPv6 host), which a server never
    parses (found by the long fuzz run, in this helper, not in pinfold)."""
    query = url.partition("?")[2].partition("#")[0]
    return parse_qsl(query, keep_blank_values=True)
