"""Uploads: the multipart/form-data parser (random, mutated and structure-aware bodies read
in random read sizes), header parameters, upload file names, presigned upload URLs (mutated
query parameters), and whole multipart uploads into a repo. Only PinfoldError escapes; what
parses is consistent (parts read back as written; an accepted file name has only safe
components; an accepted URL is the one signed); a refused upload pins nothing."""

from __future__ import annotations

import functools
import io

from hypothesis import example, given
from hypothesis import strategies as st

from pinfold import Repo
from pinfold.upload import (
    MAX_DEPTH,
    MultipartReader,
    Uploads,
    boundary_of,
    make_policy,
    parse_header_params,
    safe_path,
    sign_url,
    verify_url,
)
from tests.upload.helpers import BOUNDARY, multipart, url_pairs

from .harness import hostile, hostile_text, mostly, mutated, target

SECRET = b"s" * 32
NAMES = ["file", "name", "keyvalues", "cidVersion", "wrapWithDirectory", "group", "network"]
FILENAMES = ["a.txt", "dir/b.bin", "d/e/f", "../x", "/abs", "a//b", "é.png", "a\\b", ".",
             "x" * 300, "/".join(["d"] * 40)]


class Chunked(io.RawIOBase):
    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.buf = io.BytesIO(data)
        self.sizes = sizes or [4096]
        self.i = 0

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        step = self.sizes[self.i % len(self.sizes)]
        self.i += 1
        return self.buf.read(step if n < 0 else max(1, min(n, step)))


part = st.tuples(mostly(st.sampled_from(NAMES), hostile_text(8)),
                 st.one_of(st.none(), mostly(st.sampled_from(FILENAMES), hostile_text(20))),
                 st.one_of(st.none(), st.sampled_from(["text/plain", "image/png", "x/y; a=b"])),
                 st.one_of(st.binary(max_size=300),
                           st.sampled_from([b"\r\n--" + BOUNDARY.encode(), b"--", b"\r\n"])))


def _body(parts) -> bytes:
    try:
        return multipart(parts)[0]
    except UnicodeEncodeError:
        return b""


SEEDS = [multipart([("file", "a.txt", "text/plain", b"hello")])[0],
         multipart([("name", None, None, "n"), ("file", "d/a", None, b"x" * 100),
                    ("file", "d/b", "image/png", b"\r\n--")])[0]]


@target(scale=1)
@given(st.one_of(st.lists(part, max_size=6).map(_body), mutated(st.sampled_from(SEEDS)),
                 st.binary(max_size=400)),
       st.lists(st.integers(1, 64), min_size=1, max_size=4), st.integers(1, 5000))
@example(b"--" + BOUNDARY.encode(), [1], 1)
def test_multipart_reader(body, sizes, read):
    with hostile():
        reader = MultipartReader(Chunked(body, sizes), BOUNDARY.encode())
        for p in reader:
            assert isinstance(p.name, str)
            while p.read(read):
                pass
        assert reader.finished


@target(scale=2)
@given(st.lists(part.filter(lambda p: "\r" not in p[0] + (p[1] or "")
                            and "\n" not in p[0] + (p[1] or "")), min_size=1, max_size=5),
       st.lists(st.integers(1, 300), min_size=1, max_size=3))
def test_multipart_reads_back_what_was_written(parts, sizes):
    body = _body(parts)
    if not body:
        return
    with hostile():
        got = []
        for p in MultipartReader(Chunked(body, sizes), BOUNDARY.encode()):
            got.append((p.name, p.filename, p.read()))
        expected = [(n, None if f is None else f.replace('"', "%22"), d) for n, f, _, d in parts]
        assert got == expected


@target(scale=2)
@given(st.one_of(hostile_text(80), st.sampled_from(
    ['form-data; name="a"', "form-data; filename*=UTF-8''%FF", 'x; a="\\', "; ;", "a=b",
     "multipart/form-data; boundary=abc", 'form-data; name="a"; name="b"'])))
def test_header_params_and_boundaries(text):
    with hostile():
        kind, params = parse_header_params(text)
        assert kind == kind.lower() and all(k == k.lower() for k in params)
    with hostile():
        b = boundary_of(text)
        assert 1 <= len(b) <= 70


@target(scale=3)
@given(mostly(st.sampled_from(FILENAMES), hostile_text(60)))
def test_safe_path(name):
    with hostile():
        parts = safe_path(name)
        assert 1 <= len(parts) <= MAX_DEPTH
        assert all(p not in ("", ".", "..") and "/" not in p and "\\" not in p
                   and "\x00" not in p for p in parts)
        assert "/".join(parts) == name


def _url_seeds() -> list[str]:
    return [sign_url(SECRET, make_policy(expires=600, max_file_size=10, name="n")),
            sign_url(SECRET, make_policy(expires=60, allow_mime_types=["image/*"],
                                         keyvalues={"a": "b"}, network="private"))]


URLS = _url_seeds()


@target(scale=2)
@given(st.one_of(
    mutated(st.sampled_from([u.encode() for u in URLS])).map(
        lambda b: b.decode("latin-1")),
    st.sampled_from(URLS).map(lambda u: u + "&X-Policy=x"),
    hostile_text(200).map(lambda t: "/upload/signed?" + t)))
@example("//[" + URLS[0])  # the long run: no URL to urlsplit, the same parameters
def test_presigned_url(url):
    with hostile():
        verify_url([SECRET], url_pairs(url))
        # accepted: it is one of the URLs signed, parameter for parameter (the signature's hex
        # digits in either case: the same bytes, and a URL is spent by its policy's nonce)
        assert any(_canonical(u) == _canonical(url) for u in URLS), url


def _canonical(url: str) -> list[tuple[str, str]]:
    return sorted((k, v.lower() if k == "X-Signature" else v) for k, v in url_pairs(url))


@functools.cache
def uploads() -> Uploads:
    return Uploads(Repo.memory())


@target(scale=0.5)
@given(st.lists(part, min_size=1, max_size=5).map(_body))
def test_whole_uploads(body):
    up = uploads()
    before = len(up.repo.pins.list())
    result = None
    with hostile():
        result = up.upload(io.BytesIO(body), f"multipart/form-data; boundary={BOUNDARY}")
    after = len(up.repo.pins.list())
    assert after in (before, before + 1) if result is not None else after == before
