"""Every hole the fuzz suite found, as the exact reproducer and the answer now expected.

Issue 14's six come first (its reproducers verbatim), then what the suite found since. Each
test asserts the refusal (its status, exit code or exception class and what it names), not
just the absence of a crash.
"""

from __future__ import annotations

import hashlib
import io
import struct

import pytest

from pinfold import CID, Entry, PinfoldError, Repo
from pinfold.blockstore import verify
from pinfold.car import PRAGMA, CarError, CarReader, encode_header, write_car
from pinfold.errors import CorruptBlockError, PathNotFoundError
from pinfold.gateway import handle
from pinfold.ipld import get as ipld_get
from pinfold.ipns import TimeFormatError, parse_duration, parse_rfc3339
from pinfold.numbers import INT64_MAX, NumberError, check_int, parse_int
from pinfold.pins.meta import MetadataError, parse_cli_filter
from pinfold.pins.query import QueryError

from .harness import run_cli


@pytest.fixture
def site(make_repo):
    """A memory repo with a directory holding one file; ``(repo, dir CID, file CID)``."""
    repo = make_repo("memory")
    res = repo.add([Entry("d/a.txt", b"hello")], cid_version=1, raw_leaves=True)
    cids = {e.path: e.cid for e in res.entries}
    return repo, cids["d"], cids["d/a.txt"]


def _v2_car(tmp_path, index_offset: int) -> str:
    """A CARv2 of one block whose header's index offset is ``index_offset``."""
    cid = CID.v1("raw", b"\x12\x20" + hashlib.sha256(b"x").digest())
    out = io.BytesIO()
    write_car(out, [cid], [(cid, b"x")], version=2)
    data = bytearray(out.getvalue())
    struct.pack_into("<Q", data, len(PRAGMA) + 32, index_offset)
    path = tmp_path / "bad.car"
    path.write_bytes(bytes(data))
    return str(path)


# -- issue 14 -----------------------------------------------------------------------------
@pytest.mark.parametrize("offset", [1 << 63, (1 << 64) - 1])
def test_hole1_car_index_offset_past_int64(tmp_path, offset):
    path = _v2_car(tmp_path, offset)
    with pytest.raises(CarError, match="index offset"):
        with CarReader(path) as car:
            list(car)
            car.read_index()
    for argv in (["car", "inspect", path], ["car", "verify", path]):
        code, out, err = run_cli(argv)
        assert code == 1
        assert "index offset" in (err + out.decode())
    repo = tmp_path / "repo"
    Repo.init(repo, backend="fs", fsync=False).close()
    code, _, err = run_cli(["dag", "import", "--repo", str(repo), path])
    assert code == 1 and err.count("\n") == 1 and "index offset" in err


def test_hole2_range_with_4301_digits(site):
    repo, _, file_cid = site
    resp = handle(repo, "GET", f"/ipfs/{file_cid}", None, {"Range": "bytes=" + "9" * 4301 + "-"})
    assert resp.status == 200 and resp.read() == b"hello"  # a Range past any size: ignored


def test_hole3_entity_bytes_with_4301_digits(site):
    repo, _, file_cid = site
    resp = handle(repo, "GET", f"/ipfs/{file_cid}", "format=car&entity-bytes=0:" + "9" * 4301)
    assert resp.status == 400 and b"entity-bytes" in resp.read()


def test_hole4_lone_surrogate_in_path_and_filename(site):
    repo, dir_cid, file_cid = site
    resp = handle(repo, "GET", f"/ipfs/{dir_cid}/\ud800", "format=car")
    assert resp.status == 400 and b"lone surrogate" in resp.read()
    resp = handle(repo, "GET", f"/ipfs/{file_cid}", {"filename": "\ud800"})
    assert resp.status == 400 and b"filename" in resp.read()


def test_hole5_lone_surrogate_path_is_400_not_500(site):
    repo, dir_cid, _ = site
    resp = handle(repo, "GET", f"/ipfs/{dir_cid}/\ud800")
    assert resp.status == 400 and b"invalid path" in resp.read()


@pytest.mark.parametrize("op", ["=", ">"])
def test_hole6_metadata_filter_with_5000_digits(tmp_path, op):
    repo = tmp_path / "repo"
    Repo.init(repo, backend="fs", fsync=False).close()
    code, _, err = run_cli(["pin", "ls", "--repo", str(repo), "--meta", "a" + op + "9" * 5000])
    assert code == 1 and err.count("\n") == 1 and "out of range" in err
    with pytest.raises(MetadataError, match="metadata integer"):
        parse_cli_filter("a" + op + "9" * 5000)


