"""pinfold.access.links: signing and checking access links; the query parser fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinfold.access import AccessDenied, AccessError
from pinfold.access.links import (
    ALGORITHM,
    canonical_path,
    make_link,
    parse_query,
    parse_query_string,
    verify,
)

CID = "bafkreib2redd5ofiha4fqosps6ibau2e4wvikwgok7w3criiboea7uprxa"
KEY = b"k" * 32
NOW = 1_800_000_000


def pairs(url: str):
    return parse_query_string(url.split("?", 1)[1])


def check(url: str, method: str = "GET", path: str | None = None, now: float = NOW + 10,
          secret: bytes = KEY) -> None:
    link, rest = parse_query(pairs(url))
    verify([secret], method, path or url.split("?", 1)[0], link, rest, now=now)


def test_a_link_opens_its_path_until_it_expires():
    url = make_link(KEY, CID + "/a b/c.txt", 3600, date=NOW)
    assert url.startswith(f"/ipfs/{CID}/a%20b/c.txt?")
    assert ("X-Algorithm", ALGORITHM) in pairs(url)
    check(url, path=f"/ipfs/{CID}/a b/c.txt")
    check(url, path=f"/ipfs/{CID}/a b/c.txt", now=NOW + 3600)
    with pytest.raises(AccessDenied, match="expired"):
        check(url, path=f"/ipfs/{CID}/a b/c.txt", now=NOW + 3601)


def test_refusals_are_403_with_reasons():
    url = make_link(KEY, CID, 60, date=NOW)
    cases = [
        (dict(method="HEAD"), "another method"),
        (dict(path=f"/ipfs/{CID}/x"), "signature"),
        (dict(now=NOW - 61), "future"),
        (dict(secret=b"x" * 32), "rotated"),
    ]
    for kw, reason in cases:
        with pytest.raises(AccessDenied, match=reason) as e:
            check(url, **kw)
        assert e.value.status == 403
        assert pairs(url)[-1][1] not in str(e.value)  # never the signature


def test_one_spelling_per_link():
    """A link opens only as issued: other spellings of the same values (upper-case hex in the
    signature, a lower-case method, leading zeros in X-Date or X-Expires) are refused, so no
    edit of a link's text opens what it opens (the first found by the long fuzz run)."""
    import re

    url = make_link(KEY, CID, 60, date=NOW)
    check(url)
    edits = [
        (lambda u: re.sub(r"X-Signature=(\w+)", lambda m: "X-Signature=" + m[1].upper(), u),
         "lower-case hex"),
        (lambda u: u.replace("X-Method=GET", "X-Method=get"), "another method"),
        (lambda u: u.replace("X-Date=", "X-Date=0"), "leading zeros"),
        (lambda u: u.replace("X-Expires=", "X-Expires=00"), "leading zeros"),
    ]
    for edit, reason in edits:
        edited = edit(url)
        assert edited != url
        with pytest.raises(AccessDenied, match=reason) as e:
            check(edited)
        assert e.value.status == 403


def test_directory_link_opens_with_and_without_slash():
    url = make_link(KEY, f"/ipfs/{CID}/dir/", 60, date=NOW)
    check(url, path=f"/ipfs/{CID}/dir")
    check(url, path=f"/ipfs/{CID}/dir/")


def test_query_parsing():
    assert parse_query([("a", "1")]) == (None, [("a", "1")])
    with pytest.raises(AccessDenied, match="missing"):
        parse_query([("X-Date", "1")])
    url = make_link(KEY, CID, 60, date=NOW)
    with pytest.raises(AccessDenied, match="twice"):
        parse_query(pairs(url) + [("X-Date", "1")])
    bad = [(k, "12a" if k == "X-Expires" else v) for k, v in pairs(url)]
    with pytest.raises(AccessDenied, match="whole number"):
        parse_query(bad)
    assert repr(parse_query(pairs(url))[0]).count(pairs(url)[-1][1]) == 0


@pytest.mark.parametrize("path", ["", "/x/" + CID, "notacid", f"{CID}/../x", f"{CID}//x",
                                  f"/ipfs/{CID}/./x", "/ipns/example.com"])
def test_bad_link_paths(path):
    with pytest.raises(AccessError):
        canonical_path(path)


def test_bad_link_options():
    with pytest.raises(AccessError):
        make_link(KEY, CID, 60, method="POST")
    with pytest.raises(AccessError):
        make_link(KEY, CID, 0)
    with pytest.raises(AccessError, match="reserved"):
        make_link(KEY, CID, 60, query=[("X-Date", "1")])


@settings(max_examples=400)
@given(st.text(max_size=300))
def test_query_string_parser_fuzz(text):
    got = parse_query_string(text)
    try:
        link, rest = parse_query(got)
    except AccessDenied as exc:
        assert exc.status == 403
        return
    if link is not None:
        try:
            verify([KEY], "GET", f"/ipfs/{CID}", link, rest, now=NOW)
        except AccessDenied:
            return
        raise AssertionError("an arbitrary query opened a link")


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["X-Algorithm", "X-Date", "X-Expires",
                                           "X-Method", "X-Signature", "format"]),
                          st.text(max_size=70)), max_size=8))
def test_link_parameters_fuzz(items):
    try:
        link, rest = parse_query(items)
        if link is not None:
            verify([KEY], "GET", f"/ipfs/{CID}", link, rest, now=NOW)
            raise AssertionError("forged parameters opened a link")
    except AccessDenied:
        pass


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_canonical_path_fuzz(text):
    try:
        p = canonical_path(text)
    except AccessError:
        return
    assert p.startswith("/ipfs/") and "/../" not in p + "/" and not p.endswith("/")
