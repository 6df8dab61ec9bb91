"""Content types for deserialized responses: from the file name's extension, else sniffed
from the first bytes.

:func:`sniff` follows Go's ``net/http.DetectContentType`` (itself the WHATWG MIME Sniffing
algorithm's common cases), so a file gets the type Kubo and boxo give it: HTML, XML, PDF,
PostScript, UTF BOMs, ICO, BMP, GIF, WebP, PNG, JPEG, AIFF, MP3 (ID3), Ogg, MIDI, AVI, WAV,
MP4, WebM, fonts, gzip, ZIP, RAR, WebAssembly, then plain text when no byte is a binary
control byte, else ``application/octet-stream``. Two gateway adjustments on top
(boxo's): HTML loses its ``charset`` (a page may declare another in a ``<meta>``), and XML
whose first bytes contain ``<svg`` is ``image/svg+xml``.

:func:`guess_type` maps a file name's extension with the standard library's built-in table
(not the host's ``/etc/mime.types``, so answers do not depend on the machine) plus a few
modern types the table lacks or spells the old way.
"""

from __future__ import annotations

import mimetypes
import posixpath

#: How many leading bytes :func:`sniff` looks at (Go's ``sniffLen``).
SNIFF_LEN = 512

OCTET_STREAM = "application/octet-stream"
TEXT_PLAIN = "text/plain; charset=utf-8"

_WS = b"\t\n\x0c\r "
_HTML_TAGS = (
    b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV", b"<FONT",
    b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P", b"<!--",
)

# (mask, pattern, content type, skip leading whitespace); an exact signature has no mask.
_Sig = tuple[bytes | None, bytes, str, bool]


def _exact(pattern: bytes, ctype: str) -> _Sig:
    return (None, pattern, ctype, False)


def _masked(mask: bytes, pattern: bytes, ctype: str, skip_ws: bool = False) -> _Sig:
    assert len(mask) == len(pattern)
    return (mask, pattern, ctype, skip_ws)


_FFFF00 = b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff"

