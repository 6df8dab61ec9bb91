"""pinfold.access.parse: durations, addresses and CIDR lists, origins, scopes; each parser
fed arbitrary text raises only AccessError."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinfold.access import (
    AccessError,
    format_duration,
    origin_of,
    parse_address,
    parse_cidr,
    parse_cidrs,
    parse_duration,
    parse_origin,
    parse_scopes,
)


@pytest.mark.parametrize("text,seconds", [
    ("90s", 90), ("10m", 600), ("1h", 3600), ("30d", 30 * 86400), ("2w", 14 * 86400),
    ("1h30m", 5400), ("45", 45), (" 1H ", 3600)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "1x", "h", "-1h", "1.5h", "1 h", "1h-", "١h",
                                  "99999999999999d", "1e3"])
def test_bad_durations(text):
    with pytest.raises(AccessError):
        parse_duration(text)


@given(st.integers(1, 10**8))
def test_format_duration_round_trips(n):
    assert parse_duration(format_duration(n)) == n


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_duration_parser_fuzz(text):
    try:
        n = parse_duration(text)
    except AccessError:
        return
    assert 1 <= n <= 100 * 365 * 86400


def test_cidrs():
    assert parse_cidrs(["10.0.0.0/8, 192.0.2.7", "2001:db8::/32", "10.0.0.0/8"]) == [
        ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("2001:db8::/32")]
    assert parse_cidr("::ffff:10.0.0.0/104") == ipaddress.ip_network("10.0.0.0/8")
    assert parse_cidrs([""]) == []
    for bad in ("10.0.0.1/8", "300.1.1.1", "10.0.0.0/33", "example.com", "", "1" * 80):
        with pytest.raises(AccessError):
            parse_cidr(bad)


def test_addresses():
    assert str(parse_address("[2001:db8::1]")) == "2001:db8::1"
    assert str(parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    for bad in ("", "1.2.3", "10.0.0.0/8", "x" * 100, "1.2.3.4:80"):
        with pytest.raises(AccessError):
            parse_address(bad)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=80), st.lists(st.text(max_size=30), max_size=4)))
def test_cidr_and_address_parsers_fuzz(value):
    for fn in (parse_cidrs, parse_address, parse_cidr):
        try:
            fn(value)
        except AccessError:
            pass


def test_origins():
    assert parse_origin("HTTPS://App.Example.com/") == "https://app.example.com"
    assert parse_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert origin_of("https://app.example/page?q=1") == "https://app.example"
    assert origin_of("ftp://x") is None and origin_of("not a url") is None
    for bad in ("*", "app.example", "https://app.example/path", "javascript:alert(1)",
                "https://u:p@x.example", "https://x.example:99999"):
        with pytest.raises(AccessError):
            parse_origin(bad)


@settings(max_examples=300)
@given(st.text(max_size=120))
def test_origin_parsers_fuzz(text):
    try:
        o = parse_origin(text)
        assert origin_of(o) == o
    except AccessError:
        pass
    assert origin_of(text) is None or origin_of(text).startswith("http")


def test_scopes():
    assert parse_scopes(["files:read", "org:groups:write", "files:read"]) == (
        "files:read", "groups:write")
    assert parse_scopes([], admin=True) == ("admin",)
    assert parse_scopes(["admin"]) == ("admin",)
    with pytest.raises(AccessError, match="at least one scope"):
        parse_scopes([])
    with pytest.raises(AccessError, match="unknown scope"):
        parse_scopes(["files:delete"])
