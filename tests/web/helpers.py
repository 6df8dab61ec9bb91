"""Shared by the web tests: raw HTTP requests (paths sent exactly as written, which httpx
would normalise), and a few small files."""

from __future__ import annotations

import socket
import struct
import zlib


def raw_get(port: int, target: str, headers: dict[str, str] | None = None,
            method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send ``method target HTTP/1.1`` with ``target`` byte for byte; (status, headers,
    body) of the answer (the connection is closed by the request)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    first, *rest = head.decode("latin-1").split("\r\n")
    status = int(first.split()[1])
    hdrs = {}
    for line in rest:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


def png(width: int = 3, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    """A valid PNG of one colour (for the browser to decode)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


BIG = bytes(range(256)) * 4096  # 1 MiB

DAPP = {  # path: bytes
    "dapp/index.html": b"""<!doctype html>
<html><head><meta charset="utf-8"><title>dApp</title>
<link rel="stylesheet" href="css/style.css"></head>
<body><div id="box">box</div><img id="logo" src="img/logo.png" alt="logo">
<script src="js/app.js"></script></body></html>
""",
    "dapp/css/style.css": b"#box { color: rgb(1, 2, 3); width: 123px; }\n",
    "dapp/js/app.js": (b"document.body.dataset.ran = 'yes';\n"
                       b"document.getElementById('box').textContent = 'script ran';\n"),
    "dapp/img/logo.png": png(5, 4),
}