# Go's sniffSignatures after the HTML ones, in order (mp4 is matched in between, below).
_BEFORE_MP4: tuple[_Sig, ...] = (
    _masked(b"\xff\xff\xff\xff\xff", b"<?xml", "text/xml; charset=utf-8", skip_ws=True),
    _exact(b"%PDF-", "application/pdf"),
    _exact(b"%!PS-Adobe-", "application/postscript"),
    _masked(b"\xff\xff\x00\x00", b"\xfe\xff\x00\x00", "text/plain; charset=utf-16be"),
    _masked(b"\xff\xff\x00\x00", b"\xff\xfe\x00\x00", "text/plain; charset=utf-16le"),
    _masked(b"\xff\xff\xff\x00", b"\xef\xbb\xbf\x00", "text/plain; charset=utf-8"),
    _exact(b"\x00\x00\x01\x00", "image/x-icon"),
    _exact(b"\x00\x00\x02\x00", "image/x-icon"),
    _exact(b"BM", "image/bmp"),
    _exact(b"GIF87a", "image/gif"),
    _exact(b"GIF89a", "image/gif"),
    _masked(b"\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff",
            b"RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
    _exact(b"\x89PNG\x0d\x0a\x1a\x0a", "image/png"),
    _exact(b"\xff\xd8\xff", "image/jpeg"),
    _masked(_FFFF00, b"FORM\x00\x00\x00\x00AIFF", "audio/aiff"),
    _masked(b"\xff\xff\xff", b"ID3", "audio/mpeg"),
    _masked(b"\xff\xff\xff\xff\xff", b"OggS\x00", "application/ogg"),
    _masked(b"\xff" * 8, b"MThd\x00\x00\x00\x06", "audio/midi"),
    _masked(_FFFF00, b"RIFF\x00\x00\x00\x00AVI ", "video/avi"),
    _masked(_FFFF00, b"RIFF\x00\x00\x00\x00WAVE", "audio/wave"),
)
_AFTER_MP4: tuple[_Sig, ...] = (
    _exact(b"\x1a\x45\xdf\xa3", "video/webm"),
    _masked(b"\x00" * 34 + b"\xff\xff", b"\x00" * 34 + b"LP", "application/vnd.ms-fontobject"),
    _exact(b"\x00\x01\x00\x00", "font/ttf"),
    _exact(b"OTTO", "font/otf"),
    _exact(b"ttcf", "font/collection"),
    _exact(b"wOFF", "font/woff"),
    _exact(b"wOF2", "font/woff2"),
    _exact(b"\x1f\x8b\x08", "application/x-gzip"),
    _exact(b"PK\x03\x04", "application/zip"),
    _exact(b"Rar!\x1a\x07\x00", "application/x-rar-compressed"),
    _exact(b"Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"),
    _exact(b"\x00asm", "application/wasm"),
)


def _match(sig: _Sig, data: bytes, first_non_ws: int) -> bool:
    mask, pattern, _, skip_ws = sig
    if mask is None:
        return data.startswith(pattern)
    if skip_ws:
        data = data[first_non_ws:]
    if len(data) < len(pattern):
        return False
    return all(data[i] & mask[i] == pattern[i] for i in range(len(pattern)))


def _html(data: bytes) -> bool:
    for tag in _HTML_TAGS:
        n = len(tag)
        if len(data) < n + 1:
            continue
        # letters compare case-insensitively (Go masks the byte with 0xDF)
        if all((data[i] & 0xDF if 0x41 <= tag[i] <= 0x5A else data[i]) == tag[i]
               for i in range(n)) and data[n] in b" >":
            return True
    return False


def _mp4(data: bytes) -> bool:
    if len(data) < 12:
        return False
    box = int.from_bytes(data[:4], "big")
    if len(data) < box or box % 4 or data[4:8] != b"ftyp":
        return False
    return any(st != 12 and data[st:st + 3] == b"mp4" for st in range(8, box, 4))


def _text(data: bytes) -> bool:
    return not any(b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F
                   for b in data)


def sniff(data: bytes) -> str:
    """The content type of ``data`` from its first 512 bytes, as Go's
    ``http.DetectContentType`` decides it (empty data is ``text/plain; charset=utf-8``)."""
    data = bytes(data[:SNIFF_LEN])
    first = len(data) - len(data.lstrip(_WS))
    if _html(data[first:]):
        return "text/html; charset=utf-8"
    for sig in _BEFORE_MP4:
        if _match(sig, data, first):
            return sig[2]
    if _mp4(data):
        return "video/mp4"
    for sig in _AFTER_MP4:
        if _match(sig, data, first):
            return sig[2]
    if _text(data[first:]):
        return TEXT_PLAIN
    return OCTET_STREAM


# Types the standard library's built-in table lacks, or has under an older name.
_EXTRA_TYPES = {
    ".avif": "image/avif",
    ".car": "application/vnd.ipld.car",
    ".js": "text/javascript",
    ".json": "application/json",
    ".md": "text/markdown",
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}

_table: dict[str, str] | None = None


def _types() -> dict[str, str]:
    global _table
    if _table is None:
        db = mimetypes.MimeTypes()  # the built-in defaults only: no host files
        table = dict(db.types_map[False])
        table.update(db.types_map[True])
        table.update(_EXTRA_TYPES)
        _table = table
    return _table


def guess_type(name: str | None) -> str | None:
    """The content type of a file name's extension (case-insensitive), or ``None``."""
    if not name:
        return None
    ext = posixpath.splitext(name)[1]
    if not ext:
        return None
    return _types().get(ext.lower())


def content_type(name: str | None, head: bytes | None) -> str:
    """What a deserialized file response declares: by ``name``'s extension, else sniffed from
    ``head`` (the file's first bytes; ``None`` when not read: octet-stream)."""
    ctype = guess_type(name)
    if ctype is None:
        if head is None:
            return OCTET_STREAM
        ctype = sniff(head)
        if ctype.startswith("text/xml") and b"<svg" in head[:SNIFF_LEN]:
            return "image/svg+xml"
    if ctype.startswith("text/html"):
        return "text/html"  # boxo: let the page's own <meta charset> decide
    return ctype


__all__ = ["OCTET_STREAM", "SNIFF_LEN", "TEXT_PLAIN", "content_type", "guess_type", "sniff"]
