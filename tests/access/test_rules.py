"""pinfold.access.rules: the client's address (X-Forwarded-For only from trusted proxies),
the IP and origin allowlists; the header parsers fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinfold.access import (
    AccessDenied,
    GatewayRules,
    check_address,
    check_origin,
    client_address,
    parse_cidrs,
    request_origin,
)

PROXY = GatewayRules(trusted_proxies=tuple(parse_cidrs(["127.0.0.1", "10.9.0.0/16"])))


def test_untrusted_peer_forwarded_for_is_ignored():
    assert str(client_address(GatewayRules(), "198.51.100.1", ["10.0.0.1"])) == "198.51.100.1"
    assert str(client_address(PROXY, "198.51.100.1", ["10.0.0.1"])) == "198.51.100.1"


def test_trusted_proxy_chain():
    assert str(client_address(PROXY, "127.0.0.1", ["203.0.113.5"])) == "203.0.113.5"
    assert str(client_address(PROXY, "127.0.0.1", ["1.1.1.1, 203.0.113.5", "10.9.1.1"])
               ) == "203.0.113.5"
    assert str(client_address(PROXY, "127.0.0.1", ["10.9.1.2, 10.9.1.1"])) == "10.9.1.2"
    assert str(client_address(PROXY, "127.0.0.1", [])) == "127.0.0.1"
    assert client_address(PROXY, None, []) is None
    with pytest.raises(AccessDenied) as e:
        client_address(PROXY, "127.0.0.1", ["999.1.1.1"])
    assert e.value.status == 400
    with pytest.raises(AccessDenied):
        client_address(PROXY, "127.0.0.1", [",".join(["1.1.1.1"] * 40)])


def test_allowlists():
    rules = GatewayRules(allow_ip=tuple(parse_cidrs(["10.0.0.0/8"])),
                         allow_origins=("https://app.example",))
    check_address(rules, client_address(rules, "10.1.1.1"))
    with pytest.raises(AccessDenied):
        check_address(rules, client_address(rules, "11.1.1.1"))
    with pytest.raises(AccessDenied):
        check_address(rules, None)
    check_origin(rules, None)
    check_origin(rules, request_origin("https://app.example", None))
    for origin, referer in (("https://evil.example", None), (None, "https://evil.example/"),
                            ("null", None), ("garbage", None), (None, "garbage")):
        with pytest.raises(AccessDenied):
            check_origin(rules, request_origin(origin, referer))


@settings(max_examples=400)
@given(st.one_of(st.none(), st.text(max_size=50)),
       st.lists(st.text(max_size=80), max_size=4),
       st.one_of(st.none(), st.text(max_size=80)), st.one_of(st.none(), st.text(max_size=80)))
def test_request_header_parsers_fuzz(peer, xff, origin, referer):
    rules = GatewayRules(allow_ip=tuple(parse_cidrs(["10.0.0.0/8"])),
                         trusted_proxies=PROXY.trusted_proxies,
                         allow_origins=("https://app.example",))
    try:
        addr = client_address(rules, peer, xff)
        check_address(rules, addr)
    except AccessDenied as exc:
        assert exc.status in (400, 403)
    try:
        check_origin(rules, request_origin(origin, referer))
    except AccessDenied as exc:
        assert exc.status == 403
