"""pinfold.upload.multipart: the streaming multipart/form-data parser."""

from __future__ import annotations

import io

import pytest

from pinfold.upload import Limits, MultipartError, MultipartReader, boundary_of, parse_header_params

from .helpers import BOUNDARY, Trickle, multipart


def parse(body: bytes, step: int = 4096, limits: Limits | None = None, read: int = 1000):
    out = []
    for part in MultipartReader(Trickle(body, step), BOUNDARY.encode(), limits):
        out.append((part.name, part.filename, part.content_type,
                    b"".join(iter(lambda p=part: p.read(read), b""))))
    return out


@pytest.mark.parametrize("step", [1, 3, 37, 4096, 1 << 20])
def test_parts_whatever_the_read_sizes(step):
    tricky = b"\r\n--" + BOUNDARY.encode()[:-1] + b"x\r\n--" + b"\r\n" * 3
    body, _ = multipart([("name", None, None, "n"), ("file", "a/b.bin", "image/png", tricky),
                         ("empty", "e.txt", None, b""), ("big", "big", None, b"z" * 300_000)])
    got = parse(body, step)
    assert got == [("name", None, "text/plain", b"n"), ("file", "a/b.bin", "image/png", tricky),
                   ("empty", "e.txt", "application/octet-stream", b""),
                   ("big", "big", "application/octet-stream", b"z" * 300_000)]


def test_unread_parts_are_skipped_and_preamble_ignored():
    body, _ = multipart([("a", "a", None, b"1" * 10000), ("b", None, None, b"2")])
    reader = MultipartReader(io.BytesIO(b"preamble text\r\n" + body), BOUNDARY.encode())
    names = [p.name for p in reader]
    assert names == ["a", "b"] and reader.finished


def test_filename_star_and_escapes():
    kind, params = parse_header_params(
        "form-data; name=\"f\\x\"; filename*=UTF-8''%C3%A9t%C3%A9.txt; filename=\"e.txt\"")
    assert kind == "form-data" and params["name"] == "f\\x" and params["filename*"] == "été.txt"


@pytest.mark.parametrize("cut", [0, 10, 60, 200, -5, -8])
def test_cut_off_bodies_are_refused(cut):
    body, _ = multipart([("file", "a", None, b"x" * 100)])
    with pytest.raises(MultipartError, match="cut off"):
        parse(body[:cut] if cut else b"")


@pytest.mark.parametrize("body, words", [
    (b"--" + BOUNDARY.encode() + b"\r\nX-No-Disposition: 1\r\n\r\nx\r\n--" + BOUNDARY.encode()
     + b"--", "Content-Disposition"),
    (b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: attachment\r\n\r\nx\r\n--"
     + BOUNDARY.encode() + b"--", "form-data"),
    (b"--" + BOUNDARY.encode() + b"\r\nbad header\r\n\r\nx\r\n--" + BOUNDARY.encode() + b"--",
     "Name: value"),
    (b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n folded"
     b"\r\n\r\nx\r\n--" + BOUNDARY.encode() + b"--", "Name: value"),
    (b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\n"
     b"x\r\n--" + BOUNDARY.encode() + b"--", "UTF-8"),
    (b"--" + BOUNDARY.encode() + b"\r\nX: " + b"a" * 20000 + b"\r\n\r\n", "longer than"),
    (b"x" * 100_000, "preamble"),
])
def test_malformed_bodies_are_refused(body, words):
    with pytest.raises(MultipartError, match=words):
        parse(body)


def test_limits_on_parts_and_headers():
    body, _ = multipart([("f", None, None, b"1")] * 5)
    with pytest.raises(MultipartError, match="more than 4 parts"):
        parse(body, limits=Limits(max_parts=4))
    many = (b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n"
            + b"X-A: 1\r\n" * 20 + b"\r\nx\r\n--" + BOUNDARY.encode() + b"--")
    with pytest.raises(MultipartError, match="more than 16 headers"):
        parse(many)


@pytest.mark.parametrize("ctype", ["text/plain", "multipart/form-data", "multipart/form-data;"
                                   " boundary=", "multipart/form-data; boundary=" + "a" * 71,
                                   'multipart/form-data; boundary="a\\"b', None])
def test_bad_content_types(ctype):
    with pytest.raises(MultipartError):
        boundary_of(ctype)


def test_boundary_of_quoted():
    assert boundary_of('multipart/form-data; boundary="ab:c d"') == b"ab:c d"
