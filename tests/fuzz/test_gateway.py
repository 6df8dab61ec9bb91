"""``pinfold.gateway.handle`` on hostile requests (methods, paths, queries, headers) over a
repo holding files, a plain and a HAMT directory, symlinks and DAG-CBOR/DAG-JSON blocks, and
over an on-disk repo with corrupt blocks.

The contract checked on every answer: no exception; a status below 500 (501, documented for
what is not implemented, excepted), 500 only when a block is corrupt; header names and
values Latin-1 without CR, LF or NUL; a body that iterates without raising, empty for HEAD
and 304, as long as its Content-Length; a 206 that matches its Content-Range; a CAR that
parses, verifies, has the requested root and only blocks reachable from it; a raw block that
is the block. The repo verifies clean afterwards.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pinfold import CID, InvalidCIDError, Repo
from pinfold.car import CarReader
from pinfold.gateway import handle

from .harness import hostile, hostile_text, mostly, number_text, target
from .seeds import content

C = content()
MISSING = CID.v1("raw", b"\x12\x20" + bytes(32))
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

# -- requests ---------------------------------------------------------------------------
FORMATS = ["raw", "car", "dag-json", "dag-cbor", "json", "cbor", "tar", "ipns-record", "RAW",
           "x", ""]
ACCEPTS = ["application/vnd.ipld.raw", "application/vnd.ipld.car",
           "application/vnd.ipld.car; version=1; order=dfs; dups=y",
           "application/vnd.ipld.car; version=2", "application/vnd.ipld.car;order=unk;dups=n",
           "application/vnd.ipld.dag-json", "application/vnd.ipld.dag-cbor", "application/json",
           "application/cbor", "text/html", "*/*", "application/x-tar",
           "application/vnd.ipfs.ipns-record", "image/*;q=0", "text/html;q=2",
           "application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car;q=0.9", 'a/b;x="\\"",c/d']
RANGES = ["bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-0", "bytes=5-2", "bytes=1-2,4-5",
          "bytes=100000-", "bytes=0-99999999999999999999", "bytes= 3 - 9 ", "items=0-1",
          "bytes=٣-", "bytes=" + "9" * 4301 + "-", "bytes=-" + "9" * 5000, "bytes=+1-2", "bytes"]


_QUERY_POOLS = {
    "format": st.sampled_from(FORMATS),
    "dag-scope": st.sampled_from(["block", "entity", "all", "ALL", "", "x"]),
    "entity-bytes": st.one_of(
        st.sampled_from(["0:*", "0:0", "-10:*", "5:-5", "10:2", "-1:-1", "*:*", ":", "0",
                         "0:" + "9" * 4301, "٣:*"]),
        st.tuples(number_text(), number_text()).map(":".join)),
    "car-version": st.sampled_from(["1", "2", "", "x"]),
    "car-order": st.sampled_from(["dfs", "unk", "", "bfs"]),
    "car-dups": st.sampled_from(["y", "n", "", "maybe"]),
    "filename": st.one_of(st.sampled_from(["a.txt", "é.bin", "a\r\nb", "x\"y", "\\", "\ud800",
                                           "\udcff", "", "../../x", "%00"]), hostile_text()),
    "download": st.sampled_from(["true", "false", "1", ""]),
}
_QUERY_VALUES = {k: mostly(v, hostile_text(10)) for k, v in _QUERY_POOLS.items()}
_OTHER_VALUE = hostile_text(10)


_LEADS = st.sampled_from([[], [("format", "car")], [("format", "raw")], [("format", "dag-json")],
                          [("format", "dag-cbor")], [("format", "car"), ("dag-scope", "entity")],
                          [("format", "car"), ("entity-bytes", "100:2000")],
                          [("format", "car"), ("dag-scope", "block"), ("car-dups", "y")]])
query_pairs = st.tuples(_LEADS, st.lists(
    mostly(st.sampled_from(sorted(_QUERY_POOLS)), st.sampled_from(["x", "\ud800", ""])).flatmap(
        lambda k: st.tuples(st.just(k), _QUERY_VALUES.get(k, _OTHER_VALUE))), max_size=3)
).map(lambda t: t[0] + t[1])
queries = mostly(
    st.one_of(st.none(), query_pairs, query_pairs.map(dict),
              query_pairs.map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))),
    st.one_of(hostile_text(), st.binary(max_size=30)))

HEADER_VALUES = {
    "Accept": mostly(st.sampled_from(ACCEPTS),
                     st.one_of(st.lists(st.sampled_from(ACCEPTS), max_size=3).map(", ".join),
                               hostile_text())),
    "Range": st.one_of(st.sampled_from(RANGES),
                       st.tuples(number_text(), number_text()).map(
                           lambda t: f"bytes={t[0]}-{t[1]}"), hostile_text()),
    "If-None-Match": st.one_of(st.sampled_from(["*", '"x"', 'W/"x"', "", ",,,"]),
                               st.sampled_from(sorted(C.roots.values())).map(
                                   lambda c: f'"{c}"'), hostile_text()),
    "If-Range": st.one_of(st.sampled_from(['"x"', "Mon, 01 Jan 2024 00:00:00 GMT"]),
                          hostile_text()),
    "Cache-Control": st.sampled_from(["only-if-cached", "no-cache", "ONLY-IF-CACHED, max-age=0"]),
    "Service-Worker": st.sampled_from(["script", "SCRIPT", ""]),
    "X-Anything": hostile_text(),
}
_HEADER_PAIRS = {k: st.tuples(st.sampled_from([k, k.lower(), k.upper()]), v)
                 for k, v in HEADER_VALUES.items()}
headers = st.one_of(
    st.lists(st.sampled_from(sorted(HEADER_VALUES)).flatmap(_HEADER_PAIRS.__getitem__),
             max_size=4),
    st.dictionaries(st.sampled_from(sorted(HEADER_VALUES)), hostile_text(), max_size=3))


_ROOTS = st.sampled_from(sorted(C.roots.values()) + [MISSING])
_FORMS = mostly(st.sampled_from(["v1", "v0", "upper", "base36"]), st.just("mangled"))
_MANGLE = st.sampled_from(["a", "0", "\ud800", ""])
_SEGMENTS = st.lists(mostly(st.sampled_from(C.names), st.one_of(st.sampled_from(
    ["..", ".", "", "%2e%2e", "index.html", "file", "list", "0", "\x00", "\ud800", "\udcff",
     "a" * 300]), hostile_text(8))), max_size=3)
_PREFIXES = mostly(st.just("/ipfs/"), st.sampled_from(["/ipns/", "/", "//ipfs/", "/ipfs//",
                                                       "ipfs/", "/IPFS/"]), one_in=8)
_TRAILS = st.sampled_from(["", "/", "//"])


@st.composite
def paths(draw) -> tuple[str, CID | None]:
    """A request path and the root CID it names (None when it names no CID)."""
    root = draw(_ROOTS)
    form = draw(_FORMS)
    if form == "v0" and root.codec == "dag-pb" and root.hash_name == "sha2-256":
        root = root.to_v0()  # the root a CAR names is the CID as asked for
        cid_text = str(root)
    elif form == "upper":
        cid_text = root.encode("base32upper")
    elif form == "base36":
        cid_text = root.encode("base36")
    elif form == "mangled":
        cid_text = str(root)[:-1] + draw(_MANGLE)
        try:  # a mangled identity CID can still be a valid CID: of other inline bytes
            root = CID.decode(cid_text)
        except InvalidCIDError:
            pass
    else:
        cid_text = str(root)
    prefix = draw(_PREFIXES)
    path = prefix + "/".join([cid_text, *draw(_SEGMENTS)]) + draw(_TRAILS)
    return path, root if prefix.startswith("/ipfs/") else None


methods = mostly(st.sampled_from(["GET", "HEAD"]),
                 st.sampled_from(["head", "POST", "OPTIONS", "\ud800", ""]), one_in=10)


# -- the contract -----------------------------------------------------------------------
def check(resp, method: str, path: str, root: CID | None, *, corrupt: bool = False) -> None:
    assert isinstance(resp.status, int) and 100 <= resp.status < 600, resp.status
    chunks = list(resp.body)
    body = b"".join(chunks)
    assert all(isinstance(c, bytes) for c in chunks)
    if resp.status >= 500 and resp.status != 501:
        assert corrupt and resp.status == 500, (resp.status, body)
        assert b"corrupt" in body or method.upper() == "HEAD", body
    if resp.error is not None:  # a stream that stopped part-way: only for a corrupt block
        assert corrupt and "corrupt" in str(resp.error), resp.error
    names = set()
    for name, value in resp.headers:
        assert isinstance(name, str) and isinstance(value, str)
        assert _TOKEN.match(name), name
        assert name.lower() not in names, f"header {name} twice"
        names.add(name.lower())
        value.encode("latin-1")
        assert not set(value) & {"\r", "\n", "\x00"}, (name, value)
    head = method.upper() == "HEAD"
    if head or resp.status == 304:
        assert body == b""
        return
    length = resp.header("Content-Length")
    if length is not None and resp.error is None:
        assert int(length) == len(body), (length, len(body))
    if resp.status == 206:
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", resp.header("Content-Range") or "")
        assert m and int(m[2]) - int(m[1]) + 1 == len(body) and int(m[2]) < int(m[3])
    ctype = resp.header("Content-Type") or ""
    if resp.status == 200 and ctype.startswith("application/vnd.ipld.car") and not corrupt:
        assert root is not None
        with CarReader(io.BytesIO(body)) as car:
            assert car.roots == [root]
            under = C.under(root)
            for cid, _ in car:
                assert cid in under, f"{cid} is not under {root}"
    if resp.status == 200 and ctype == "application/vnd.ipld.raw" and not corrupt:
        assert root is not None and body == C.repo.get(root)


def _request(store, method, path, query, hdrs, trustless, *, corrupt=False):
    p, root = path
    resp = None
    with hostile():
        resp = handle(store, method, p, query, hdrs, trustless_only=trustless)
    assert resp is not None, "handle raised a PinfoldError instead of answering"
    check(resp, method, p, root, corrupt=corrupt)
    if resp.status == 500 and method.upper() == "HEAD":  # no body to say why: ask with GET
        again = handle(store, "GET", p, query, hdrs, trustless_only=trustless)
        assert again.status == 500
        check(again, "GET", p, root, corrupt=corrupt)
    return resp


@target(scale=2)
@given(methods, paths(), queries, headers, st.booleans())
@example("GET", (f"/ipfs/{C.roots['file']}", C.roots["file"]),
         None, {"Range": "bytes=" + "9" * 4301 + "-"}, False)  # issue 14, hole 2
@example("GET", (f"/ipfs/{C.roots['file']}", C.roots["file"]),
         "format=car&entity-bytes=0:" + "9" * 4301, None, False)  # hole 3
@example("GET", (f"/ipfs/{C.roots['dir']}/\ud800", C.roots["dir"]), "format=car", None,
         False)  # hole 4
@example("GET", (f"/ipfs/{C.roots['file']}", C.roots["file"]), {"filename": "\ud800"}, None,
         False)  # hole 4, ?filename=
@example("GET", (f"/ipfs/{C.roots['dir']}/\ud800", C.roots["dir"]), None, None, False)  # 5
@example("GET", (f"/ipfs/{C.roots['dir']}", C.roots["dir"]), {"x": "\ud800"}, None, False)
@example("GET", (f"/ipfs/{C.roots['dir']}/\udcff", C.roots["dir"]), {"x": "\udcff"}, None,
         False)
def test_handle(method, path, query, hdrs, trustless):
    _request(C.repo, method, path, query, hdrs, trustless)


def test_repo_intact():
    """Nothing a request did changed the repo."""
    assert C.repo.verify() == []


@pytest.fixture(scope="module")
def corrupt_repo(tmp_path_factory):
    """An on-disk copy of the content with a leaf of the big file and the ``sub`` directory's
    block overwritten on disk (a flipped byte each)."""
    where = tmp_path_factory.mktemp("corrupt") / "repo"
    repo = Repo.init(where, backend="fs", fsync=False)
    for cid, data in C.blocks:
        repo.block_put(data, codec=cid.codec)
    targets = {C.repo.get(C.roots["sub"]),
               next(d for c, d in C.blocks if c.codec == "raw" and d.startswith(b"C" * 700))}
    hit = 0
    for dirpath, _, files in os.walk(where):
        for name in files:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                data = f.read()
            if data in targets:
                with open(full, "wb") as f:
                    f.write(bytes([data[0] ^ 1]) + data[1:])
                hit += 1
    assert hit == len(targets)
    yield repo
    repo.close()


@target(scale=0.5)
@given(methods, paths(), queries, headers)
def test_handle_corrupt_blocks(corrupt_repo, method, path, query, hdrs):
    _request(corrupt_repo, method, path, query, hdrs, False, corrupt=True)