# -- found by the suite since -------------------------------------------------------------
def test_surrogate_in_any_query_value(site):
    """Through the directory redirect's Location header (was UnicodeEncodeError)."""
    repo, dir_cid, _ = site
    resp = handle(repo, "GET", f"/ipfs/{dir_cid}", {"x": "\ud800"})
    assert resp.status == 400 and b"query parameter x" in resp.read()


def test_surrogate_escaped_bytes_are_names(site):
    """U+DC80-U+DCFF stand for undecodable bytes: a name, percent-encoded as those bytes."""
    repo, dir_cid, _ = site
    resp = handle(repo, "GET", f"/ipfs/{dir_cid}/\udcff", {"x": "\udcff"})
    assert resp.status == 404
    resp = handle(repo, "GET", f"/ipfs/{dir_cid}", {"x": "\udcff"})
    assert resp.status == 301 and resp.header("Location").endswith("/?x=%FF")


def test_ipld_list_index_with_5000_digits(make_repo):
    repo = make_repo("memory")
    cid = repo.dag_put({"list": [1, 2]})
    with pytest.raises(PathNotFoundError, match="out of range"):
        ipld_get(repo, f"{cid}/list/" + "9" * 5000)


def test_zero_byte_digest_verifies_nothing():
    """A sha2-256 CID with a 0-byte digest "matched" any block (boxo's verifcid refuses
    digests under 20 bytes)."""
    cid = CID.v1("raw", b"\x12\x00")
    with pytest.raises(CorruptBlockError, match="digest"):
        verify(cid, b"anything")
    car = encode_header([cid]) + b"\x0c" + cid.bytes + b"anything"
    with pytest.raises(CarError, match="does not match"):
        list(CarReader(io.BytesIO(car)))
    short = CID.v1("raw", b"\x12\x13" + bytes(19))
    with pytest.raises(CorruptBlockError):
        verify(short, b"")


@pytest.mark.parametrize("argv, message", [
    (["pin", "ls", "--cursor", "9" * 20], "bad cursor"),  # was OverflowError from SQLite
    (["pin", "ls", "--min-size", "9" * 20], "out of range"),  # the same
    (["pin", "ls", "--meta", "a=\udcff"], "lone surrogate"),  # argv bytes: UnicodeEncodeError
    (["pin", "ls", "--name", "\udcff"], "lone surrogate"),
])
def test_cli_values_past_sqlite(tmp_path, argv, message):
    repo = tmp_path / "repo"
    Repo.init(repo, backend="fs", fsync=False).close()
    code, _, err = run_cli([*argv[:2], "--repo", str(repo), *argv[2:]])
    assert code in (1, 2) and err.count("\n") == 1 and message in err


def test_cli_mtime_past_int64(tmp_path):
    """Was ValueError from protobuf, a traceback."""
    path = tmp_path / "f"
    path.write_bytes(b"x")
    code, _, err = run_cli(["add", "-n", "--mtime=" + "9" * 20, str(path)])
    assert code == 2 and "--mtime" in err and "out of range" in err


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_size=1 << 64), "min_size"), (dict(limit=INT64_MAX), "limit"),
    (dict(before=float("inf")), "not a time"), (dict(after=float("nan")), "not a time"),
    (dict(name="\ud800"), "lone surrogate"),
])
def test_query_values_past_sqlite(make_repo, kwargs, message):
    repo = make_repo("memory")
    with pytest.raises(QueryError, match=message):
        repo.pins.query(**kwargs)


@pytest.mark.parametrize("value", [1.797693134862316e+299, -1e300])
def test_query_time_floats_past_int64(make_repo, value):
    # seconds * 1e9 overflowed to inf and int() raised OverflowError (found by the long run);
    # a finite time past int64's nanoseconds clamps as an integer one does
    repo = make_repo("memory")
    cid = repo.add(b"x").roots[0].cid
    repo.pin(cid)
    page = repo.pins.query(before=value) if value > 0 else repo.pins.query(after=value)
    assert [p.cid for p in page.pins] == [cid]


def test_metadata_text_with_surrogates(make_repo):
    repo = make_repo("memory")
    cid = repo.add(b"x").roots[0].cid
    with pytest.raises(MetadataError, match="lone surrogate"):
        repo.pin(cid, meta={"a": "\ud800"})
    with pytest.raises(MetadataError, match="lone surrogate"):
        repo.pin(cid, meta={"\udcff": 1})
    with pytest.raises(PinfoldError, match="lone surrogate"):
        repo.pin(cid, name="\udcff")
    assert repo.verify() == []


# -- the bounded parser itself ------------------------------------------------------------
@pytest.mark.parametrize("text, kw, value", [
    ("0", {}, 0), ("007", {}, 7), ("0" * 5000 + "1", {}, 1), (str(INT64_MAX), {}, INT64_MAX),
    ("-5", dict(minimum=-10), -5), ("+5", dict(minimum=-10), 5),
])
def test_parse_int_accepts(text, kw, value):
    assert parse_int(text, "f", **kw) == value


@pytest.mark.parametrize("text, kw, message", [
    ("9" * 4301, {}, "out of range"), (str(INT64_MAX + 1), {}, "out of range"),
    ("-1", {}, "negative"), ("+1", {}, "not a number"), ("1_000", {}, "not a number"),
    (" 5", {}, "not a number"), ("٣", {}, "not a number"), ("", {}, "not a number"),
    ("11", dict(maximum=10), "out of range"), ("-11", dict(minimum=-10), "out of range"),
])
def test_parse_int_refuses(text, kw, message):
    with pytest.raises(NumberError, match=message) as info:
        parse_int(text, "the field", **kw)
    assert info.value.field == "the field" and str(info.value).startswith("the field: ")
    assert len(str(info.value)) < 200  # a 4,301-digit value is not echoed whole


def test_check_int():
    assert check_int(5, "f") == 5
    with pytest.raises(NumberError, match="f: 9223372036854775808 is out of range"):
        check_int(1 << 63, "f")


def test_deep_dag_cbor_converted_is_501_not_500(make_repo):
    """A sound block (it decodes, it hashes) that the DAG-JSON encoder refuses to write was a
    500, documented for corrupt blocks only."""
    repo = make_repo("memory")
    cid = repo.block_put(b"\x81" * 5000 + b"\x00", codec="dag-cbor")
    resp = handle(repo, "GET", f"/ipfs/{cid}", "format=dag-json")
    assert resp.status == 501 and b"nested too deeply" in resp.read()
    assert handle(repo, "GET", f"/ipfs/{cid}").status == 200  # as it is: fine


# -- IPNS time text (tests/fuzz/test_ipns.py) --------------------------------------------
@pytest.mark.parametrize("text", ["1" * 4301 + "s", "0" * 4301 + "1ns", "0." + "9" * 4301 + "s",
                                  "1" * 20 + "h", "\uff12s", "1\u0661s"])
def test_go_durations_past_int_digits(text):
    # int() of 4,301 digits raised ValueError, and Python's \d took non-ASCII digits that
    # Go's time.ParseDuration refuses; the fraction keeps only the digits Go reads
    if text.startswith("0."):
        assert parse_duration(text) == 1_000_000_000
    elif text.startswith("0"):
        assert parse_duration(text) == 1
    else:
        with pytest.raises(TimeFormatError, match="invalid duration|unknown unit|missing unit"):
            parse_duration(text)


def test_rfc3339_takes_only_ascii_digits():
    assert parse_rfc3339("2024-01-01T00:00:00Z") == 1704067200 * 10**9
    with pytest.raises(TimeFormatError):
        parse_rfc3339("\uff12\uff10\uff12\uff14-01-01T00:00:00Z")


def test_add_of_a_path_with_a_nul_byte_is_one_line(tmp_path):
    # os.stat raised ValueError ("embedded null byte") out of the importer: a traceback
    # (found by the long run's flag-words target)
    code, _, err = run_cli(["add", "-n", str(tmp_path / "a\x00b")])
    assert code == 1 and "NUL byte" in err


def test_access_link_signature_in_upper_case():
    """The third long run: a HEAD link whose X-Signature had one hex digit in upper case
    opened (bytes.fromhex reads both cases). A link opens only as issued now."""
    from pinfold import AccessDenied, Repo
    from pinfold.access.links import parse_query_string

    repo = Repo.memory()
    priv = str(repo.add(b"private", network="private").roots[0].cid)
    link = repo.access.link(priv, expires="1h", method="HEAD")
    path, _, query = link.partition("?")
    assert repo.access.check_link("HEAD", path, parse_query_string(query))
    head, _, sig = query.rpartition("X-Signature=")
    letter = next(i for i, ch in enumerate(sig) if ch.isalpha())
    edited = head + "X-Signature=" + sig[:letter] + sig[letter].upper() + sig[letter + 1:]
    with pytest.raises(AccessDenied, match="lower-case hex"):
        repo.access.check_link("HEAD", path, parse_query_string(edited))


def test_name_filter_with_a_nul(make_repo):
    """The long fuzz run: a partial name filter holding a NUL made FTS5 raise
    ``sqlite3.OperationalError: unterminated string``. Such a needle skips the trigram index;
    names may hold NULs, and the filter still finds them."""
    repo = make_repo("fs")
    cid = repo.add(b"nul name").root
    repo.pin(cid, name="a00\x00b")
    repo.pin(repo.add(b"other").root, name="a00b")
    for match in ("partial", "ipartial"):
        page = repo.pins.query(name="00\x00", match=match, limit=5)
        assert [p.name for p in page.pins] == ["a00\x00b"] and page.total == 1
    assert repo.pins.query(name="0\x00\x00", match="partial").total == 0
